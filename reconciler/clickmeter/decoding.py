"""Forgiving reading of the service's answers, shared by the codec's modules: keys in any
case, enums as numbers, digit texts or names."""

from __future__ import annotations

from typing import Any

from reconciler.errors import ReconcilerError


class WireError(ReconcilerError):
    """An answer the codec cannot read (a required key missing, an unknown enum)."""


def keyed(data: Any) -> dict[str, Any]:
    """`data`'s keys lower-cased, so that any key case reads the same (`{}` for a non-object)."""
    if not isinstance(data, dict):
        return {}
    return {str(key).lower(): value for key, value in data.items()}


def enum_value(table: dict[Any, str], value: Any, what: str) -> str:
    """`table`'s entry for `value` (a number, a digit text or a lower-cased name)."""
    key = value.strip().lower() if isinstance(value, str) else value
    if isinstance(key, str) and key.lstrip("-").isdigit():
        key = int(key)
    found = table.get(key)
    if found is None:
        raise WireError(f"the API answered an unknown {what} {value!r}")
    return found
