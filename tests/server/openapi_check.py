"""Validate the server's answers against openapi.json (a copy kept next to the tests).

Answers are checked strictly: `$ref`s resolve into `components/schemas`, and
every documented object also refuses undocumented keys (so a miscased or
invented field fails). `System.Object` is .NET's `object` (any JSON value),
which the generator rendered as an empty object type; it is read as "any".
"""

from __future__ import annotations

import copy
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
    spec = copy.deepcopy(spec)
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


def assert_valid(body: Any, component: str) -> None:
    """Fail with every schema error unless `body` matches `#/components/schemas/<component>`."""
    errors = list(_validator(f"#/components/schemas/{component}").iter_errors(body))
    assert not errors, [f"{list(e.absolute_path)}: {e.message}" for e in errors]


def checked(response: httpx.Response, method: str, path: str) -> Any:
    """The JSON of a 200 answer, after checking it against the operation's documented answer."""
    assert response.status_code == 200, (response.status_code, response.text)
    body = response.json()
    ref = answer_schema_ref(method, path)
    errors = list(_validator(ref).iter_errors(body))
    assert not errors, [f"{list(e.absolute_path)}: {e.message}" for e in errors]
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
    validator = _validator(f"#/components/schemas/{BATCH_ITEM}")
    for item in body["results"]:
        errors = list(validator.iter_errors(item))
        assert not errors, [f"{list(e.absolute_path)}: {e.message}" for e in errors]
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
