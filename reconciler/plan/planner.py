"""Desired state vs live state -> `Plan`: pure, no I/O, deterministic.

Matching follows PRODUCT.md: a datapoint is the live one of the same type and
name (or the one its `id:` pins, or one of its `renamed_from` names, which makes
a rename that keeps the id and statistics); declared fields win, undeclared
fields stay as live; tags and conversions are exact sets when declared; only
groups declared `prune: true` lose the datapoints the manifests do not declare.
The calls that carry the changes out are chosen by `reconciler.plan.calls`.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from reconciler.clickmeter.link_settings import DYNAMIC_URL, SIMPLE_DESTINATIONS, TOP_LEVEL_FLAG_KEYS
from reconciler.errors import ReconcilerError, did_you_mean
from reconciler.manifests import expiry_warnings
from reconciler.model import (
    LINK,
    LINK_SETTINGS,
    PIXEL_SETTINGS,
    ConversionSpec,
    DatapointSpec,
    DesiredState,
    GroupSpec,
    Kind,
    LiveConversion,
    LiveDatapoint,
    LiveGroup,
    LiveNamed,
    LiveState,
    Location,
    Secret,
    TagSpec,
)
from reconciler.plan.addresses import short_url
from reconciler.plan.calls import DatapointWork, References, at_default, build_operations, default_domain
from reconciler.plan.document import (
    CREATE,
    DELETE,
    RENAME,
    SENSITIVE,
    SHORT_URL,
    UPDATE,
    Change,
    FieldDiff,
    Fingerprint,
    Plan,
    Safety,
    fingerprint,
)
from reconciler.plan.effects import LIVE_COLLECTIONS
from reconciler.plan.matching import live_candidates
from reconciler.plan.settings_form import details, json_value

DATAPOINT_FIELDS = ("url", "title", "domain", "redirect", "group", "favourite", "notes", "status",
                    "password", "retargeting", *LINK_SETTINGS, *PIXEL_SETTINGS)
LINK_ONLY_FIELDS = frozenset({"url", "domain", "redirect", "password", "retargeting",
                              *(set(LINK_SETTINGS) - set(TOP_LEVEL_FLAG_KEYS))})
PIXEL_ONLY_FIELDS = frozenset(PIXEL_SETTINGS)
SET_FIELDS = frozenset({"retargeting", "tags", "conversions"})


DeclaredT = TypeVar("DeclaredT", GroupSpec, ConversionSpec)
LiveT = TypeVar("LiveT", LiveGroup, LiveConversion)


class PlanningError(ReconcilerError):
    """The manifests and the account cannot be reconciled as they stand."""


class UnresolvedReferencesError(PlanningError):
    """Every unresolved reference of the manifests at once, one line each, so that one
    fix-and-rerun round settles them all."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems

    def lines(self) -> list[str]:
        if len(self.problems) == 1:
            return self.problems
        return [f"{len(self.problems)} references cannot be resolved:", *(f"  {p}" for p in self.problems)]


@dataclass(slots=True)
class LiveIndex:
    """The live state by name, as the manifests refer to it."""

    live: LiveState
    groups: dict[str, LiveGroup] = field(default_factory=dict)
    conversions: dict[str, LiveConversion] = field(default_factory=dict)
    tags: dict[str, LiveNamed] = field(default_factory=dict)
    domains: dict[str, LiveNamed] = field(default_factory=dict)
    retargeting: dict[str, LiveNamed] = field(default_factory=dict)
    datapoints: dict[tuple[str, str], list[LiveDatapoint]] = field(default_factory=lambda: defaultdict(list))

    @classmethod
    def of(cls, live: LiveState) -> LiveIndex:
        index = cls(live)
        for kind in ("groups", "conversions", "tags", "domains", "retargeting"):
            by_name = getattr(index, kind)
            for obj in sorted(getattr(live, kind).values(), key=lambda o: o.id):
                by_name.setdefault(obj.name, obj)
        for datapoint in sorted(live.datapoints.values(), key=lambda d: d.id):
            index.datapoints[(datapoint.type, datapoint.name)].append(datapoint)
        return index

    def item_key(self, datapoint: LiveDatapoint) -> str:
        """A live datapoint as a plan item: `datapoint:NAME`, or `datapoint:NAME#ID` when its
        name is not unique live (as pinned twins are declared)."""
        twins = len(self.datapoints.get((datapoint.type, datapoint.name), ())) > 1
        return f"datapoint:{datapoint.name}#{datapoint.id}" if twins else f"datapoint:{datapoint.name}"



