"""Forgiving reading of the service's answers, shared by the codec's modules: keys in any
case, enums as numbers, digit texts or names."""

from __future__ import annotations

from typing import Any

from reconciler.errors import ReconcilerError


class WireError(ReconcilerError):
    """An answer the codec cannot read (a required key missing, an unknown enum)."""


class Keyed(dict[str, Any]):
    """A dict whose keys `keyed` has lower-cased: keying it again is free (a datapoint answer is
    read by several helpers, each of which keys what it is given)."""


class _LowerCased(dict[Any, str]):
    """Wire key -> lower-cased text, learnt as met: answers repeat a few dozen keys."""

    def __missing__(self, key: Any) -> str:
        lowered = str(key).lower()
        if len(self) < MAX_LOWERED:
            self[key] = lowered
        return lowered


MAX_LOWERED = 4096  # an answer with ever new keys lowers them each time rather than grow the table
_LOWERED = _LowerCased()


def keyed(data: Any) -> Keyed:
    """`data`'s keys lower-cased, so that any key case reads the same (`{}` for a non-object)."""
    if type(data) is Keyed:
        return data
    if not isinstance(data, dict):
        return Keyed()
    return Keyed(zip(map(_LOWERED.__getitem__, data), data.values(), strict=True))


def enum_value(table: dict[Any, str], value: Any, what: str) -> str:
    """`table`'s entry for `value` (a number, a digit text or a lower-cased name)."""
    key = value.strip().lower() if isinstance(value, str) else value
    if isinstance(key, str) and key.lstrip("-").isdigit():
        key = int(key)
    found = table.get(key)
    if found is None:
        raise WireError(f"the API answered an unknown {what} {value!r}")
    return found
