"""Check what the client sends against openapi.json's request bodies, keys included."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft7Validator

OPENAPI = Path(__file__).parents[1] / "server" / "openapi.json"  # the copy the server tests keep


@cache
def openapi() -> dict[str, Any]:
    return json.loads(OPENAPI.read_text())


def _resolve(schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        section, name = schema["$ref"].split("/")[-2:]
        schema = openapi()["components"][section][name]
    return schema


def request_schema(method: str, template: str) -> dict[str, Any] | None:
    """The documented JSON body of an operation, or None when it takes none (or, like the seed's
    `/datapoints/{id}/reports`, openapi.json does not document it)."""
    body = openapi()["paths"].get(template, {}).get(method.lower(), {}).get("requestBody")
    return None if body is None else _resolve(body)["content"]["application/json"]["schema"]


def undocumented_keys(value: Any, schema: dict[str, Any], where: str = "") -> list[str]:
    """Keys the documented shape does not have (a miscased or invented field), at any depth."""
    schema = _resolve(schema)
    if isinstance(value, list) and "items" in schema:
        return [problem for index, item in enumerate(value)
                for problem in undocumented_keys(item, schema["items"], f"{where}/{index}")]
    if not (isinstance(value, dict) and "properties" in schema):
        return []
    known = schema["properties"]
    problems = [f"{where}/{key}: undocumented" for key in value if key not in known]
    for key in value.keys() & known.keys():
        problems += undocumented_keys(value[key], known[key], f"{where}/{key}")
    return problems


def shape_problems(method: str, template: str, body: Any) -> list[str]:
    """Why `body` is not what openapi.json documents for the operation ([] when it is)."""
    schema = request_schema(method, template)
    if schema is None:
        return [] if body is None else ["a body where the operation takes none"]
    validator = Draft7Validator({**openapi(), **schema})
    return [f"{list(error.absolute_path)}: {error.message}" for error in validator.iter_errors(body)] \
        + undocumented_keys(body, schema)