def plan_changes(desired: DesiredState, live: LiveState, now: datetime | None = None) -> Plan:
    """The changes that make `live` what `desired` declares, and the calls for them; `now`
    (the local time by default, as `validate` takes it) is what an expiry is past of."""
    index = LiveIndex.of(live)
    every = sorted(desired.datapoints.items())  # settings defaults are already applied by the loader
    keyed = [(key, spec) for key, spec in every if not spec.absent]
    specs = [spec for _, spec in keyed]
    _check_references(desired, specs, index)
    refs = References(index)
    unchanged: Counter[str] = Counter(dict.fromkeys((Kind.CONVERSION, Kind.DATAPOINT, Kind.GROUP, Kind.TAG), 0))
    group_changes, group_work = _plan_declared(Kind.GROUP, desired.groups, index.groups,
                                               ("notes", "favourite", "tags"), unchanged)
    conversion_changes, conversion_work = _plan_declared(Kind.CONVERSION, desired.conversions, index.conversions,
                                                         ("value", "protocol", "description"), unchanged)
    tag_changes = _plan_tags(desired, specs, index, unchanged)
    matched = _match_datapoints(every, index)
    domain = default_domain(index.domains)
    works = [_datapoint_work(key, spec, matched.get(key), domain) for key, spec in keyed]
    _check_deleted_names(works, index)
    pruned, left_alone, alone_names = _undeclared(desired, index, {d.id for d in matched.values()})
    removed = {matched[key].id: spec for key, spec in every if spec.absent and key in matched}
    deletes = sorted([*pruned, *(index.live.datapoints[i] for i in removed)], key=lambda d: (d.name, d.id))

    datapoint_changes = [w.change for w in works if w.change is not None]
    unchanged[Kind.DATAPOINT] = len(every) - len(removed) - len(datapoint_changes)
    changes = tag_changes + group_changes + conversion_changes
    changes += sorted(datapoint_changes, key=lambda c: (c.action != CREATE, c.name))
    changes += [Change(Kind.DATAPOINT, DELETE, d.name, d.id, d.type, diffs=_deleted_diffs(d),
                       location=_location(removed[d.id]) if d.id in removed else None) for d in deletes]
    operations = build_operations(refs, [c.name for c in tag_changes], group_work, conversion_work,
                                  works, deletes)
    short_urls = {spec.name: short_url(matched[key], domain) for key, spec in keyed
                  if key in matched and matched[key].type == LINK}
    return Plan(target="", manifests_digest=desired.digest, changes=tuple(changes),
                operations=tuple(operations),
                fingerprints=_fingerprints(changes, works, deletes, refs, index),
                safety=_safety(desired, len(matched), pruned, len(deletes), works),
                unchanged=dict(sorted(unchanged.items())), left_alone=dict(sorted(left_alone.items())),
                left_alone_names=tuple(alone_names), short_urls=short_urls,
                warnings=tuple(map(str, expiry_warnings(desired, now or datetime.now()))))


def _safety(desired: DesiredState, matched: int, pruned: list[LiveDatapoint], deletes: int,
            works: list[DatapointWork]) -> Safety:
    """Managed = the declared datapoints that exist live (absent ones too), plus the undeclared
    ones pruned."""
    settings = desired.settings
    return Safety(managed=matched + len(pruned), deletes=deletes,
                  pruning=dict(sorted(Counter(d.group or "" for d in pruned).items())),
                  updates=sum(1 for w in works if w.live is not None and w.change is not None),
                  max_delete_percent=settings.max_delete_percent,
                  max_update_percent=settings.max_update_percent,
                  protect_active_days=settings.protect_active_days)


