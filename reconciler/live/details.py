"""Which datapoints a read must see whole when lists are not expanded.

Summary rows and side lists give most fields; a redirect, a password and the
link settings only come with one GET per datapoint. These say which
datapoints need it: those whose manifests declare such a field (a plan), and
those whose planned bodies write one (the re-read after apply).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from reconciler.clickmeter import link_settings, wire
from reconciler.clickmeter.link_settings import SIMPLE_DESTINATIONS
from reconciler.model import LINK_SETTINGS, PIXEL_SETTINGS, DatapointSpec, DesiredState

# what neither summary rows nor side lists give: the redirect, the password and every setting
DETAIL_FIELDS = ("redirect", "password", *LINK_SETTINGS, *PIXEL_SETTINGS)
DETAIL_LINK_KEYS = frozenset({"redirecttype", "password"}) | link_settings.LINK_SETTING_KEYS
DETAIL_TOP_KEYS = frozenset(key.lower() for key in link_settings.TOP_LEVEL_FLAG_KEYS.values()) | {"typetp"}


def _declares_details(spec: DatapointSpec) -> bool:
    """Whether `spec` declares a field only a GET shows. The simple mode that a bare `url`
    declares is not one: summary rows would then cost a GET per link; a link switched to
    another mode outside the manifests is seen only where lists are expanded."""
    return any(getattr(spec, name) is not None for name in DETAIL_FIELDS
               if name != "destinations" or spec.destinations != SIMPLE_DESTINATIONS)


def details_of(desired: DesiredState) -> set[str | int]:
    """The datapoints (by name, old names and pinned id) whose declared fields need a GET when
    lists are not expanded."""
    found: set[str | int] = set()
    for spec in desired.datapoints.values():
        if _declares_details(spec):
            found |= {spec.name, *spec.renamed_from} | ({spec.id} if spec.id is not None else set())
    return found


def details_of_bodies(bodies: Iterable[Any]) -> set[str | int]:
    """The datapoints (by name for a create, by id for an update) whose planned bodies set a
    redirect, a password or a setting: what a re-read after apply must see."""
    found: set[str | int] = set()
    for body in bodies:
        entity = wire.keyed(body)
        if DETAIL_LINK_KEYS & set(wire.keyed(entity.get("typetl"))) or DETAIL_TOP_KEYS & set(entity):
            found.add(int(entity["id"]) if "id" in entity else str(entity.get("name")))
    return found
