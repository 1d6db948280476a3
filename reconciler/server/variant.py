"""Which plausible live service the local server imitates, one switch per unknown.

REAL-API.md ("Not known") lists what the recordings cannot tell: whether
`_expand` works, whether an update replaces or merges, whether text enums are
accepted, whether `/count` counts deleted entities; nor do they show whether an
update writes the conversion slots it carries (no recorded update carries any). The product must work
whichever way each falls, so the server can be each of them; the default is
the service as ClickMeter's own plugin and the recordings suggest it is.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields, replace
from typing import Any, Literal

UpdateMode = Literal["replace", "merge"]
UPDATE_MODES: tuple[UpdateMode, ...] = ("replace", "merge")


class VariantError(ValueError):
    """A variant string names an unknown switch or value."""


@dataclass(frozen=True)
class ServiceVariant:
    """One answer to each unknown about the live service."""

    expand: bool = True  # `_expand=true` lists whole entities (False: it is ignored)
    updates: UpdateMode = "replace"  # an update body's missing writable fields reset (or stay: merge)
    text_enums: bool = False  # "TrackingLink"/"Active"/... accepted beside the numbers
    counts_deleted: bool = True  # `/count` without `status` counts deleted entities
    update_slots: bool = False  # an update writes its conversion slots (False: ignored, as `tags` are)

    @classmethod
    def parse(cls, text: str) -> ServiceVariant:
        """From one token: "no-expand,updates=merge,text-enums=accept,counts=without-deleted,update-slots=honour".

        Each part sets one switch; the others keep their defaults; "" or
        "default" is the default service.
        """
        variant = cls()
        for part in (p.strip() for p in text.split(",")):
            if part in ("", "default"):
                continue
            key, _, value = part.partition("=")
            variant = replace(variant, **_switch(key, value))
        return variant

    def describe(self) -> str:
        """The variant as `parse` reads it back (switches at their default left out)."""
        parts = []
        for item in fields(self):
            if getattr(self, item.name) != item.default:
                parts.append(_SPELLINGS[item.name](getattr(self, item.name)))
        return ",".join(parts) or "default"


_SPELLINGS: dict[str, Callable[[Any], str]] = {
    "expand": lambda on: "expand" if on else "no-expand",
    "updates": lambda mode: f"updates={mode}",
    "text_enums": lambda on: f"text-enums={'accept' if on else 'reject'}",
    "counts_deleted": lambda on: f"counts={'with-deleted' if on else 'without-deleted'}",
    "update_slots": lambda on: f"update-slots={'honour' if on else 'ignore'}",
}


# a variant string's switch -> (the field it sets, its values -> the field's value)
SWITCHES: dict[str, tuple[str, dict[str, Any]]] = {
    "expand": ("expand", {"": True}),
    "no-expand": ("expand", {"": False}),
    "updates": ("updates", {mode: mode for mode in UPDATE_MODES}),
    "text-enums": ("text_enums", {"accept": True, "reject": False}),
    "counts": ("counts_deleted", {"with-deleted": True, "without-deleted": False}),
    "update-slots": ("update_slots", {"honour": True, "ignore": False}),
}
KNOWN = ("no-expand, updates=replace|merge, text-enums=accept|reject, counts=with-deleted|without-deleted, "
         "update-slots=honour|ignore")


def _switch(key: str, value: str) -> dict[str, Any]:
    """The field one `key[=value]` part sets; VariantError naming the part otherwise."""
    field_name, values = SWITCHES.get(key, ("", {}))
    if value not in values:
        part = f"{key}={value}" if value else key
        raise VariantError(f"unknown service variant switch {part!r} (known: {KNOWN})")
    return {field_name: values[value]}