# ------------------------------------------------------------------ checks


def _where(spec: DatapointSpec | GroupSpec, field_name: str) -> str:
    location: Location | None = spec.locations.get(field_name) or spec.locations.get("")
    return f"{location}: " if location else ""


def _check_references(desired: DesiredState, specs: list[DatapointSpec], index: LiveIndex) -> None:
    """Every name a datapoint refers to must be declared or live (a new tag is simply created)."""
    problems = []
    for spec in specs:
        wanted = (("group", "group", [spec.group] if spec.group else [], desired.groups, index.groups),
                  ("conversions", "conversion", sorted(spec.conversions or ()), desired.conversions,
                   index.conversions),
                  ("domain", "domain", [spec.domain] if spec.domain else [], None, index.domains),
                  ("retargeting", "retargeting script", sorted(spec.retargeting or ()), None,
                   index.retargeting))
        for field_name, what, names, declared, live in wanted:
            for name in names:
                if name in live or (declared is not None and name in declared):
                    continue
                missing = "is not live" if declared is None else "is neither declared nor live"
                problems.append(f"{_where(spec, field_name)}datapoint {spec.name}: {field_name}: {what} {name!r} "
                                f"{missing}{did_you_mean(name, [*live, *(declared or ())])}")
    if problems:
        raise UnresolvedReferencesError(problems)


def _check_deleted_names(works: list[DatapointWork], index: LiveIndex) -> None:
    """A deleted datapoint's name can never be used again on its domain (REAL-API 17):
    a create or rename to it would fail at apply, so it fails the plan, at its line."""
    deleted = index.live.deleted_datapoints
    if not deleted:
        return
    default = default_domain(index.domains)
    for work in works:
        if work.change is None or work.change.action not in (CREATE, RENAME):
            continue
        spec = work.spec
        domain = spec.domain or default
        if (spec.type, domain, spec.name) in deleted or (spec.type, None, spec.name) in deleted:
            raise PlanningError(f"{_where(spec, 'name')}datapoint {spec.name}: name: {spec.name!r} was used by a "
                                f"deleted datapoint{f' on {domain}' if domain else ''}; deleted datapoints' "
                                "names cannot be reused; pick another name")


# ------------------------------------------------------------------ groups, conversions, tags


def _field_diff(field_name: str, before: Any, after: Any) -> FieldDiff:
    if field_name in SET_FIELDS:
        before_set, after_set = frozenset(before or ()), frozenset(after or ())
        return FieldDiff(field_name, sorted(before_set), sorted(after_set),
                         added=tuple(sorted(after_set - before_set)),
                         removed=tuple(sorted(before_set - after_set)))
    if isinstance(before, Secret) or isinstance(after, Secret):
        return FieldDiff(field_name, SENSITIVE if before is not None else None, SENSITIVE)
    before, after = json_value(before), json_value(after)
    return FieldDiff(field_name, before, after, details=details(field_name, before, after))


def _declared_diffs(spec: object, live: object | None, field_names: tuple[str, ...]) -> list[FieldDiff]:
    """Diffs of the declared (non-None) fields that differ from live (or all, for a create)."""
    diffs = []
    for field_name in field_names:
        wanted = getattr(spec, field_name)
        if wanted is None:
            continue
        current = getattr(live, field_name) if live is not None else None
        if live is None or not _same(field_name, wanted, current):
            diffs.append(_field_diff(field_name, current, wanted))
    return diffs


