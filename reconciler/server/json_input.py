"""A request body read as bounded, strict JSON before any handler sees it.

One request must not cost the server more than a bounded amount of memory, nor
answer 500: the body is read chunk by chunk and refused past MAX_BODY_BYTES
(413) before it is parsed, whoever sends it. Nesting past MAX_DEPTH, a lone
surrogate (it cannot be stored or sent as UTF-8), a non-finite number (`NaN`,
`Infinity`, `1e999`: nothing stores them, strict JSON cannot carry them back)
and an integer outside .NET's Int64 are each a 400 naming the property. Keys
come out lower-cased: the .NET service reads them in any case.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from starlette.requests import Request

from reconciler.apishapes import MAX_ID
from reconciler.server.responses import ApiError, bad_request, failure

MAX_BODY_BYTES = 10 * 1024 * 1024  # the largest request body read (a full batch is ~100 KB)
MAX_DEPTH = 64  # the deepest nesting of arrays and objects in a body (a datapoint needs 4)
MAX_INT_DIGITS = len(str(MAX_ID))  # longer integer literals are out of range whatever their digits
_SURROGATE = re.compile("[\ud800-\udfff]")


class _OutOfRange:
    """What an integer literal too long to be an Int64 parses to (never converted: no 4,300-digit cost)."""


OUT_OF_RANGE = _OutOfRange()


async def read_json(request: Request) -> Any:
    """The body as checked JSON with lower-cased keys; 413 if too large, 400 naming what is wrong."""
    raw = await _bounded_body(request)
    if not raw.strip():
        raise bad_request(None, "a JSON body is required")
    try:
        body = json.loads(raw, parse_int=_integer)
    except RecursionError:
        raise _too_deep() from None
    except (UnicodeDecodeError, ValueError) as error:  # JSONDecodeError is a ValueError
        raise bad_request(None, f"the body is not valid JSON: {error}") from None
    return _checked(body, "", 0)


async def _bounded_body(request: Request) -> bytearray:
    """The body's bytes, read as it streams in and refused once it passes MAX_BODY_BYTES."""
    declared = request.headers.get("content-length", "")
    if declared.isascii() and declared.isdigit() and (len(declared) > 12 or int(declared) > MAX_BODY_BYTES):
        raise _too_large()
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY_BYTES:
            raise _too_large()
    return body


def _integer(literal: str) -> int | _OutOfRange:
    return OUT_OF_RANGE if len(literal.lstrip("-")) > MAX_INT_DIGITS else int(literal)


def _checked(value: Any, where: str, depth: int) -> Any:
    """`value` with folded keys; 400 naming the property of the first value no entity can hold."""
    if isinstance(value, dict):
        if depth >= MAX_DEPTH:
            raise _too_deep()
        return {_key(key, where): _checked(item, _path(where, key), depth + 1) for key, item in value.items()}
    if isinstance(value, list):
        if depth >= MAX_DEPTH:
            raise _too_deep()
        return [_checked(item, f"{where}[{index}]", depth + 1) for index, item in enumerate(value)]
    if isinstance(value, str) and _SURROGATE.search(value):
        problem = "holds a lone surrogate (not text)"
    elif value is OUT_OF_RANGE or (isinstance(value, int) and not -MAX_ID - 1 <= value <= MAX_ID):
        problem = "is out of range (integers are -2^63 to 2^63-1)"
    elif isinstance(value, float) and not math.isfinite(value):
        problem = "must be a finite number (not NaN or Infinity)"
    else:
        return value
    raise bad_request(where or None, f"{where or 'the body'} {problem}")


def _key(key: str, where: str) -> str:
    if _SURROGATE.search(key):
        raise bad_request(where or None, f"a key in {where or 'the body'} holds a lone surrogate (not text)")
    return key.lower()


def _path(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key


def _too_deep() -> ApiError:
    return bad_request(None, f"the body is nested deeper than {MAX_DEPTH} levels")


def _too_large() -> ApiError:
    return ApiError(413, [failure(None, f"the body is larger than {MAX_BODY_BYTES} bytes", "too_large")])
