"""Answers in the documented form: JSON bodies, `{id, uri}`, lists, counts, errors.

Every error answer (400/401/404/409/429/5xx) is a JSON list of
ValidationFailure objects, as the real service sends them, so a client reads
one shape whatever went wrong.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.responses import Response


class JSONAnswer(Response):
    """A compact JSON response (no spaces: the bench serves thousands a second)."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return json.dumps(content, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def failure(prop: str | None, message: str, value: Any = None, code: str = "invalid") -> dict[str, Any]:
    """One ValidationFailure: which property, why, the offending value, a short code."""
    return {"property": prop, "errorMessage": message, "errorValue": value, "code": code}


class ApiError(Exception):
    """Raised by a handler to answer `status` with a list of ValidationFailures."""

    def __init__(self, status: int, failures: list[dict[str, Any]],
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(failures[0]["errorMessage"] if failures else str(status))
        self.status = status
        self.failures = failures
        self.headers = headers or {}


def bad_request(prop: str | None, message: str, value: Any = None) -> ApiError:
    """A 400 naming one property."""
    return ApiError(400, [failure(prop, message, value, "invalid")])


def not_found(kind: str, entity_id: Any) -> ApiError:
    """A 404 for an unknown (or another account's) id: the two are indistinguishable."""
    return ApiError(404, [failure("id", f"{kind} {entity_id} not found", entity_id, "not_found")])


def error_answer(error: ApiError) -> JSONAnswer:
    """The response for an `ApiError`."""
    return JSONAnswer(error.failures, status_code=error.status, headers=error.headers)


def entity_uri(collection: str, entity_id: int) -> dict[str, Any]:
    """`{"id": 7, "uri": "/datapoints/7"}`: what creates, updates and lists answer."""
    return {"id": entity_id, "uri": f"/{collection}/{entity_id}"}


def entities_answer(collection: str, ids: list[int]) -> JSONAnswer:
    """A list answer: `{"entities": [{id, uri}, ...]}`."""
    return JSONAnswer({"entities": [entity_uri(collection, i) for i in ids]})


def count_answer(count: int) -> JSONAnswer:
    """A count answer: `{"count": N}`."""
    return JSONAnswer({"count": count})