def _same(field_name: str, wanted: Any, current: Any) -> bool:
    if field_name in SET_FIELDS:
        return frozenset(wanted) == frozenset(current or ())
    if isinstance(wanted, Secret):
        return isinstance(current, Secret) and wanted == current
    if field_name == "destinations" and current is not None and current.mode == DYNAMIC_URL:
        return bool(wanted == SIMPLE_DESTINATIONS)  # a bare `url` leaves the unmanaged DynamicUrl mode as live
    return bool(wanted == current)


def _location(spec: GroupSpec | ConversionSpec | TagSpec | DatapointSpec) -> str | None:
    location = spec.locations.get("")
    return str(location) if location else None


def _plan_declared(kind: Kind, declared: Mapping[str, DeclaredT], live_by_name: Mapping[str, LiveT],
                   field_names: tuple[str, ...], unchanged: Counter[str],
                   ) -> tuple[list[Change], list[tuple[DeclaredT, LiveT | None, list[FieldDiff]]]]:
    """Groups or conversions: their changes, and (spec, live, diffs) for the calls."""
    changes: list[Change] = []
    work: list[tuple[DeclaredT, LiveT | None, list[FieldDiff]]] = []
    for name, spec in sorted(declared.items()):
        live = live_by_name.get(name)
        diffs = _declared_diffs(spec, live, field_names)
        if live is not None and not diffs:
            unchanged[kind] += 1
            continue
        changes.append(Change(kind, UPDATE if live else CREATE, name, getattr(live, "id", None),
                              diffs=tuple(diffs), location=_location(spec)))
        work.append((spec, live, diffs))
    return changes, work


def _plan_tags(desired: DesiredState, specs: list[DatapointSpec], index: LiveIndex,
               unchanged: Counter[str]) -> list[Change]:
    """Tags declared or used anywhere that are not live yet."""
    used = set(desired.tags)
    for spec in list(desired.groups.values()) + specs:
        used.update(spec.tags or ())
    unchanged[Kind.TAG] = sum(1 for name in used if name in index.tags)
    return [Change(Kind.TAG, CREATE, name, location=_location(desired.tags[name]) if name in desired.tags else None)
            for name in sorted(used - set(index.tags))]


# ------------------------------------------------------------------ datapoints


def _match_datapoints(keyed: list[tuple[str, DatapointSpec]], index: LiveIndex) -> dict[str, LiveDatapoint]:
    """Declared key -> the live datapoint it is: pinned ones by id first, then the others
    by name, or a former name (so a clash always names the pinned one first)."""
    matched: dict[str, LiveDatapoint] = {}
    claimed: dict[int, str] = {}
    for key, spec in sorted(keyed, key=lambda pair: pair[1].id is None):
        live = _find_live(spec, index)
        if live is None:
            continue
        if live.id in claimed:
            raise PlanningError(f"{_where(spec, '')}datapoints {claimed[live.id]} and {key} "
                                f"both match live datapoint {live.id}")
        claimed[live.id] = key
        matched[key] = live
    return matched


def _find_live(spec: DatapointSpec, index: LiveIndex) -> LiveDatapoint | None:
    name, found = live_candidates(spec, index.live.datapoints, index.datapoints)
    if spec.id is not None and (not found or found[0].type != spec.type):
        raise PlanningError(f"{_where(spec, 'id')}datapoint {spec.name}: id {spec.id} is not "
                            f"a live {spec.type}")
    if len(found) > 1:
        ids = " and ".join(str(d.id) for d in found)
        raise PlanningError(f"live {spec.type} name {name!r} matches more than one "
                            f"datapoint (ids {ids}); pin one with `id:`")
    return found[0] if found else None


