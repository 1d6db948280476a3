"""The API calls that carry a plan out: the fewest the API allows, in a safe order.

Order: tags, groups and conversions first (one call each: the API has no
batches for them), then datapoints created in `PUT /datapoints/batch` bodies
that carry their tags (by name) and conversion slots, conversion links changed
per conversion (removals first: a datapoint holds at most five), datapoints
updated in `POST /datapoints/batch`, one tag patch per association, and
deletions last.

Whether an update writes the conversion slots it carries is not known
(REAL-API "Not known"): the patches make the change either way, and an update
of a datapoint whose conversions change carries the slots it will hold, so that
a service that writes them keeps what the patches did. Coming last, the
update's answer (`entityData`) is the datapoint as apply leaves it, which
verification takes without a read.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from reconciler.apishapes import MAX_BATCH, PATCH_ADD, PATCH_REMOVE
from reconciler.clickmeter import wire
from reconciler.live.details import details_of_bodies
from reconciler.model import (
    LINK,
    LINK_SETTINGS,
    PIXEL_SETTINGS,
    ConversionSpec,
    DatapointSpec,
    GroupSpec,
    Kind,
    LiveConversion,
    LiveDatapoint,
    LiveGroup,
)
from reconciler.plan.document import (
    Change,
    FieldDiff,
    Plan,
)
from reconciler.plan.effects import LIVE_COLLECTIONS
from reconciler.plan.operations import (
    ConversionCreate,
    ConversionDatapointsPatch,
    ConversionUpdate,
    DatapointBatchCreate,
    DatapointBatchDelete,
    DatapointBatchUpdate,
    GroupCreate,
    GroupUpdate,
    Operation,
    TagCreate,
    TagDatapointPatch,
    TagGroupPatch,
)

SCALAR_FIELDS = ("name", "url", "title", "domain", "redirect", "group", "favourite", "notes",
                 "status", "password", "retargeting", *LINK_SETTINGS, *PIXEL_SETTINGS)
SETTINGS_DEFAULTS = {f.name: f.default for f in dataclasses.fields(LiveDatapoint)
                     if f.name in LINK_SETTINGS + PIXEL_SETTINGS}


def at_default(field_name: str, value: Any) -> bool:
    """A setting at the value every new datapoint has: a create need not send nor show it."""
    return field_name in SETTINGS_DEFAULTS and value == SETTINGS_DEFAULTS[field_name]


# a declared group or conversion, its live match (if any) and its diffs
GroupWork = tuple[GroupSpec, LiveGroup | None, list[FieldDiff]]
ConversionWork = tuple[ConversionSpec, LiveConversion | None, list[FieldDiff]]


class References:
    """Names -> live ids, or `$ref` placeholders for objects the plan creates.

    `used` collects the live objects referred to by id, for the fingerprints.
    """

    def __init__(self, index: Any) -> None:
        self.index = index
        self.used: dict[tuple[Kind, int], Any] = {}

    def __call__(self, kind: Kind, name: str) -> wire.Ref:
        live = getattr(self.index, LIVE_COLLECTIONS[kind]).get(name)
        if live is None:
            return wire.ref_to(kind, name)
        self.used[(kind, live.id)] = live
        return int(live.id)


@dataclass(slots=True)
class DatapointWork:
    """One declared datapoint: its plan item (`datapoint:` and its declared key), its live
    match (if any), its change and diffs."""

    key: str
    spec: DatapointSpec
    live: LiveDatapoint | None
    change: Change | None
    diffs: list[FieldDiff] = field(default_factory=list)

    def diff(self, field_name: str) -> FieldDiff | None:
        return next((d for d in self.diffs if d.field == field_name), None)


def _resolved(field_name: str, value: Any, refs: References) -> Any:
    if field_name in ("group", "domain"):
        return refs(Kind(field_name), value)
    if field_name == "retargeting":
        return [refs(Kind.RETARGETING, script) for script in sorted(value)]
    return value


def default_domain(domains: Mapping[Any, Any]) -> str | None:
    """The domain a link gets when neither it nor the settings name one: the account's
    first system domain (lowest id), else its first domain of any type.

    Every published client sends `typeTL.domainId` on a link create (REAL-API 14);
    a new account's own short domain is the system domain it was given first.
    """
    ranked = sorted(domains.values(), key=lambda d: (d.kind != "system", d.id))
    return ranked[0].name if ranked else None


def _create_body(work: DatapointWork, refs: References) -> dict[str, Any]:
    spec = work.spec
    values = {f: _resolved(f, value, refs) for f in SCALAR_FIELDS
              if (value := getattr(spec, f)) is not None and not at_default(f, value)}
    if spec.type == LINK and spec.domain is None:
        domain = default_domain(refs.index.domains)
        if domain is not None:
            values["domain"] = refs(Kind.DOMAIN, domain)
    conversions = [refs(Kind.CONVERSION, name) for name in sorted(spec.conversions or ())]
    return wire.datapoint_create_body(spec.type, values, sorted(spec.tags or ()), conversions)


def _update_body(work: DatapointWork, refs: References) -> dict[str, Any] | None:
    spec, live = work.spec, work.live
    assert live is not None
    values = {d.field: _resolved(d.field, spec.name if d.field == "name" else getattr(spec, d.field), refs)
              for d in work.diffs if d.field in SCALAR_FIELDS}
    if not values:
        return None
    conversions = None if work.diff("conversions") is None else [
        refs(Kind.CONVERSION, name) for name in sorted(spec.conversions or ())]
    return wire.datapoint_update_body(live.id, spec.type, values, conversions)


def _chunks(items: list[Any]) -> Iterator[list[Any]]:
    for start in range(0, len(items), MAX_BATCH):
        yield items[start:start + MAX_BATCH]


def _batches(operation: type[Operation], rows: list[tuple[str, Any]], wrap: Any,
             creates: bool = False) -> list[Operation]:
    """`rows` of (item key, body item) -> chunked batch calls."""
    operations = []
    for chunk in _chunks(rows):
        keys = tuple(key for key, _ in chunk)
        operations.append(operation({}, wrap([item for _, item in chunk]), keys, keys if creates else ()))
    return operations


def _object_calls(kind: Kind, work: Sequence[GroupWork | ConversionWork], create_body: Any, body: Any,
                  create: type[Operation], update: type[Operation], param: str) -> list[Operation]:
    """Create or update groups / conversions, one call each."""
    operations = []
    for spec, live, diffs in work:
        key = f"{kind}:{spec.name}"
        if live is None:
            values = {"name": spec.name} | {d.field: getattr(spec, d.field) for d in diffs}
            operations.append(create({}, create_body(values), (key,), (key,)))
            continue
        changed = {d.field: getattr(spec, d.field) for d in diffs if d.field != "tags"}
        if changed:
            operations.append(update({param: live.id}, body({"name": spec.name} | changed), (key,)))
    return operations


def _group_tag_patches(group_work: list[GroupWork], refs: References) -> list[Operation]:
    """Tags of existing groups (a new group carries its tags in its create body)."""
    operations: list[Operation] = []
    for spec, live, diffs in group_work:
        tags = next((d for d in diffs if d.field == "tags"), None)
        if tags is None or live is None:
            continue
        for action, names in ((PATCH_REMOVE, tags.removed), (PATCH_ADD, tags.added)):
            operations += [TagGroupPatch({"tagId": refs(Kind.TAG, name)}, wire.patch_body(action, live.id),
                                         (f"group:{spec.name}",))
                           for name in names]
    return operations


def _association_changes(works: list[DatapointWork], field_name: str) -> dict[str, dict[str, list[DatapointWork]]]:
    """action -> associated name -> the existing datapoints gaining or losing it."""
    found: dict[str, dict[str, list[DatapointWork]]] = {PATCH_REMOVE: defaultdict(list), PATCH_ADD: defaultdict(list)}
    for work in works:
        diff = work.diff(field_name) if work.live is not None and work.change is not None else None
        if diff is None:
            continue
        for name in diff.removed:
            found[PATCH_REMOVE][name].append(work)
        for name in diff.added:
            found[PATCH_ADD][name].append(work)
    return found


def _live_id(work: DatapointWork) -> int:
    assert work.live is not None  # only existing datapoints are patched
    return work.live.id


def _conversion_patches(works: list[DatapointWork], refs: References) -> list[Operation]:
    operations: list[Operation] = []
    for action, by_conversion in _association_changes(works, "conversions").items():
        for name, members in sorted(by_conversion.items()):
            for chunk in _chunks(members):
                operations.append(ConversionDatapointsPatch(
                    {"conversionId": refs(Kind.CONVERSION, name)},
                    wire.patch_batch_body(action, [_live_id(w) for w in chunk]),
                    tuple(w.key for w in chunk)))
    return operations


def _tag_patches(works: list[DatapointWork], refs: References) -> list[Operation]:
    operations: list[Operation] = []
    for action, by_tag in _association_changes(works, "tags").items():
        for name, members in sorted(by_tag.items()):
            tag = refs(Kind.TAG, name)
            operations += [TagDatapointPatch({"tagId": tag}, wire.patch_body(action, _live_id(w)), (w.key,))
                           for w in members]
    return operations


def _tags_to_create(new_tags: list[str], group_work: list[GroupWork], works: list[DatapointWork]) -> list[str]:
    """New tags need their own call unless only new datapoints and groups use them
    (by name, in their create bodies)."""
    folded = {t for w in works if w.live is None for t in (w.spec.tags or ())}
    folded |= {t for spec, live, _ in group_work if live is None for t in (spec.tags or ())}
    patched = {t for _, live, diffs in group_work if live is not None
               for d in diffs if d.field == "tags" for t in d.added}
    patched |= {t for w in works if w.live is not None and w.change is not None
                for diff in [w.diff("tags")] if diff is not None for t in diff.added}
    return [name for name in new_tags if name not in folded or name in patched]


def build_operations(refs: References, new_tags: list[str], group_work: list[GroupWork],
                     conversion_work: list[ConversionWork],
                     works: list[DatapointWork], deletes: list[LiveDatapoint]) -> list[Operation]:
    """All calls of a plan, in execution order."""
    operations: list[Operation] = [TagCreate({}, wire.tag_body(name), (f"tag:{name}",), (f"tag:{name}",))
                                   for name in _tags_to_create(new_tags, group_work, works)]
    operations += _object_calls(Kind.GROUP, group_work, wire.group_create_body, wire.group_body,
                                GroupCreate, GroupUpdate, "id")
    operations += _object_calls(Kind.CONVERSION, conversion_work, wire.conversion_body, wire.conversion_body,
                                ConversionCreate, ConversionUpdate, "conversionId")
    operations += _group_tag_patches(group_work, refs)
    creates = [(w.key, _create_body(w, refs)) for w in works if w.live is None]
    operations += _batches(DatapointBatchCreate, creates, wire.batch_body, creates=True)
    operations += _conversion_patches(works, refs)
    updates = [(w.key, body) for w in works if w.live is not None and w.change is not None
               for body in [_update_body(w, refs)] if body is not None]
    operations += _batches(DatapointBatchUpdate, updates, wire.batch_body)
    operations += _tag_patches(works, refs)
    removals = [(refs.index.item_key(d), d.id) for d in deletes]
    operations += _batches(DatapointBatchDelete, removals, wire.delete_batch_body)
    return operations


def bodies_details(plan: Plan) -> set[str | int]:
    """The datapoints a plan's bodies set a redirect or password of: a re-read must see those."""
    return details_of_bodies(body for operation in plan.operations for _, body in operation.entries())


def plan_details(plan: Plan) -> set[str | int]:
    """`bodies_details` and the datapoints the plan fingerprints, so that a saved plan's
    fingerprints compare like with like when lists are not expanded."""
    return bodies_details(plan) | {f.id for f in plan.fingerprints if f.kind == Kind.DATAPOINT and f.id is not None}
