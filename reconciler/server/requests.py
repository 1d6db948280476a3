"""Lenient reading of what real clients send, as the .NET service accepts it.

JSON keys in any case (`List`, `list`, `LIST`), enums as the numbers every
published client sends (`"type": 0`, `"redirectType": 307`) and, when the
service variant accepts them, as text in any case (`"TrackingLink"`); query
parameters checked with a 400 naming the parameter.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any, cast

from starlette.convertors import Convertor
from starlette.requests import Request

from reconciler.apishapes import (
    DATAPOINT_STATUSES,
    DATAPOINT_TYPES,
    DATE_FORMAT,
    DAY_FORMAT,
    DEFAULT_LIMIT,
    DESTINATION_MODES,
    MAX_ID,
    MAX_LIMIT,
    MAX_TEXT_LENGTH,
    PATCH_ADD,
    PATCH_REMOVE,
    PROTOCOLS,
    REDIRECT_TYPES,
    REFERRER_CLEANING,
    name_problem,
    text_problem,
)
from reconciler.server.context import variant_of
from reconciler.server.json_input import read_json
from reconciler.server.responses import ApiError, bad_request, failure


class FailureCollector:
    """Runs field readers, keeping every ApiError's failures instead of stopping at the first."""

    def __init__(self) -> None:
        self.failures: list[dict[str, Any]] = []

    def read(self, reader: Callable[..., Any], *args: Any) -> Any:
        try:
            return reader(*args)
        except ApiError as error:
            self.failures.extend(error.failures)
            return None

    def raise_any(self) -> None:
        if self.failures:
            raise ApiError(400, self.failures)


async def read_object(request: Request) -> dict[str, Any]:
    """The request's JSON object body with folded keys; 400 if absent or not an object."""
    body = await read_json(request)
    if not isinstance(body, dict):
        raise bad_request(None, "the body must be a JSON object")
    if not variant_of(request).text_enums:
        reject_text_enums(body, "")
    return body


# folded key -> (its documented spelling, the enum names it may not be given as text)
TEXT_ENUMS = {
    "type": ("type", DATAPOINT_TYPES),
    "status": ("status", DATAPOINT_STATUSES),
    "redirecttype": ("redirectType", REDIRECT_TYPES),
    "protocol": ("protocol", PROTOCOLS),
    "destinationmode": ("destinationMode", DESTINATION_MODES),
    "referrerclean": ("referrerClean", REFERRER_CLEANING),
}
SPELLINGS = {"typetl": "typeTL", "typetp": "typeTP", "list": "List", "entities": "Entities"}


def reject_text_enums(value: Any, where: str) -> None:
    """400 naming the property when an enum is given as its text name (`"TrackingLink"`).

    For the service variant that takes numbers only. Other text (a domain
    `"type": "system"`, as recorded) is left to the field readers.
    """
    if isinstance(value, list):
        for index, item in enumerate(value):
            reject_text_enums(item, f"{where}[{index}]")
        return
    if not isinstance(value, dict):
        return
    for key, item in value.items():
        label = SPELLINGS[key] if key in SPELLINGS else str(key)
        prop = f"{where}.{label}" if where else label
        if key in TEXT_ENUMS and isinstance(item, str):
            name, names = TEXT_ENUMS[key]
            if item.strip().lower() in {n.lower() for n in names}:
                prop = f"{where}.{name}" if where else name
                raise bad_request(prop, f"{prop} must be a number, not the text {item.strip()!r}")
        reject_text_enums(item, prop)


def parse_enum(prop: str, value: Any, allowed: Sequence[str],
               numeric: Mapping[int, str] | None = None) -> str:
    """The documented spelling of an enum value given in any case, as its index or a numeric alias."""
    if isinstance(value, str):
        text = value.strip()
        for name in allowed:
            if name.lower() == text.lower():
                return name
        number = ascii_integer(text)
        value = value if number is None else number
    if isinstance(value, int) and not isinstance(value, bool):
        if numeric and value in numeric:
            return numeric[value]
        if 0 <= value < len(allowed):
            return allowed[value]
    raise ApiError(400, [failure(prop, f"{prop} must be one of {', '.join(allowed)}")])


