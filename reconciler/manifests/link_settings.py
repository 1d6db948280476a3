"""A datapoint's written settings (destinations, expiry, cloak, flags) -> their canonical model values.

Canonical so that the planner compares with `==`: keyed destinations sorted by
key, language codes lower case, country codes upper case; YAML dates already
turned to ISO text (`dates_as_text`, before the schema sees them).
"""

from __future__ import annotations

import datetime
import functools
from collections.abc import Iterator, MutableMapping
from typing import Any

from reconciler.manifests.yamldoc import LocatedMap, location
from reconciler.model import (
    DEFAULT_DESTINATION,
    KEYED_MODES,
    LINK,
    LIST_MODES,
    PAUSE,
    DatapointSpec,
    Destination,
    Destinations,
    Expiry,
    Location,
)

# Written for links only (beside url, redirect, domain, password, retargeting); for pixels only.
LINK_SETTING_KEYS = ("destinations", "expires", "forward_query", "encode_url", "cloak", "referrer")
PIXEL_ONLY = ("parameter_note",)
# Booleans and texts copied as written, for links and pixels alike (forward_query, encode_url: links).
PLAIN_KEYS = ("forward_query", "encode_url", "referrer", "anonymise_ip", "light_tracking", "public",
              "redirect_only", "parameter_note")
KEY_CASES = {"by_language": str.lower, "by_country": str.upper}
SIMPLE_DESTINATIONS = Destinations()  # one for every link declaring `url` alone (they are frozen)


def dates_as_text(document: LocatedMap) -> None:
    """`on: 2027-06-30` is a YAML date: make it the ISO text it stands for, in place.

    Only `expires.on` takes a date; anywhere else a date stays a date, and the
    schema says "quote it".
    """
    items = document.get("datapoints")
    holders = [document.get("defaults"), *(items if isinstance(items, list) else ())]
    for holder in holders:
        expires = holder.get("expires") if isinstance(holder, dict) else None
        if isinstance(expires, dict) and isinstance(on := expires.get("on"), datetime.date):
            expires["on"] = on.isoformat()


def canonical_key(mode: str, key: str) -> str:
    """A keyed mode's key as the model holds it (`it` -> `IT` by country, `DE` -> `de` by language)."""
    return key if key == DEFAULT_DESTINATION else KEY_CASES.get(mode, str)(key)


def apply_link_settings(spec: DatapointSpec, values: dict[str, Any], locations: MutableMapping[str, Location],
                        file: str) -> None:
    """Set the settings `values` declares on `spec` (its own and its file's defaults, merged).

    A link's `url` alone declares the simple mode; `destinations` sets the
    link's `url` too (the first url, or the `default`), pointing at it.
    """
    for key in PLAIN_KEYS:
        if key in values:
            setattr(spec, key, values[key])
    if spec.type == LINK:  # a pixel's destinations are reported by `checks`, not made a url
        _set_destinations(spec, values.get("destinations"), locations)
    if "expires" in values:
        spec.expires = expiry(values["expires"])
    cloak = values.get("cloak")
    if isinstance(cloak, LocatedMap):
        spec.cloak, spec.cloak_title = True, cloak["title"]
        locations["cloak_title"] = location(file, cloak.value_marks["title"])
    elif cloak is not None:
        spec.cloak = cloak


def _set_destinations(spec: DatapointSpec, written: Any, locations: MutableMapping[str, Location]) -> None:
    if isinstance(written, dict):
        spec.destinations, first = destinations(written["mode"], written["urls"])
        if spec.url is None:
            spec.url = first
            locations["url"] = locations["destinations"]
    elif spec.url is not None:
        spec.destinations = SIMPLE_DESTINATIONS


def destinations(mode: str, urls: Any) -> tuple[Destinations, str | None]:
    """The canonical `Destinations` of `mode` and the link's own url (a schema-valid `urls`)."""
    if mode in LIST_MODES and isinstance(urls, list):
        entries = tuple(_list_entries(urls))
        return Destinations(mode, entries), entries[0].url
    if mode in KEYED_MODES and isinstance(urls, dict):
        keyed = {canonical_key(mode, key): url for key, url in urls.items()}
        default = keyed.pop(DEFAULT_DESTINATION, None)
        return Destinations(mode, tuple(Destination(url, key) for key, url in sorted(keyed.items()))), default
    return Destinations(mode), None  # a list for a keyed mode or the reverse: `checks` reports it


def _list_entries(urls: list[Any]) -> Iterator[Destination]:
    for entry in urls:
        if isinstance(entry, dict):
            weight = entry.get("weight")
            yield Destination(entry["url"], weight=None if weight is None else int(weight))
        else:
            yield Destination(entry)


def expiry(written: Any) -> Expiry:
    """`expires: false` -> `Expiry()` (never); a mapping -> its values, `then` defaulting to pause."""
    if not isinstance(written, dict):
        return NEVER
    clicks = written.get("after_clicks")
    return _shared_expiry(None if clicks is None else int(clicks), written.get("on"), written.get("then", PAUSE))


NEVER = Expiry()


@functools.lru_cache(maxsize=4096)
def _shared_expiry(after_clicks: int | None, on: str | None, then: str) -> Expiry:
    """One `Expiry` per distinct value: a file's defaults give every datapoint the same one."""
    return Expiry(after_clicks, on, then)
