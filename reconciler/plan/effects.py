"""What each item of a plan's operations makes true in the account, checked on a re-read.

Apply never trusts a lost answer or a repeated call: it re-reads the account
and asks, for each item, "is its effect there?". The same question serves
three purposes: an ambiguous write (was it applied?), a saved plan applied a
second time (what already exists as planned?) and the final verification
(did everything converge?). Expectations are built from the request bodies
themselves, in model terms (names, not ids), so they need no ids learnt during
execution: a `{"$ref": "group:NAME"}` simply means the group named NAME.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from reconciler.clickmeter import wire
from reconciler.errors import ReconcilerError
from reconciler.model import Kind, LiveState, Secret

# kind -> its collection in `LiveState` (and in the planner's by-name index)
LIVE_COLLECTIONS: dict[str, str] = {Kind.DATAPOINT: "datapoints", Kind.GROUP: "groups", Kind.CONVERSION: "conversions",
                    Kind.TAG: "tags", Kind.DOMAIN: "domains", Kind.RETARGETING: "retargeting"}


class UnknownOperationError(ReconcilerError):
    """A plan holds a call apply does not know how to check: it refuses to run it."""


class Names:
    """Id <-> name lookups over one live state, and `$ref`/`$secret` placeholders."""

    def __init__(self, live: LiveState, environ: Mapping[str, str]) -> None:
        self.live = live
        self.environ = environ
        self._by_name: dict[str, dict[str, list[Any]]] = {}

    def named(self, kind: str, name: str) -> list[Any]:
        """The live objects of `kind` called `name`, by id (an index built on first use)."""
        if kind not in self._by_name:
            index: dict[str, list[Any]] = {}
            for obj in sorted(getattr(self.live, LIVE_COLLECTIONS[kind]).values(), key=lambda o: o.id):
                index.setdefault(obj.name, []).append(obj)
            self._by_name[kind] = index
        return self._by_name[kind].get(name, [])

    def name_of(self, kind: str, reference: Any, wire_name: str | None = None) -> str:
        if isinstance(reference, dict) and "$ref" in reference:
            return str(reference["$ref"]).split(":", 1)[1]
        found = getattr(self.live, LIVE_COLLECTIONS[kind]).get(int(reference))
        if found is not None:
            return str(found.name)
        return wire_name or f"(unknown {kind} id {reference})"

    def names_of(self, kind: str, references: list[Any] | None) -> frozenset[str]:
        """Names of `[{"id"}]` / `[{"name"}]` entries (a create may give tags by name)."""
        return frozenset(self._entry_name(kind, entry) for entry in references or [])

    def _entry_name(self, kind: str, entry: Any) -> str:
        if isinstance(entry, dict) and "id" in entry:
            return self.name_of(kind, entry["id"])
        if isinstance(entry, dict) and "name" in entry:
            return str(entry["name"])
        return self.name_of(kind, entry)

    def secret(self, value: Any) -> Secret:
        if isinstance(value, dict) and "$secret" in value:
            return Secret(self.environ.get(value["$secret"], ""), env=value["$secret"])
        return Secret(str(value))


def datapoint_fields(body: dict[str, Any], names: Names) -> dict[str, Any]:
    return wire.datapoint_fields(body, names, answer=False)


def group_fields(body: dict[str, Any], names: Names) -> dict[str, Any]:
    """What a group create or update body sets (the managed keys only)."""
    fields: dict[str, Any] = {key: body[key] for key in ("name", "notes") if key in body}
    if "preferred" in body:
        fields["favourite"] = bool(body["preferred"])
    if "tags" in body:
        fields["tags"] = names.names_of(Kind.TAG, body["tags"])
    return fields


def conversion_fields(body: dict[str, Any], names: Names) -> dict[str, Any]:
    fields: dict[str, Any] = {key: body[key] for key in ("name", "value", "description") if key in body}
    if "protocol" in body:
        fields["protocol"] = wire.conversion_protocol(body["protocol"])
    return fields


def tag_fields(body: dict[str, Any], names: Names) -> dict[str, Any]:
    return {"name": body["name"]}


FIELDS: dict[Kind, Callable[[dict[str, Any], Names], dict[str, Any]]] = {
    Kind.DATAPOINT: datapoint_fields, Kind.GROUP: group_fields, Kind.CONVERSION: conversion_fields,
    Kind.TAG: tag_fields}


def _mismatches(obj: Any, fields: dict[str, Any]) -> list[str]:
    """Why `obj` is not what `fields` ask (secrets named, never shown)."""
    found = []
    for field, wanted in fields.items():
        current = getattr(obj, field)
        if isinstance(wanted, frozenset):
            current = frozenset(current or ())
        if current == wanted:
            continue
        if isinstance(wanted, Secret):
            found.append(f"{field} differs")
        else:
            found.append(f"{field} is {current!r}, expected {wanted!r}")
    return found


@dataclass(frozen=True)
class Expectation:
    """One item's effect: `kind` object `ident` (a name for a create, else an id) has `fields`,
    or is gone (`absent`), or has / lacks `member` in its set `member_field`."""

    kind: Kind
    ident: str | int
    fields: dict[str, Any] | None = None
    absent: bool = False
    member_field: str | None = None
    member: str | None = None
    member_present: bool = True

    def matches(self, names: Names) -> list[Any]:
        """The live objects this item is about (by name and type for a create)."""
        if isinstance(self.ident, int):
            found = getattr(names.live, LIVE_COLLECTIONS[self.kind]).get(self.ident)
            return [found] if found is not None else []
        wanted_type = (self.fields or {}).get("type")
        return [obj for obj in names.named(self.kind, self.ident) if wanted_type is None or obj.type == wanted_type]

    def residual(self, names: Names) -> str | None:
        """None when the effect is there; else what is not, in one line."""
        found = self.matches(names)
        what = f"{self.kind} {self.ident}" if isinstance(self.ident, str) else f"{self.kind} id {self.ident}"
        if self.absent:
            return f"{what} still exists" if found else None
        if not found:
            return f"{what} does not exist"
        if len(found) > 1:
            return f"{what} exists {len(found)} times (ids {', '.join(str(o.id) for o in found)})"
        obj = found[0]
        if self.member_field is not None:
            has = self.member in getattr(obj, self.member_field)
            if has == self.member_present:
                return None
            return f"{what} {'lacks' if self.member_present else 'still has'} {self.member_field[:-1]} {self.member}"
        problems = _mismatches(obj, self.fields or {})
        return f"{what}: {'; '.join(problems)}" if problems else None

    def created_id(self, names: Names) -> int | None:
        """The id of the one live object this create made, once it holds."""
        found = self.matches(names)
        return found[0].id if len(found) == 1 and self.residual(names) is None else None