def parse_bool(prop: str, value: Any) -> bool:
    """A boolean given as JSON true/false, 0/1 or their strings."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in ("true", "false", "1", "0"):
        return value.strip().lower() in ("true", "1")
    raise bad_request(prop, f"{prop} must be true or false")


def parse_id(prop: str, value: Any) -> int:
    """A positive Int64 id given as a number or a numeric string."""
    if isinstance(value, str):
        value = ascii_integer(value)
    if isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_ID:
        return value
    raise bad_request(prop, f"{prop} must be a positive integer id below 2^63")


_INTEGER = re.compile(r"\s*-?[0-9]{1,19}\s*")  # ASCII digits only: int() also reads other scripts' digits


def ascii_integer(text: str) -> int | None:
    """The Int64 `text` spells in ASCII digits, or None (no 4,300-digit conversion is ever tried)."""
    if not _INTEGER.fullmatch(text):
        return None
    value = int(text)
    return value if -MAX_ID - 1 <= value <= MAX_ID else None


class IdConvertor(Convertor[int]):
    """`{id:id}` in a route path: an Int64 id. A longer number is a 400 naming `id`, where the
    database would fail on it (and `int()` past 4,300 digits), which answered 500."""

    regex = "[0-9]+"

    def convert(self, value: str) -> int:
        number = ascii_integer(value)
        if number is None:
            raise bad_request("id", "the id in the path must be an integer below 2^63")
        return number

    def to_string(self, value: int) -> str:
        return str(value)


def optional_text(prop: str, value: Any, max_length: int = MAX_TEXT_LENGTH) -> str | None:
    """A text field (None stays None): tabs and line breaks allowed, other controls not (`text_problem`)."""
    if value is None:
        return None
    if problem := text_problem(value, max_length):
        raise bad_request(prop, f"{prop} {problem}")
    return cast(str, value)  # text_problem refuses anything but text


def required_name(prop: str, value: Any) -> str:
    """A name, stripped of surrounding spaces, that `validate` would take too (`name_problem`)."""
    if value is not None and not isinstance(value, str):
        raise bad_request(prop, f"{prop} must be a string")
    if not value or not value.strip():
        raise bad_request(prop, f"{prop} is required")
    name = value.strip()
    if problem := name_problem(name):
        raise bad_request(prop, f"{prop} {problem}")
    return name


def query_int(request: Request, name: str, default: int, low: int, high: int) -> int:
    """An integer query parameter in [low, high]; 400 naming it otherwise."""
    raw = _query(request, name)
    if raw is None or raw == "":
        return default
    value = ascii_integer(raw)
    if value is None or not low <= value <= high:
        raise bad_request(name, f"{name} must be an integer between {low} and {high}")
    return value


def paging(request: Request) -> tuple[int, int]:
    """`(offset, limit)`: offset >= 0 (default 0), limit 1..MAX_LIMIT (default 20)."""
    offset = query_int(request, "offset", 0, 0, MAX_ID)
    limit = query_int(request, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT)
    return offset, limit


def query_text(request: Request, name: str) -> str | None:
    """A query parameter by case-insensitive name; None when absent or empty."""
    raw = _query(request, name)
    return raw if raw else None


def query_bool(request: Request, name: str) -> bool | None:
    """A boolean query parameter, or None when absent."""
    raw = query_text(request, name)
    return None if raw is None else parse_bool(name, raw)


def query_day(request: Request, name: str) -> str | None:
    """A YYYYMMDD (or YmdHis) query parameter as a YmdHis string; 400 if malformed."""
    raw = query_text(request, name)
    if raw is None:
        return None
    for fmt in (DAY_FORMAT, DATE_FORMAT):
        try:
            return datetime.strptime(raw, fmt).strftime(DATE_FORMAT)
        except ValueError:
            continue
    raise bad_request(name, f"{name} must be a date as YYYYMMDD")


def _query(request: Request, name: str) -> str | None:
    params = request.query_params
    if name in params:
        return params[name].strip()
    lowered = name.lower()
    for key, value in params.items():
        if key.lower() == lowered:
            return value.strip()
    return None


def parse_patch(body: dict[str, Any]) -> tuple[str, int]:
    """`{"Action": "add"|"remove", "Id": n}` (any key case) -> (action, id)."""
    collector = FailureCollector()
    action = collector.read(parse_enum, "Action", body.get("action"), (PATCH_ADD, PATCH_REMOVE))
    target = collector.read(parse_id, "Id", body.get("id"))
    collector.raise_any()
    return action, target
