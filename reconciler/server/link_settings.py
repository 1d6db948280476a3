"""A datapoint's behaviour settings beside its destinations: expiry, query forwarding, url
encoding, cloaking, referrer cleaning and the top-level tracking flags (ISSUE12 "On the wire").

One table, `SETTINGS`, says for each where it is on the wire, which column holds it, how a
body's value is read (any key case, 400 naming the property) and its default, which an
answer leaves out (REAL-API 1). Destinations are `destination_items.py`'s.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from reconciler.apishapes import DATE_FORMAT, DAY_FORMAT, MAX_ID, REFERRER_CLEANING, url_problem
from reconciler.server.requests import ascii_integer, optional_text, parse_bool, parse_enum
from reconciler.server.responses import bad_request

LINK_PART = "typeTL"


def _clicks(prop: str, value: Any) -> int | None:
    """A click count; 0, "" and null mean "never" (None), as an answer without it does."""
    number = ascii_integer(value) if isinstance(value, str) and value.strip() else value
    if value is None or value == "" or number == 0:
        return None
    if isinstance(number, int) and not isinstance(number, bool) and 0 < number <= MAX_ID:
        return number
    raise bad_request(prop, f"{prop} must be a whole number of clicks from 0 (never) to 2^63-1")


def _ymdhis(prop: str, value: Any) -> str | None:
    """A date as YmdHis (a YYYYMMDD day is its midnight); "" and null mean "never"."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        for fmt in (DATE_FORMAT, DAY_FORMAT):
            try:
                return datetime.strptime(value.strip(), fmt).strftime(DATE_FORMAT)
            except ValueError:
                continue
    raise bad_request(prop, f"{prop} must be a date as YYYYMMDDHHmmss")


def optional_url(prop: str, value: Any) -> str | None:
    """A destination url (`apishapes.url_problem`), or None for null / ""."""
    if value is None or value == "":
        return None
    if problem := url_problem(value):
        raise bad_request(prop, f"{prop} {problem}")
    return cast(str, value)  # url_problem refuses anything but text


def _title(prop: str, value: Any) -> str | None:
    return optional_text(prop, value) or None


def _referrer(prop: str, value: Any) -> str:
    return parse_enum(prop, value, REFERRER_CLEANING)


@dataclass(frozen=True)
class Setting:
    """One setting: its wire property (`typeTL.appendQuery`, `encodeIp`), column, reader, default."""

    prop: str
    column: str
    read: Callable[[str, Any], Any] = parse_bool
    default: Any = False
    answer: Callable[[Any], Any] = bool

    @property
    def part(self) -> str | None:
        """`typeTL` for a link's setting, None for a top-level one."""
        return LINK_PART if self.prop.startswith(f"{LINK_PART}.") else None

    @property
    def key(self) -> str:
        """The property's own name, as answered."""
        return self.prop.rpartition(".")[2]


SETTINGS = (
    Setting("typeTL.expirationClicks", "expiration_clicks", _clicks, None, int),
    Setting("typeTL.expirationDate", "expiration_date", _ymdhis, None, str),
    Setting("typeTL.pauseAfterClicksExpiration", "pause_after_clicks"),
    Setting("typeTL.pauseAfterDateExpiration", "pause_after_date"),
    Setting("typeTL.urlAfterClicksExpiration", "url_after_clicks", optional_url, None, str),
    Setting("typeTL.urlAfterDateExpiration", "url_after_date", optional_url, None, str),
    Setting("typeTL.appendQuery", "append_query"),
    Setting("typeTL.encodeUrl", "encode_url"),
    Setting("typeTL.hideUrl", "hide_url"),
    Setting("typeTL.hideUrlTitle", "hide_url_title", _title, None, str),
    Setting("typeTL.referrerClean", "referrer_clean", _referrer, REFERRER_CLEANING[0],
            REFERRER_CLEANING.index),
    Setting("encodeIp", "encode_ip"),
    Setting("lightTracking", "light_tracking"),
    Setting("isPublic", "is_public"),
    Setting("redirectOnly", "redirect_only"),
)
SETTING_DEFAULTS = {setting.column: setting.default for setting in SETTINGS}
LINK_SETTING_COLUMNS = tuple(setting.column for setting in SETTINGS if setting.part == LINK_PART)
# (column, answered key, default, answer, whether typeTL holds it) once: `answer_settings` runs
# for every row of every page, and the properties above would be worked out 30 times a row.
_ANSWERED = tuple((setting.column, setting.key, setting.default, setting.answer, setting.part is not None)
                  for setting in SETTINGS)


def read_settings(body: dict[str, Any], read: Callable[..., Any]) -> dict[str, Any]:
    """The columns of the settings a (key-folded) body gives; `read(reader, prop, value)` runs
    each reader (a `FailureCollector.read`, so that every problem is reported at once)."""
    link = body.get(LINK_PART.lower())
    columns = {}
    for setting in SETTINGS:
        given = link if setting.part else body
        key = setting.key.lower()
        if isinstance(given, dict) and key in given:
            columns[setting.column] = read(setting.read, setting.prop, given[key])
    return columns


def answer_settings(row: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """(top-level, typeTL) properties of the settings a datapoint row holds, defaults left out."""
    top: dict[str, Any] = {}
    link: dict[str, Any] = {}
    for column, key, default, answer, in_link in _ANSWERED:
        value = row[column]
        if value is not None and value != default:
            (link if in_link else top)[key] = answer(value)
    return top, link
