"""Validate the server's answers against openapi.json (a copy kept next to the tests),
corrected where the recorded live service disagrees with it (the recordings win).

Answers are checked strictly: `$ref`s resolve into `components/schemas`, and
every documented object also refuses undocumented keys (so a miscased or
invented field fails). `System.Object` is .NET's `object` (any JSON value),
which the generator rendered as an empty object type; it is read as "any".

Recorded forms accepted instead of the documented ones (`RECORDED_FORMS`,
REAL-API.md): enums are numbers (datapoint `type` 0/1, `status` 0-3,
`typeTL.redirectType` 301/307, `typeTL.destinationMode` 0-9, `typeTL.referrerClean`
0-2, conversion `protocol` 0/1); properties at their
default are left out (nothing is required anyway); `typeTL.firstUrl` is sent;
a summary row's `entityData` is the summary the live service sends, not a
datapoint; a summary has no `offset`; batch item statuses are "Ok"/"Error";
errors are `{"errors": [{"property", "errorMessage", "code"}]}`.
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


def _numbers(*codes: int) -> dict[str, Any]:
    return {"type": "integer", "enum": list(codes)}


# (schema, property) -> what the recorded live service sends there
RECORDED_FORMS = {
    ("Api.Core.Dto.Datapoints.Datapoint", "type"): _numbers(0, 1),
    ("Api.Core.Dto.Datapoints.Datapoint", "status"): _numbers(0, 1, 2, 3),
    ("Api.Core.Dto.Datapoints.TrackingLinkSpecifics", "redirectType"): _numbers(301, 307),
    ("Api.Core.Dto.Datapoints.TrackingLinkSpecifics", "destinationMode"): _numbers(*range(10)),
    ("Api.Core.Dto.Datapoints.TrackingLinkSpecifics", "referrerClean"): _numbers(0, 1, 2),
    ("Api.Core.Dto.Conversions.Conversion", "protocol"): _numbers(0, 1),
    ("Api.Core.Dto.Aggregated.AggregatedResult", "entityData"): {"type": "object"},
    ("Api.Core.Responses.ModifyBatchItemResponce_Api.Core.Dto.Datapoints.Datapoint_System.Int64_",
     "status"): {"enum": ["Ok", "Error"]},
}
VALIDATION_FAILURE = "ClickMeter.Infrastructure.Validation.ValidationFailure"


@cache
def _spec() -> dict[str, Any]:
    spec = json.loads((Path(__file__).parent / "openapi.json").read_text())
    schemas = spec["components"]["schemas"]
    for (schema, prop), form in RECORDED_FORMS.items():
        schemas[schema]["properties"][prop] = form
    schemas["Api.Core.Dto.Aggregated.AggregatedSummaryResult"]["properties"].pop("offset")
    schemas[VALIDATION_FAILURE]["properties"].pop("errorValue", None)
    spec["components"]["schemas"] = _strict(schemas)
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

    As recorded (gem:datapointtest_test_save_batch): one item per request item,
    `{"status": "Ok", "entityData"?, "result"}` or `{"status": "Error", "errors"}`.
    """
    assert response.status_code == 200, (response.status_code, response.text)
    body = response.json()
    assert list(body) == ["results"]
    for item in body["results"]:
        assert not (problems := schema_problems(item, f"#/components/schemas/{BATCH_ITEM}")), problems
        expected = {"status", "result"} | ({"entityData"} & set(item)) if item["status"] == "Ok" \
            else {"status", "errors"}
        assert set(item) == expected, item
    return body["results"]


def failures_of(response: httpx.Response, status: int) -> list[dict[str, Any]]:
    """The errors of an error answer with `status`: `{"errors": [{property, errorMessage, code}]}`."""
    assert response.status_code == status, (response.status_code, response.text)
    body = response.json()
    assert list(body) == ["errors"] and body["errors"], body
    for item in body["errors"]:
        assert set(item) == {"property", "errorMessage", "code"}
        assert isinstance(item["errorMessage"], str) and item["errorMessage"]
    return body["errors"]


def failing_properties(response: httpx.Response, status: int = 400) -> set[str | None]:
    """The properties named by an error answer."""
    return {item["property"] for item in failures_of(response, status)}
