"""Where a link sends its visitors: `typeTL.destinationMode` and that mode's items.

Read from a body in any key case, each item checked with a 400 naming it
(`typeTL.urlsByNation[1].nation`), every url by `apishapes.url_problem`;
language codes are kept lower-case, country codes upper-case (two letters:
the ISO tables are `validate`'s). Stored as the JSON the answer carries under
the mode's key (`DESTINATION_ITEM_KEYS`), so an answer is what was written,
normalised. A body's item keys of other modes are checked and not kept.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from reconciler.apishapes import (
    BROWSER_DESTINATION_KEYS,
    DESTINATION_ITEM_KEYS,
    DESTINATION_MODE_CODES,
    DESTINATION_MODES,
    FIRST_DESTINATION_KEY,
)
from reconciler.server.link_settings import optional_url
from reconciler.server.requests import FailureCollector, ascii_integer, parse_enum
from reconciler.server.responses import ApiError, bad_request, failure

SIMPLE = DESTINATION_MODES[0]
MODE_PROP = "typeTL.destinationMode"
MAX_WEIGHT = 2 ** 31 - 1  # WeightedDestinationItem.weight is an int32
TWO_LETTERS = re.compile("[A-Za-z]{2}")
Items = list[dict[str, Any]] | dict[str, str]


def _url(prop: str, value: Any) -> str:
    url = optional_url(prop, value)
    if url is None:
        raise bad_request(prop, f"{prop} is required")
    return url


def _weight(prop: str, value: Any) -> int:
    number = ascii_integer(value) if isinstance(value, str) else value
    if isinstance(number, int) and not isinstance(number, bool) and 0 < number <= MAX_WEIGHT:
        return number
    raise bad_request(prop, f"{prop} must be a whole number from 1 to {MAX_WEIGHT}")


def _code(upper: bool) -> Callable[[str, Any], str]:
    def read(prop: str, value: Any) -> str:
        if isinstance(value, str) and TWO_LETTERS.fullmatch(value.strip()):
            return value.strip().upper() if upper else value.strip().lower()
        raise bad_request(prop, f"{prop} must be a two-letter code")
    return read


# mode -> the item's (wire key, reader) pairs, for the modes whose items are a list
LIST_ITEMS: dict[str, tuple[tuple[str, Callable[[str, Any], Any]], ...]] = {
    "RandomDestination": (("url", _url),),
    "SpilloverDestination": (("url", _url),),
    "SequentialDestination": (("url", _url),),
    "WeightedDestination": (("url", _url), ("weight", _weight)),
    "DestinationByLanguage": (("languageCode", _code(upper=False)), ("url", _url)),
    "DestinationByNation": (("nation", _code(upper=True)), ("url", _url)),
}
CODE_KEYS = {"DestinationByLanguage": "languageCode", "DestinationByNation": "nation"}
# mode -> the keys of its one item, for the modes whose item is an object of urls
OBJECT_ITEMS = {"BrowserDestination": BROWSER_DESTINATION_KEYS, "UniqueDestination": (FIRST_DESTINATION_KEY,)}


def read_destinations(link: dict[str, Any], collector: FailureCollector) -> tuple[str | None, dict[str, str]]:
    """(the mode a key-folded `typeTL` gives, or None; mode -> its items as stored JSON)."""
    mode = None
    if "destinationmode" in link:
        mode = collector.read(parse_enum, MODE_PROP, link["destinationmode"], DESTINATION_MODES)
    items = {}
    for item_mode, key in DESTINATION_ITEM_KEYS.items():
        if key.lower() in link and link[key.lower()] is not None:
            read = collector.read(_read_items, item_mode, f"typeTL.{key}", link[key.lower()])
            if read is not None:
                items[item_mode] = json.dumps(read)
    return mode, items


def _read_items(mode: str, prop: str, value: Any) -> Items:
    if mode in OBJECT_ITEMS:
        return _object_item(OBJECT_ITEMS[mode], prop, value)
    if not isinstance(value, list) or not value:
        raise bad_request(prop, f"{prop} must be a non-empty list")
    collector = FailureCollector()
    entries = [collector.read(_list_item, LIST_ITEMS[mode], f"{prop}[{index}]", item)
               for index, item in enumerate(value)]
    collector.raise_any()
    code_key = CODE_KEYS.get(mode)
    if code_key is not None:
        codes = [entry[code_key] for entry in entries]
        for index, code in enumerate(codes):
            if code in codes[:index]:
                raise bad_request(f"{prop}[{index}].{code_key}", f"{prop}[{index}].{code_key} repeats {code}")
    return entries


def _list_item(fields: tuple[tuple[str, Callable[[str, Any], Any]], ...], prop: str,
               item: Any) -> dict[str, Any]:
    if not isinstance(item, dict):
        raise bad_request(prop, f"{prop} must be an object")
    collector = FailureCollector()
    entry = {key: collector.read(read, f"{prop}.{key}", item.get(key.lower())) for key, read in fields}
    collector.raise_any()
    return entry


def _object_item(keys: tuple[str, ...], prop: str, value: Any) -> dict[str, str]:
    if not isinstance(value, dict):
        raise bad_request(prop, f"{prop} must be an object")
    collector = FailureCollector()
    urls = {key: collector.read(optional_url, f"{prop}.{key}", value.get(key.lower())) for key in keys}
    collector.raise_any()
    found = {key: url for key, url in urls.items() if url is not None}
    if not found:
        raise bad_request(prop, f"{prop} needs at least one of {', '.join(keys)}")
    return found


def settle_destinations(columns: dict[str, Any], given_items: dict[str, str], current_mode: str) -> None:
    """Put the items of the mode the datapoint will have in `columns` (`destination_items`).

    A mode given (or reset, by a create or a replacing update) takes its items
    from the body, where a mode with items needs them (400 naming the key); a
    kept mode takes its items when the body gives them, and keeps its own otherwise.
    """
    mode = columns.get("destination_mode", current_mode)
    if mode in given_items:
        columns["destination_items"] = given_items[mode]
    elif "destination_mode" in columns:
        if mode in DESTINATION_ITEM_KEYS:
            prop = f"typeTL.{DESTINATION_ITEM_KEYS[mode]}"
            raise ApiError(400, [failure(prop, f"{prop} is required when {MODE_PROP} is "
                                         f"{DESTINATION_MODE_CODES[mode]} ({mode})")])
        columns["destination_items"] = None


def answer_destinations(row: Any) -> dict[str, Any]:
    """The `typeTL` properties of a row's destinations: none for Simple (the default)."""
    mode = row["destination_mode"]
    if mode == SIMPLE:
        return {}
    answer: dict[str, Any] = {"destinationMode": DESTINATION_MODE_CODES[mode]}
    if row["destination_items"] is not None:
        answer[DESTINATION_ITEM_KEYS[mode]] = json.loads(row["destination_items"])
    return answer
