"""The plan: what will change, the exact API calls that change it, and the risk.

A `Plan` is plain data. The renderers print it, `apply` executes its
`operations` in order, and `to_document()` / `from_document()` turn it into
the saved-plan JSON (`schemas/plan.schema.json`) and back. A saved plan must be
executable with no lookups beyond the stale check, and must never hold a
secret, so operation bodies carry two kinds of placeholder:

- `{"$ref": "group:spring-2027"}`: the id of an object an earlier operation
  of the same plan creates (its `creates` lists `kind:name`);
- `{"$secret": "SPRING_LINK_PASSWORD"}`: read from the environment at apply time.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from reconciler.errors import ReconcilerError
from reconciler.model import LINK, LINK_SETTINGS, PIXEL_SETTINGS, Destination, Destinations, Expiry, Kind, Secret
from reconciler.plan.operations import Operation, operation_from_document

FORMAT_VERSION = 1
SETTINGS = frozenset(LINK_SETTINGS + PIXEL_SETTINGS)
SENSITIVE = "(sensitive)"
ASSUMED_RATE = 10  # requests per second the public service allows
SHORT_URL = "short_url"  # a diff shown, never written: a link's public address changing
REPOINTING = frozenset({"url", "destinations"})  # a link's visitors go elsewhere


class Action(StrEnum):
    """What a change does to its object."""

    CREATE = "create"
    UPDATE = "update"
    RENAME = "rename"
    DELETE = "delete"


CREATE, UPDATE, RENAME, DELETE = Action


class PlanFileError(ReconcilerError):
    """A saved plan that cannot be read (wrong version, broken JSON, missing keys)."""


@dataclass(frozen=True, slots=True)
class FieldDiff:
    """One field going from `before` to `after` (JSON values; secrets masked).

    For set-valued fields (tags, conversions, retargeting) `added` and
    `removed` say what the change really is; `before`/`after` are sorted lists.
    For nested ones (destinations, expires) `details` says which entries change,
    one line each (`by_country.IT: https://a -> https://b`).
    """

    field: str
    before: Any
    after: Any
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    details: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Change:
    """One object created, updated, renamed or deleted."""

    kind: Kind
    action: Action
    name: str
    id: int | None = None
    type: str | None = None  # "link" | "pixel" for datapoints
    previous_name: str | None = None  # for a rename
    diffs: tuple[FieldDiff, ...] = ()
    location: str | None = None
    recent_clicks: int | None = None

    @property
    def at_risk(self) -> bool:
        """A live link deleted, re-pointed (its url or destinations change) or moved (its
        short url changes): its visitors notice."""
        return self.risk_verb is not None

    @property
    def risk_verb(self) -> str | None:
        """What happens to a live link's visitors: `deleted`, `renamed` (old short url
        dead), `re-pointed`; None when they notice nothing."""
        if self.kind != Kind.DATAPOINT or self.type != LINK or self.id is None:
            return None
        fields = {d.field for d in self.diffs}
        if self.action == DELETE:
            return "deleted"
        if SHORT_URL in fields:
            return "renamed" if self.action == RENAME else "moved to another domain"
        return "re-pointed" if not fields.isdisjoint(REPOINTING) else None

    @property
    def retag_only(self) -> bool:
        return self.action == UPDATE and all(d.field == "tags" for d in self.diffs)

    @property
    def retags(self) -> bool:
        """An existing object whose tag set changes, whatever else changes with it."""
        return self.action in (UPDATE, RENAME) and any(d.field == "tags" for d in self.diffs)


@dataclass(frozen=True, slots=True)
class Fingerprint:
    """What apply must find live before writing: the object unchanged since
    the plan, or (`sha256` None, `id` None) no object of that name at all."""

    kind: Kind
    name: str
    id: int | None
    sha256: str | None


@dataclass(frozen=True, slots=True)
class Safety:
    """The figures the thresholds are checked against."""

    managed: int
    deletes: int
    updates: int
    max_delete_percent: float
    max_update_percent: float
    protect_active_days: int
    pruning: dict[str, int] = field(default_factory=dict)  # prune group -> undeclared datapoints it deletes

    MIN_MANAGED = 10  # below this, percentages say nothing
    LOOSE_PERCENT = 50  # a threshold above this lets a mass change through: warned about

    def settings_line(self) -> str:
        """The settings in force, stated so that a review sees them."""
        days = self.protect_active_days
        protection = f"protect_active_days {days}" if days else "protect_active_days 0 (off)"
        return (f"safety: max_delete_percent {self.max_delete_percent:g}%, max_update_percent "
                f"{self.max_update_percent:g}%, {protection}")

    def warnings(self) -> list[str]:
        """Where the settings are off or loosened, or pruning deletes what no manifest names:
        what a pull request that switches the safety off must not hide."""
        warnings = []
        if self.protect_active_days == 0:
            warnings.append("protect_active_days is 0: links with recent clicks are deleted, renamed or "
                            "re-pointed without reading their clicks")
        for what, limit in (("delete", self.max_delete_percent), ("update", self.max_update_percent)):
            if limit > self.LOOSE_PERCENT:
                warnings.append(f"max_{what}_percent is {limit:g}% (over {self.LOOSE_PERCENT}%): "
                                f"a mass {what} passes without --force")
        warnings += [f"group {group} is pruned (prune: true) and has {count} live "
                     f"{'datapoint' if count == 1 else 'datapoints'} no manifest declares: the plan deletes "
                     f"{'it' if count == 1 else 'them'}" for group, count in sorted(self.pruning.items())]
        return warnings

    def percent(self, count: int) -> float:
        return 100.0 * count / self.managed if self.managed else 0.0

    def threshold_refusals(self, forced: AbstractSet[str] = frozenset()) -> list[str]:
        """The thresholds the plan goes beyond, but those named in `forced` (`max_delete_percent`,
        `max_update_percent`): each is a share of all managed datapoints, so the threshold itself,
        not a datapoint, is what `--force NAME` allows."""
        if self.managed < self.MIN_MANAGED:
            return []
        refusals = []
        for what, count, limit in (("delete", self.deletes, self.max_delete_percent),
                                   ("update", self.updates, self.max_update_percent)):
            if self.percent(count) > limit and f"max_{what}_percent" not in forced:
                refusals.append(
                    f"the plan would {what} {count} of {self.managed} managed datapoints "
                    f"({self.percent(count):.0f}% > max_{what}_percent {limit:g}%); "
                    f"use --force max_{what}_percent")
        return refusals


@dataclass(frozen=True, slots=True)
class FetchedEntities:
    """The entities a plan updates, whole as its read fetched them (secrets included): apply,
    in the same process and soon after, sends them back with the planned fields laid over
    instead of reading them again. Never saved, rendered or logged."""

    entities: dict[tuple[str, int], dict[str, Any]]
    read_at: float  # time.monotonic() when the read ended

    def still_fresh(self, now: float) -> bool:
        return now - self.read_at <= REUSE_FETCHED_SECONDS


REUSE_FETCHED_SECONDS = 60.0
"""How long after the plan's read its entities stand for a fresh read: long enough for an
`apply --auto-approve` to reach its updates, short enough that a plan left waiting at the
confirmation prompt re-reads what it updates (another change meanwhile is kept)."""


@dataclass(frozen=True, slots=True)
class Plan:
    """Everything `plan` decided: what renderers print and what apply executes."""

    target: str
    manifests_digest: str
    changes: tuple[Change, ...]
    operations: tuple[Operation, ...]
    fingerprints: tuple[Fingerprint, ...]
    safety: Safety
    unchanged: dict[str, int] = field(default_factory=dict)  # kind -> declared objects unchanged
    left_alone: dict[str, int] = field(default_factory=dict)  # group ("" ungrouped) -> undeclared
    left_alone_names: tuple[str, ...] = ()  # the undeclared datapoints left alone, by name
    short_urls: dict[str, str] = field(default_factory=dict)  # declared live link -> its short URL now (read-only)
    notes: tuple[str, ...] = ()  # what the plan does not manage and why (e.g. an unset optional password)
    read_scope: str = ""  # which part of the account was read ("" when not said, as in older saved plans)
    password_fingerprints: dict[str, str] = field(default_factory=dict)  # variable -> salt:scrypt (passwords)
    warnings: tuple[str, ...] = ()  # what the manifests declare that apply would take but likely regret
    fetched: FetchedEntities | None = field(default=None, repr=False, compare=False)  # never saved or shown

    @property
    def has_changes(self) -> bool:
        return bool(self.changes)

    def at_risk_ids(self) -> list[int]:
        """Live links whose recent clicks the plan must show and protect."""
        return sorted(c.id for c in self.changes if c.at_risk and c.id is not None)

    def with_recent_clicks(self, clicks: dict[int, int]) -> Plan:
        changes = tuple(dataclasses.replace(c, recent_clicks=clicks.get(c.id, 0))
                        if c.at_risk and c.id is not None else c for c in self.changes)
        return dataclasses.replace(self, changes=changes)

    def active_links(self) -> list[Change]:
        return [c for c in self.changes if c.at_risk and c.recent_clicks]

    def refusals(self, force: bool | AbstractSet[str], allow_active: bool | AbstractSet[str]) -> list[str]:
        """Why apply must not run this plan as asked (empty: it may). `force`: True goes beyond
        every threshold, a set of threshold names only those; `allow_active`: True allows every
        active link, a set of names only those (a rename's old or new name)."""
        refusals = [] if force is True else self.safety.threshold_refusals(force or frozenset())
        if allow_active is True:
            return refusals
        allowed = allow_active or frozenset()
        days = self.safety.protect_active_days
        return refusals + [f"datapoint {c.name} (id {c.id}) had {c.recent_clicks} "
                           f"{_plural(c.recent_clicks or 0, 'click')} in the last {days} days and would be "
                           f"{c.risk_verb}; use --allow-active {c.name}" for c in self.active_links()
                           if c.name not in allowed and c.previous_name not in allowed]

    def summary(self) -> dict[str, int]:
        """Counts for the last line: create / update / delete / re-tag / calls. Re-tag counts
        every object whose tags change; one whose tags change with another field is in update too."""
        counts = dict.fromkeys(("create", "update", "delete", "retag"), 0)
        for change in self.changes:
            if change.action == CREATE:
                counts["create"] += 1
            elif change.action == DELETE:
                counts["delete"] += 1
            else:
                counts["update"] += not change.retag_only
                counts["retag"] += change.retags
        counts["calls"] = len(self.operations)
        return counts

    def summary_line(self) -> str:
        counts = self.summary()
        seconds = math.ceil(counts["calls"] / ASSUMED_RATE)
        calls = f"{counts['calls']} API call{'' if counts['calls'] == 1 else 's'}"
        cost = f"{calls} (~{seconds} s at {ASSUMED_RATE} req/s)."
        if not self.has_changes:
            unchanged = sum(self.unchanged.values())
            return f"No changes. {unchanged} declared objects up to date; {cost}"
        links = f"link{'' if counts['retag'] == 1 else 's'}"
        return (f"Plan: {counts['create']} to create, {counts['update']} to update, "
                f"{counts['delete']} to delete, {counts['retag']} {links} to re-tag; {cost}")

    # ------------------------------------------------------------ saved form

    def to_document(self) -> dict[str, Any]:
        """The saved-plan / `--format json` document, in its stable key order."""
        return {
            "format_version": FORMAT_VERSION,
            "target": self.target,
            "manifests_digest": self.manifests_digest,
            "summary": self.summary(),
            "changes": [_change_document(c) for c in self.changes],
            "unchanged": dict(sorted(self.unchanged.items())),
            "left_alone": dict(sorted(self.left_alone.items())),
            **({"left_alone_names": list(self.left_alone_names)} if self.left_alone_names else {}),
            **({"short_urls": dict(sorted(self.short_urls.items()))} if self.short_urls else {}),
            "notes": list(self.notes),
            **({"warnings": list(self.warnings)} if self.warnings else {}),  # older plans have none
            **({"read_scope": self.read_scope} if self.read_scope else {}),  # older plans do not say
            "safety": self._safety_document(),
            "operations": [op.to_document() for op in self.operations],
            "fingerprints": [dataclasses.asdict(f) for f in self.fingerprints],
            **({"password_fingerprints": dict(self.password_fingerprints)} if self.password_fingerprints else {}),
        }

    def _safety_document(self) -> dict[str, Any]:
        """The figures, refusals and warnings; `pruning` and `warnings` only when there are
        some, so that older saved plans re-render byte for byte."""
        document = {**dataclasses.asdict(self.safety), "refusals": self.refusals(force=False, allow_active=False)}
        if not document["pruning"]:
            del document["pruning"]
        warnings = self.safety.warnings()
        return document | ({"warnings": warnings} if warnings else {})

    @classmethod
    def from_document(cls, document: Any) -> Plan:
        """Read a saved plan back; anything malformed is one `PlanFileError`."""
        if not isinstance(document, dict) or document.get("format_version") != FORMAT_VERSION:
            raise PlanFileError(f"not a plan of format_version {FORMAT_VERSION}")
        try:
            safety = {k: v for k, v in document["safety"].items() if k not in ("refusals", "warnings")}
            return cls(
                target=document["target"],
                manifests_digest=document["manifests_digest"],
                changes=tuple(_change_from_document(c) for c in document["changes"]),
                operations=tuple(operation_from_document(op) for op in document["operations"]),
                fingerprints=tuple(Fingerprint(**{**f, "kind": Kind(f["kind"])}) for f in document["fingerprints"]),
                safety=Safety(**safety),
                unchanged=dict(document["unchanged"]),
                left_alone=dict(document["left_alone"]),
                left_alone_names=tuple(document.get("left_alone_names", ())),
                short_urls=dict(document.get("short_urls", {})),
                notes=tuple(document["notes"]),
                warnings=tuple(document.get("warnings", ())),
                read_scope=str(document.get("read_scope", "")),
                password_fingerprints=dict(document.get("password_fingerprints", {})),
            )
        except KeyError as error:
            raise PlanFileError(f"malformed plan: no {error} key") from None
        except (TypeError, AttributeError, ValueError) as error:
            raise PlanFileError(f"malformed plan: {error}") from None


def _plural(count: int, noun: str) -> str:
    return noun if count == 1 else f"{noun}s"


def _change_document(change: Change) -> dict[str, Any]:
    document = dataclasses.asdict(change)
    document["diffs"] = [_diff_document(d) for d in document["diffs"]]
    return document


def _diff_document(diff: dict[str, Any]) -> dict[str, Any]:
    """`details` only when there are some, so that older saved plans re-render byte for byte."""
    details = diff.pop("details")
    return {**diff, "added": list(diff["added"]), "removed": list(diff["removed"])} | (
        {"details": list(details)} if details else {})


def _change_from_document(document: dict[str, Any]) -> Change:
    diffs = tuple(FieldDiff(**{**d, "added": tuple(d["added"]), "removed": tuple(d["removed"]),
                               "details": tuple(d.get("details", ()))})
                  for d in document["diffs"])
    return Change(**{**document, "kind": Kind(document["kind"]), "action": Action(document["action"]),
                     "diffs": diffs})


def canonical_json(value: Any) -> str:
    """Sorted keys, no whitespace: equal values give equal bytes."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      default=_canonical_default)


def _canonical_default(value: Any) -> Any:
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    if isinstance(value, (Destination, Destinations, Expiry)):
        return dataclasses.asdict(value)
    if isinstance(value, Secret):
        return "set"  # whether a password is set, never a digest of it
    raise TypeError(f"cannot fingerprint {type(value).__name__}")


def fingerprint(live_object: Any) -> str:
    """sha256 of a live model object's canonical form (apply recomputes it to
    detect a stale plan). A password counts only as present or absent."""
    fields = {f.name: getattr(live_object, f.name) for f in dataclasses.fields(live_object)
              if f.name not in SETTINGS or getattr(live_object, f.name) != f.default}
    return hashlib.sha256(canonical_json(fields).encode()).hexdigest()
