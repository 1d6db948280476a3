"""Answers in the recorded form: JSON bodies, `{id, uri}`, lists, counts, errors.

Every error answer (400/401/403/404/429/5xx) is `{"errors": [{"property",
"errorMessage", "code"}]}`, as the live service sends them (REAL-API 12), so a
client reads one shape whatever went wrong. The offending value is not echoed:
the recordings do not have it, and it could be a secret.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.responses import Response

from reconciler.apishapes import NAME_USED_CODE, NAME_USED_STATUS


class JSONAnswer(Response):
    """A compact JSON response (no spaces: the bench serves thousands a second), strict JSON only:
    no `NaN`/`Infinity` ever goes out (writes refuse them, so none is stored)."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return json.dumps(content, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode("utf-8")


def failure(prop: str | None, message: str, code: str = "invalid") -> dict[str, Any]:
    """One error: which property, why, a short code."""
    return {"property": prop, "errorMessage": message, "code": code}


class ApiError(Exception):
    """Raised by a handler to answer `status` with a list of ValidationFailures."""

    def __init__(self, status: int, failures: list[dict[str, Any]],
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(failures[0]["errorMessage"] if failures else str(status))
        self.status = status
        self.failures = failures
        self.headers = headers or {}


def bad_request(prop: str | None, message: str) -> ApiError:
    """A 400 naming one property."""
    return ApiError(400, [failure(prop, message, "invalid")])


def not_found(kind: str, entity_id: Any) -> ApiError:
    """A 404 for an unknown (or another account's) id: the two are indistinguishable."""
    return ApiError(404, [failure("id", f"{kind} {entity_id} not found", "not_found")])


def error_answer(error: ApiError) -> JSONAnswer:
    """The response for an `ApiError`."""
    return JSONAnswer(errors_body(error.failures), status_code=error.status, headers=error.headers)


def errors_body(failures: list[dict[str, Any]]) -> dict[str, Any]:
    """`{"errors": [...]}`: every error answer's body."""
    return {"errors": failures}


def name_used() -> ApiError:
    """403: the name is taken (or was a deleted datapoint's), worded as the live service words it."""
    return ApiError(NAME_USED_STATUS, [failure("Name", "Specified name is alread used.",
                                               NAME_USED_CODE)])


def entity_uri(collection: str, entity_id: int) -> dict[str, Any]:
    """`{"id": 7, "uri": "/datapoints/7"}`: what creates, updates and lists answer."""
    return {"id": entity_id, "uri": f"/{collection}/{entity_id}"}


def entities_answer(collection: str, ids: list[int]) -> JSONAnswer:
    """A list answer: `{"entities": [{id, uri}, ...]}`."""
    return JSONAnswer({"entities": [entity_uri(collection, i) for i in ids]})


def expanded_answer(entities: list[dict[str, Any]]) -> JSONAnswer:
    """A list answer with `_expand=true`: `{"entities": [whole entity, ...]}`."""
    return JSONAnswer({"entities": entities})


def count_answer(count: int) -> JSONAnswer:
    """A count answer: `{"count": N}`."""
    return JSONAnswer({"count": count})