def _datapoint_work(key: str, spec: DatapointSpec, live: LiveDatapoint | None,
                    account_domain: str | None) -> DatapointWork:
    """The change one declared datapoint needs; `key` is its key in `DesiredState.datapoints`;
    `account_domain` is the domain of a link that names none."""
    left_out = LINK_ONLY_FIELDS if spec.type != LINK else PIXEL_ONLY_FIELDS
    field_names = tuple(f for f in (*DATAPOINT_FIELDS, "tags", "conversions") if f not in left_out)
    diffs = _declared_diffs(spec, live, field_names)
    if live is None:  # a new datapoint has every setting at its default: only the others are news
        diffs = [d for d in diffs if not at_default(d.field, getattr(spec, d.field))]
        change = Change(Kind.DATAPOINT, CREATE, spec.name, type=spec.type, diffs=tuple(diffs),
                        location=_location(spec))
        return DatapointWork(f"datapoint:{key}", spec, None, change, diffs)
    if live.name != spec.name:
        diffs.insert(0, FieldDiff("name", live.name, spec.name))
    if not diffs:
        return DatapointWork(f"datapoint:{key}", spec, live, None, diffs)
    action = RENAME if live.name != spec.name else UPDATE
    change = Change(Kind.DATAPOINT, action, spec.name, live.id, spec.type,
                    previous_name=live.name if action == RENAME else None,
                    diffs=(*diffs, *_short_url_diff(spec, live, account_domain)), location=_location(spec))
    return DatapointWork(f"datapoint:{key}", spec, live, change, diffs)


def _short_url_diff(spec: DatapointSpec, live: LiveDatapoint,
                    account_domain: str | None) -> tuple[FieldDiff, ...]:
    """A link's public address, `http://<domain>/<name>`, when a rename or a domain move
    changes it: shown in the plan only (the calls carry `name` and `domain`)."""
    if spec.type != LINK:
        return ()
    before_domain = live.domain or account_domain
    before = f"http://{before_domain}/{live.name}"
    after = f"http://{spec.domain or before_domain}/{spec.name}"
    return (FieldDiff(SHORT_URL, before, after),) if before != after else ()


def _undeclared(desired: DesiredState, index: LiveIndex,
                claimed: set[int]) -> tuple[list[LiveDatapoint], Counter[str], list[str]]:
    """Live datapoints no manifest declares: deleted in prune groups, elsewhere counted per
    group and named (in name order)."""
    pruned = {name for name, group in desired.groups.items() if group.prune}
    deletes: list[LiveDatapoint] = []
    left_alone: Counter[str] = Counter()
    names: list[str] = []
    for datapoint in sorted(index.live.datapoints.values(), key=lambda d: (d.name, d.id)):
        if datapoint.id in claimed:
            continue
        if datapoint.group in pruned:
            deletes.append(datapoint)
        else:
            left_alone[datapoint.group or ""] += 1
            names.append(datapoint.name)
    return deletes, left_alone, names


def _deleted_diffs(datapoint: LiveDatapoint) -> tuple[FieldDiff, ...]:
    shown = ("url", "group") if datapoint.type == LINK else ("group",)
    return tuple(FieldDiff(f, getattr(datapoint, f), None) for f in shown if getattr(datapoint, f))


def _fingerprints(changes: list[Change], works: list[DatapointWork], deletes: list[LiveDatapoint],
                  refs: References, index: LiveIndex) -> tuple[Fingerprint, ...]:
    """Every live object the plan writes or refers to by id, and every name it creates."""
    touched: dict[tuple[Kind, int], Any] = {(Kind.DATAPOINT, w.live.id): w.live for w in works
                                            if w.change is not None and w.live}
    touched |= {(Kind.DATAPOINT, d.id): d for d in deletes}
    for change in changes:
        if change.kind in (Kind.GROUP, Kind.CONVERSION) and change.id is not None:
            touched[(change.kind, change.id)] = getattr(index, LIVE_COLLECTIONS[change.kind])[change.name]
    touched |= refs.used
    prints = [Fingerprint(kind, obj.name, obj_id, fingerprint(obj)) for (kind, obj_id), obj in touched.items()]
    prints += [Fingerprint(c.kind, c.name, None, None) for c in changes if c.action == CREATE]
    return tuple(sorted(prints, key=lambda f: (f.kind, f.name, f.id or 0)))
