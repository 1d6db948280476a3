"""The datapoint settings of issue 12 on the wire, both ways (`docs/client-wire.md`).

Decoding forgives like the rest of the codec: enums as numbers or names, keys in
any case, a property left out (or 0, "", null) at its default. Only the current
destination mode's items key is read, whatever others linger from an earlier
mode. Encoding sends numbers, the mode's items key only, and every expiry key
(nulls and falses for the unused ones), so that a whole-entity update laid over
the live entity leaves nothing of the previous expiry behind.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from reconciler import apishapes as api
from reconciler.clickmeter.decoding import WireError, enum_value, keyed
from reconciler.model import (
    DEVICES,
    FIRST_CLICK,
    PAUSE,
    REFERRERS,
    SIMPLE,
    Destination,
    Destinations,
    Expiry,
)

SIMPLE_DESTINATIONS, NEVER = Destinations(), Expiry()  # shared: most links have these
DYNAMIC_URL = "dynamic_url"  # read, never written: no manifest can declare it
# wire mode name -> model mode (a weighted rotation is `rotate` with weights)
MODES = {"Simple": SIMPLE, "RandomDestination": "rotate", "WeightedDestination": "rotate",
         "SequentialDestination": "sequence", "SpilloverDestination": "spillover",
         "DestinationByLanguage": "by_language", "DestinationByNation": "by_country",
         "BrowserDestination": "by_device", "UniqueDestination": "first_click", "DynamicUrl": DYNAMIC_URL}
WIRE_MODES = {"sequence": "SequentialDestination", "spillover": "SpilloverDestination",
              "by_language": "DestinationByLanguage", "by_country": "DestinationByNation",
              "by_device": "BrowserDestination", "first_click": "UniqueDestination"}
_MODE_NAMES = {name.lower(): name for name in api.DESTINATION_MODES} | {
    code: name for name, code in api.DESTINATION_MODE_CODES.items()}
DEVICE_KEYS = dict(zip(DEVICES, api.BROWSER_DESTINATION_KEYS, strict=True))  # mobile -> mobileDestinationUrl
# keyed modes with item lists: the key each item holds its code in, and that code's canonical case
CODE_KEYS = {"DestinationByLanguage": ("languageCode", str.lower), "DestinationByNation": ("nation", str.upper)}
REFERRER_CODES = dict(zip(REFERRERS, range(len(api.REFERRER_CLEANING)), strict=True))  # keep 0, clean 1, myself 2
_REFERRERS = {code: referrer for referrer, code in REFERRER_CODES.items()} | {
    name.lower(): referrer for name, referrer in zip(api.REFERRER_CLEANING, REFERRERS, strict=True)}

EXPIRY_KEYS = ("expirationClicks", "expirationDate", "pauseAfterClicksExpiration", "pauseAfterDateExpiration",
               "urlAfterClicksExpiration", "urlAfterDateExpiration")
# model field -> wire key, for the plain flags and texts: in typeTL, at the top level, in typeTP
LINK_FLAG_KEYS = {"forward_query": "appendQuery", "encode_url": "encodeUrl", "cloak": "hideUrl",
                  "cloak_title": "hideUrlTitle"}
TOP_LEVEL_FLAG_KEYS = {"anonymise_ip": "encodeIp", "light_tracking": "lightTracking", "public": "isPublic",
                       "redirect_only": "redirectOnly"}
PIXEL_KEYS = {"parameter_note": "parameterNote"}
# lower-cased typeTL keys whose presence in a body means it writes a setting
LINK_SETTING_KEYS = frozenset(key.lower() for key in (
    "destinationMode", "referrerClean", *EXPIRY_KEYS, *LINK_FLAG_KEYS.values()))


# ------------------------------------------------------------------ decoding


def link_settings(link: dict[str, Any]) -> dict[str, Any]:
    """The link settings whose keys a `typeTL` (keys lower-cased) has: in an answer the
    others are at their default, which is `LiveDatapoint`'s; in a request body they are
    not written."""
    fields: dict[str, Any] = {}
    if "destinationmode" in link:
        fields["destinations"] = destinations(link)
    if not LINK_SETTING_KEYS.isdisjoint(link):
        if any(key.lower() in link for key in EXPIRY_KEYS):
            fields["expires"] = expiry(link)
        for field, key in LINK_FLAG_KEYS.items():
            if key.lower() in link:
                value = link[key.lower()]
                fields[field] = (value or None) if field == "cloak_title" else bool(value)
        if "referrerclean" in link:
            value = link["referrerclean"]
            fields["referrer"] = REFERRERS[0] if value is None else enum_value(_REFERRERS, value, "referrerClean")
    return fields


def top_level_settings(entity: dict[str, Any]) -> dict[str, Any]:
    """The flags a datapoint (keys lower-cased) has at its top level, and a pixel's `typeTP` note."""
    fields: dict[str, Any] = {field: bool(entity[key.lower()]) for field, key in TOP_LEVEL_FLAG_KEYS.items()
              if key.lower() in entity}
    pixel = keyed(entity.get("typetp"))
    if "parameternote" in pixel:
        fields["parameter_note"] = pixel["parameternote"] or None
    return fields


