"""One class per kind of API call a plan makes: its body, the plan items it covers, and what it
makes true (its expectations), in the spirit of octoDNS's change classes.

A saved plan still holds `method`, `path` (the openapi template), `params`, `body`, `items` and
`creates`; (method, path) names the class an operation is read back into.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from reconciler import apishapes as api
from reconciler.clickmeter import wire
from reconciler.model import Kind, LiveState
from reconciler.plan.effects import FIELDS, Expectation, Names, UnknownOperationError


@dataclass(frozen=True, slots=True)
class Operation:
    """One HTTP call. `items` names the objects (`kind:name`) it covers, in body order for a
    batch (entry i of `list`/`entities`/`patchRequests` is `items[i]`); `creates` names those
    whose new id the answer carries."""

    METHOD: ClassVar[str]
    PATH: ClassVar[str]
    KIND: ClassVar[Kind]  # the kind of object the items are
    BATCH_KEY: ClassVar[str | None] = None  # the key of a batch body's entries
    WHOLE_UPDATE: ClassVar[bool] = False  # sent as the entity re-read, the planned fields laid over it

    params: dict[str, Any]
    body: Any
    items: tuple[str, ...]
    creates: tuple[str, ...] = ()
    # `planned_expectations` under one environment: planning, checking and verifying each ask,
    # and at 10,000 datapoints working them out is worth doing once
    _planned: dict[frozenset[tuple[str, str]], list[Expectation]] = field(
        default_factory=dict, init=False, repr=False, compare=False)

    @property
    def method(self) -> str:
        return self.METHOD

    @property
    def path(self) -> str:
        return self.PATH

    def entries(self) -> list[tuple[str, Any]]:
        """(item key, body entry) pairs: a batch's entries in body order, or the one body."""
        if self.BATCH_KEY is None:
            return [(self.items[0], self.body)]
        entries = wire.batch_entries(self.body)
        if entries is None:
            raise ValueError(f"not a batch body: no {self.BATCH_KEY!r} list")
        if len(entries) != len(self.items):
            raise ValueError(f"{len(entries)} body entries for {len(self.items)} items")
        return list(zip(self.items, entries, strict=True))

    def body_for(self, filled: list[Any]) -> Any:
        """The body sent for these (filled) entries: a batch carries only them."""
        return {next(iter(self.body)): filled} if self.BATCH_KEY is not None else filled[0]

    def results(self, answer: Any, sent: int) -> list[wire.BatchResult]:
        """What the answer says of each of the `sent` entries: a batch answer's items, else the
        whole call's outcome (with the id a create's answer carries)."""
        found = wire.batch_results(answer)
        if found is not None:
            return found
        ident = answer.get("id") if isinstance(answer, dict) else None
        return [wire.BatchResult(True, None if ident is None else int(ident))] * sent

    def updated_id(self, params: dict[str, Any], entry: Any) -> int:
        """The id of the entity an update entry changes (`params` filled)."""
        return int(next(iter(params.values())))

    def wave_key(self) -> tuple[str, str, str]:
        """Calls with equal keys are independent of each other (a removal and an addition are
        not: a datapoint holds at most five conversions, so removals go first)."""
        return self.METHOD, self.PATH, wire.patch_action(self.body)

    def expectations(self, names: Names) -> list[Expectation]:
        """One expectation per item, in `items` order."""
        raise NotImplementedError

    def planned_expectations(self, environ: Mapping[str, str]) -> list[Expectation]:
        """`expectations` as the bodies alone say them (no live state: ids stay unnamed)."""
        key = frozenset(environ.items())
        if key not in self._planned:
            self._planned.clear()
            self._planned[key] = self.expectations(Names(LiveState(), environ))
        return self._planned[key]

    def to_document(self) -> dict[str, Any]:
        return {"method": self.METHOD, "path": self.PATH, "params": self.params, "body": self.body,
                "items": list(self.items), "creates": list(self.creates)}


class _Create(Operation):
    __slots__ = ()

    def expectations(self, names: Names) -> list[Expectation]:
        return [Expectation(self.KIND, body["name"], FIELDS[self.KIND](body, names)) for _, body in self.entries()]


