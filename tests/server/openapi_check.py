"""Validate the server's answers against openapi.json (a copy kept next to the tests).

Answers are checked strictly: `$ref`s resolve into `components/schemas`, and
every documented object also refuses undocumented keys (so a miscased or
invented field fails). `System.Object` is .NET's `object` (any JSON value),
which the generator rendered as an empty object type; it is read as "any".
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import httpx
from jsonschema import Draft7Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7

SPEC_URI = "urn:clickmeter:openapi"


def _strict(schema: Any) -> Any:
    """A copy where each object schema with properties refuses other keys."""
    if isinstance(schema, dict):
        strict = {key: _strict(value) for key, value in schema.items()}
        if "properties" in strict and strict.get("type") == "object":
            strict.setdefault("additionalProperties", False)
        return strict
    if isinstance(schema, list):
        return [_strict(item) for item in schema]
    return schema


@cache
def _spec() -> dict[str, Any]:
    spec = json.loads((Path(__file__).parent / "openapi.json").read_text())
    spec["components"]["schemas"] = _strict(spec["components"]["schemas"])
    spec["components"]["schemas"]["System.Object"] = {}
    return spec


@cache
def _registry() -> Registry:
    return Registry().with_resource(SPEC_URI, Resource.from_contents(_spec(), DRAFT7))


def _validator(ref: str) -> Draft7Validator:
    return Draft7Validator({"$ref": f"{SPEC_URI}{ref}"}, registry=_registry())


def answer_schema_ref(method: str, path: str) -> str:
    """The `$ref` of the documented 200 answer of an operation (e.g. GET /datapoints/{id})."""
    operation = _spec()["paths"][path][method.lower()]
    return operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]


def documented_paths() -> set[str]:
    """The path templates openapi.json documents."""
    return set(_spec()["paths"])


def schema_problems(body: Any, ref: str) -> list[str]:
    """Why `body` does not match the strict schema at `ref` (`#/components/...`); [] when it does."""
    return [f"{list(error.absolute_path)}: {error.message}" for error in _validator(ref).iter_errors(body)]


def request_problems(method: str, path: str, body: Any) -> list[str]:
    """Why `body` is not the documented request body of an operation ([] when it is; an operation
    openapi.json does not document, like the seed's `/datapoints/{id}/reports`, takes none)."""
    request = _spec()["paths"].get(path, {}).get(method.lower(), {}).get("requestBody")
    if request is None:
        return [] if body is None else ["a body where the operation takes none"]
    if "$ref" in request:
        request = _spec()["components"]["requestBodies"][request["$ref"].split("/")[-1]]
    return schema_problems(body, request["content"]["application/json"]["schema"]["$ref"])


def assert_valid(body: Any, component: str) -> None:
    """Fail with every schema error unless `body` matches `#/components/schemas/<component>`."""
    assert not (problems := schema_problems(body, f"#/components/schemas/{component}")), problems


def checked(response: httpx.Response, method: str, path: str) -> Any:
    """The JSON of a 200 answer, after checking it against the operation's documented answer."""
    assert response.status_code == 200, (response.status_code, response.text)
    body = response.json()
    assert not (problems := schema_problems(body, answer_schema_ref(method, path))), problems
    return body


BATCH_ITEM = "Api.Core.Responses.ModifyBatchItemResponce_Api.Core.Dto.Datapoints.Datapoint_System.Int64_"


def checked_batch(response: httpx.Response) -> list[dict[str, Any]]:
    """The items of a batch answer `{"results": [...]}`, each checked as a ModifyBatchItemResponce.

    openapi.json documents one such item as the datapoint batches' answer (and
    an `{id, uri}` for the conversion batch patch); the team's contract answers
    every batch with the list of them, one per request item.
    """
    assert response.status_code == 200, (response.status_code, response.text)
    body = response.json()
    assert list(body) == ["results"]
    for item in body["results"]:
        assert not (problems := schema_problems(item, f"#/components/schemas/{BATCH_ITEM}")), problems
        assert item["status"] in ("ok", "error")
    return body["results"]


def failures_of(response: httpx.Response, status: int) -> list[dict[str, Any]]:
    """The ValidationFailure list of an error answer with `status`, shape-checked."""
    assert response.status_code == status, (response.status_code, response.text)
    body = response.json()
    assert isinstance(body, list) and body
    for item in body:
        assert set(item) == {"property", "errorMessage", "errorValue", "code"}
        assert isinstance(item["errorMessage"], str) and item["errorMessage"]
    return body


def failing_properties(response: httpx.Response, status: int = 400) -> set[str | None]:
    """The properties named by an error answer."""
    return {item["property"] for item in failures_of(response, status)}
