"""The nested settings (destinations, expiry) as the manifests write them, and what changed in them.

Plan diffs show these values as JSON in manifest form, and export writes them so;
`details` says which destination or expiry entry a change touches, one line each
(`by_country.IT: https://a -> https://b`, `rotate[2].weight: 10 -> 20`,
`by_country.FR: added https://f`, `mode: rotate -> by_country`). Written by hand:
a few lines over two small shapes, where a general diff library would add an
import to every `plan` and paths to translate.
"""

from __future__ import annotations

import json
from typing import Any

from reconciler.model import LIST_MODES, Destinations, Expiry

NESTED_FIELDS = ("destinations", "expires")


def destinations_form(value: Destinations) -> dict[str, Any]:
    """`{"mode", "urls"}`: a list mode's urls in order (`{url, weight}` when weighted), a keyed
    mode's urls by key (the link's `url`, their default, is not among them)."""
    if value.mode in LIST_MODES:
        urls: Any = [entry.url if entry.weight is None else {"url": entry.url, "weight": entry.weight}
                     for entry in value.entries]
        return {"mode": value.mode, "urls": urls}
    if value.entries:
        return {"mode": value.mode, "urls": {entry.key: entry.url for entry in value.entries}}
    return {"mode": value.mode}


def expires_form(value: Expiry) -> dict[str, Any] | bool:
    """`false` for a link that never expires, else `{after_clicks?, on?, then}`."""
    if value == Expiry():
        return False
    form: dict[str, Any] = {"after_clicks": value.after_clicks, "on": value.on, "then": value.then}
    return {key: item for key, item in form.items() if item is not None}


def json_value(value: Any) -> Any:
    """A model value as a plan diff holds it."""
    if isinstance(value, Destinations):
        return destinations_form(value)
    if isinstance(value, Expiry):
        return expires_form(value)
    return value


def details(field: str, before: Any, after: Any) -> tuple[str, ...]:
    """Which entries of a nested field change, between two `json_value`s; () for other fields."""
    if field not in NESTED_FIELDS or not isinstance(before, dict) or not isinstance(after, dict):
        return ()
    if field == "expires":
        return tuple(_changes("expires", before, after))
    mode = after["mode"]
    if before["mode"] != mode:
        added = after.get("urls")
        return (f"mode: {before['mode']} -> {mode}", *(_changes(mode, type(added)(), added) if added else ()))
    return tuple(_changes(mode, before.get("urls"), after.get("urls")))


def _changes(path: str, before: Any, after: Any) -> list[str]:
    if isinstance(before, dict) and isinstance(after, dict):
        keys = sorted({*before, *after})
        return [line for key in keys for line in _entry(f"{path}.{key}", key, before, after)]
    if isinstance(before, list) and isinstance(after, list):
        return [line for index in range(max(len(before), len(after)))
                for line in _entry(f"{path}[{index}]", index, before, after)]
    return [] if before == after else [f"{path}: {_shown(before)} -> {_shown(after)}"]


def _entry(path: str, key: Any, before: Any, after: Any) -> list[str]:
    has_before = key in before if isinstance(before, dict) else key < len(before)
    has_after = key in after if isinstance(after, dict) else key < len(after)
    if not has_before:
        return [f"{path}: added {_shown(after[key])}"]
    if not has_after:
        return [f"{path}: removed {_shown(before[key])}"]
    return _changes(path, before[key], after[key])


def _shown(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)