def destinations(link: dict[str, Any]) -> Destinations:
    """A `typeTL`'s mode and its current items; absent mode = simple."""
    mode_value = link.get("destinationmode")
    name = "Simple" if mode_value is None else enum_value(_MODE_NAMES, mode_value, "destinationMode")
    mode = MODES[name]
    if mode == SIMPLE:
        return SIMPLE_DESTINATIONS
    if mode == DYNAMIC_URL:
        return Destinations(mode)
    items = link.get(api.DESTINATION_ITEM_KEYS[name].lower())
    if name == "BrowserDestination":
        device = keyed(items)
        entries = [Destination(url, key) for key, wire_key in DEVICE_KEYS.items()
                   if (url := device.get(wire_key.lower()))]
    elif name == "UniqueDestination":
        first = keyed(items).get(api.FIRST_DESTINATION_KEY.lower())
        entries = [Destination(first, FIRST_CLICK)] if first else []
    elif name in CODE_KEYS:
        code_key, case = CODE_KEYS[name]
        entries = [Destination(item["url"], case(str(item[code_key.lower()])))
                   for item in map(keyed, items or []) if item.get("url") and item.get(code_key.lower())]
    else:
        weighted = name == "WeightedDestination"
        return Destinations(mode, tuple(Destination(item["url"], weight=int(item["weight"]) if weighted else None)
                                        for item in map(keyed, items or []) if item.get("url")))
    return Destinations(mode, tuple(sorted(entries, key=lambda entry: entry.key or "")))


def expiry(link: dict[str, Any]) -> Expiry:
    """A `typeTL`'s expiry; no clicks and no date (or 0, "", null) never expires."""
    clicks = link.get("expirationclicks") or None
    on = iso_date(link.get("expirationdate"))
    if clicks is None and on is None:
        return NEVER
    urls = [link.get(f"urlafter{what}expiration") for what, value in (("clicks", clicks), ("date", on))
            if value is not None and not link.get(f"pauseafter{what}expiration")]
    return Expiry(None if clicks is None else int(clicks), on, next((url for url in urls if url), PAUSE))


def iso_date(value: Any) -> str | None:
    """`20270630000000` -> `2027-06-30`, `20270630120000` -> `2027-06-30T12:00:00`; an ISO
    text as it is; empty = none."""
    if not value:
        return None
    text = str(value).strip()
    try:
        moment = datetime.strptime(text, api.DATE_FORMAT) if text.isdigit() else datetime.fromisoformat(text)
    except ValueError:
        raise WireError(f"the API answered an unreadable expirationDate {value!r}") from None
    if moment.time() == datetime.min.time() and (text.isdigit() or "T" not in text):
        return moment.date().isoformat()
    return moment.replace(tzinfo=None).isoformat()


# ------------------------------------------------------------------ encoding


def destinations_keys(value: Destinations) -> dict[str, Any]:
    """`destinationMode` and the mode's items key (the link's `url` is sent on its own)."""
    weighted = value.mode == "rotate" and any(entry.weight is not None for entry in value.entries)
    name = ("WeightedDestination" if weighted else "RandomDestination") if value.mode == "rotate" \
        else WIRE_MODES.get(value.mode, "Simple")
    keys: dict[str, Any] = {"destinationMode": api.DESTINATION_MODE_CODES[name]}
    if name == "Simple":
        return keys
    entries = value.entries
    if name == "BrowserDestination":
        items: Any = {DEVICE_KEYS[entry.key or ""]: entry.url for entry in entries}
    elif name == "UniqueDestination":
        items = {api.FIRST_DESTINATION_KEY: entries[0].url} if entries else {}
    elif name in CODE_KEYS:
        items = [{CODE_KEYS[name][0]: entry.key, "url": entry.url} for entry in entries]
    else:
        items = [{"url": entry.url} | ({"weight": entry.weight} if weighted else {}) for entry in entries]
    return keys | {api.DESTINATION_ITEM_KEYS[name]: items}


def expiry_keys(value: Expiry) -> dict[str, Any]:
    """Every expiry key: the unused ones null or false, so nothing of an earlier expiry stays."""
    keys: dict[str, Any] = {"expirationClicks": value.after_clicks, "expirationDate": wire_date(value.on)}
    for what, set_ in (("Clicks", value.after_clicks is not None), ("Date", value.on is not None)):
        keys[f"pauseAfter{what}Expiration"] = set_ and value.then == PAUSE
        keys[f"urlAfter{what}Expiration"] = value.then if set_ and value.then != PAUSE else None
    return keys


def wire_date(on: str | None) -> str | None:
    """`2027-06-30` -> `20270630000000` (YmdHis, as every date in the API)."""
    if on is None:
        return None
    moment = datetime.fromisoformat(on)  # strftime's %Y does not pad years before 1000
    return f"{moment.year:04d}{moment:%m%d%H%M%S}"


def link_setting_keys(field: str, value: Any) -> dict[str, Any]:
    """The `typeTL` keys of one link setting (by model field)."""
    if field == "destinations":
        return destinations_keys(value)
    if field == "expires":
        return expiry_keys(value)
    if field == "referrer":
        return {"referrerClean": REFERRER_CODES[value]}
    return {LINK_FLAG_KEYS[field]: value}