class _Update(Operation):
    __slots__ = ()
    WHOLE_UPDATE = True

    def expectations(self, names: Names) -> list[Expectation]:
        return [Expectation(self.KIND, self.updated_id(self.params, body), FIELDS[self.KIND](body, names))
                for _, body in self.entries()]


class TagCreate(_Create):
    __slots__ = ()
    METHOD, PATH, KIND = "POST", "/tags", Kind.TAG


class GroupCreate(_Create):
    __slots__ = ()
    METHOD, PATH, KIND = "POST", "/groups", Kind.GROUP


class GroupUpdate(_Update):
    __slots__ = ()
    METHOD, PATH, KIND = "POST", "/groups/{id}", Kind.GROUP


class ConversionCreate(_Create):
    __slots__ = ()
    METHOD, PATH, KIND = "POST", "/conversions", Kind.CONVERSION


class ConversionUpdate(_Update):
    __slots__ = ()
    METHOD, PATH, KIND = "POST", "/conversions/{conversionId}", Kind.CONVERSION


class DatapointBatchCreate(_Create):
    __slots__ = ()
    METHOD, PATH, KIND, BATCH_KEY = "PUT", "/datapoints/batch", Kind.DATAPOINT, "list"


class DatapointBatchUpdate(_Update):
    __slots__ = ()
    METHOD, PATH, KIND, BATCH_KEY = "POST", "/datapoints/batch", Kind.DATAPOINT, "list"

    def updated_id(self, params: dict[str, Any], entry: Any) -> int:
        return int(wire.keyed(entry)["id"])


class DatapointBatchDelete(Operation):
    __slots__ = ()
    METHOD, PATH, KIND, BATCH_KEY = "DELETE", "/datapoints/batch", Kind.DATAPOINT, "entities"

    def expectations(self, names: Names) -> list[Expectation]:
        return [Expectation(Kind.DATAPOINT, int(body["id"]), absent=True) for _, body in self.entries()]


class _Membership(Operation):
    """Adds an object to, or removes it from, the set `FIELD` of the `MEMBER` named in the path."""

    __slots__ = ()
    FIELD: ClassVar[str]
    MEMBER: ClassVar[Kind]

    def expectations(self, names: Names) -> list[Expectation]:
        member = names.name_of(self.MEMBER, next(iter(self.params.values())))
        return [Expectation(self.KIND, int(wire.keyed(body)["id"]), member_field=self.FIELD, member=member,
                            member_present=wire.patch_action(body) == api.PATCH_ADD)
                for _, body in self.entries()]


class TagDatapointPatch(_Membership):
    __slots__ = ()
    METHOD, PATH, KIND = "PUT", "/tags/{tagId}/datapoints/patch", Kind.DATAPOINT
    FIELD, MEMBER = "tags", Kind.TAG


class TagGroupPatch(_Membership):
    __slots__ = ()
    METHOD, PATH, KIND = "PUT", "/tags/{tagId}/groups/patch", Kind.GROUP
    FIELD, MEMBER = "tags", Kind.TAG


class ConversionDatapointsPatch(_Membership):
    __slots__ = ()
    METHOD, PATH, KIND, BATCH_KEY = ("PUT", "/conversions/{conversionId}/datapoints/batch/patch",
                                     Kind.DATAPOINT, "patchRequests")
    FIELD, MEMBER = "conversions", Kind.CONVERSION


OPERATIONS: dict[tuple[str, str], type[Operation]] = {
    (kind.METHOD, kind.PATH): kind for kind in (
        TagCreate, GroupCreate, GroupUpdate, ConversionCreate, ConversionUpdate, TagGroupPatch,
        DatapointBatchCreate, DatapointBatchUpdate, ConversionDatapointsPatch, TagDatapointPatch,
        DatapointBatchDelete)}


def operation_from_document(document: dict[str, Any]) -> Operation:
    """A saved plan's operation, as the class its (method, path) names."""
    kind = OPERATIONS.get((document["method"], document["path"]))
    if kind is None:
        raise UnknownOperationError(
            f"the plan holds a call apply does not know: {document['method']} {document['path']}")
    return kind(dict(document["params"]), document["body"], tuple(document["items"]), tuple(document["creates"]))
