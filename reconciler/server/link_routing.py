"""Which url one click on a link goes to: first its expiry, then its destination mode.

* rotate: `RandomDestination` draws a url, `WeightedDestination` draws by weight;
  the draw comes from `random.Random(f"{seed}/{link id}/{click number}")` when
  the server has a seed (`serve --seed N`), so a seeded run repeats click by click;
* `SequentialDestination`: click k (from 0) goes to url k mod n;
* `SpilloverDestination`: every SPILLOVER_CLICKS clicks move on to the next
  url, and the last keeps the rest (the API's items carry no click limit);
* `DestinationByLanguage`: the `Accept-Language` tags by q-value (q=0 never),
  compared by primary subtag (`de-CH` is `de`); `DestinationByNation`: the
  COUNTRY_HEADER request header (the local server has no GeoIP);
  `BrowserDestination`: the user agent's class (`visitors.device_of`);
  `UniqueDestination`: a visitor's first click on the link; each falls back to
  the link's own url (the default), as Simple and DynamicUrl always go there.

A link past `expirationClicks` clicks or its `expirationDate` goes to that
expiry's url, or is paused (None) when it has none.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from reconciler.apishapes import BROWSER_DESTINATION_KEYS, FIRST_DESTINATION_KEY

SPILLOVER_CLICKS = 10  # clicks each spillover url takes before the next one does
COUNTRY_HEADER = "X-Country"  # the visitor's country, ISO 3166-1 alpha-2, for DestinationByNation
DEVICE_KEYS = dict(zip(("mobile", "email", "spider"), BROWSER_DESTINATION_KEYS, strict=True))


@dataclass(frozen=True)
class Click:
    """What one request brings that a link's behaviour depends on."""

    number: int  # the clicks the link answered before this one
    at: str  # YmdHis
    languages: tuple[str, ...]  # primary language subtags, most preferred first
    country: str | None  # upper-case, from COUNTRY_HEADER
    device: str | None  # `visitors.device_of`
    first_visit: Callable[[], bool]  # the visitor's first click on the link (asked only when needed)
    draw: random.Random


def preferred_languages(header: str) -> tuple[str, ...]:
    """The primary subtags of an `Accept-Language` header by q-value, ties in header order."""
    ranked = []
    for position, part in enumerate(header.split(",")):
        tag, *parameters = part.split(";")
        quality = 1.0
        for parameter in parameters:
            name, _, value = parameter.partition("=")
            if name.strip().lower() == "q":
                quality = _quality(value)
        primary = tag.strip().split("-")[0].lower()
        if primary and primary != "*" and quality > 0:
            ranked.append((-quality, position, primary))
    return tuple(primary for _, _, primary in sorted(ranked))


def _quality(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        return 0.0
    return value if 0 <= value <= 1 else 0.0


def destination(link: Any, click: Click) -> str | None:
    """The url this click goes to; None when the link has expired into a pause."""
    expired, fallback = _expiry(link, click)
    if expired:
        return fallback
    choose = CHOOSERS.get(link["destination_mode"])
    if choose is None or link["destination_items"] is None:
        return str(link["url"])
    return choose(json.loads(link["destination_items"]), click) or str(link["url"])


def _expiry(link: Any, click: Click) -> tuple[bool, str | None]:
    """(expired, the url to send to instead: None pauses)."""
    if link["expiration_clicks"] is not None and click.number >= link["expiration_clicks"]:
        return True, link["url_after_clicks"]
    if link["expiration_date"] is not None and click.at >= link["expiration_date"]:
        return True, link["url_after_date"]
    return False, None


def _random(items: list[dict[str, Any]], click: Click) -> str:
    return str(click.draw.choice(items)["url"])


def _weighted(items: list[dict[str, Any]], click: Click) -> str:
    return str(click.draw.choices(items, weights=[item["weight"] for item in items])[0]["url"])


def _sequential(items: list[dict[str, Any]], click: Click) -> str:
    return str(items[click.number % len(items)]["url"])


def _spillover(items: list[dict[str, Any]], click: Click) -> str:
    return str(items[min(click.number // SPILLOVER_CLICKS, len(items) - 1)]["url"])


def _by_language(items: list[dict[str, Any]], click: Click) -> str | None:
    urls = {item["languageCode"]: item["url"] for item in items}
    return next((urls[language] for language in click.languages if language in urls), None)


def _by_nation(items: list[dict[str, Any]], click: Click) -> str | None:
    return next((item["url"] for item in items if item["nation"] == click.country), None)


def _by_device(urls: dict[str, str], click: Click) -> str | None:
    return urls.get(DEVICE_KEYS[click.device]) if click.device else None


def _first_click(urls: dict[str, str], click: Click) -> str | None:
    return urls.get(FIRST_DESTINATION_KEY) if click.first_visit() else None


CHOOSERS: dict[str, Callable[[Any, Click], str | None]] = {
    "RandomDestination": _random,
    "WeightedDestination": _weighted,
    "SequentialDestination": _sequential,
    "SpilloverDestination": _spillover,
    "DestinationByLanguage": _by_language,
    "DestinationByNation": _by_nation,
    "BrowserDestination": _by_device,
    "UniqueDestination": _first_click,
}
