"""Wording shared by the plan renderers: one phrase per value, diff and change."""

from __future__ import annotations

import json
from collections.abc import Iterable
from itertools import groupby
from typing import Any

from reconciler.plan.document import CREATE, DELETE, RENAME, SENSITIVE, UPDATE, Change, FieldDiff, Plan
from reconciler.plan.operations import Operation

SYMBOLS = {CREATE: "+", UPDATE: "~", RENAME: "->", DELETE: "-"}


def value(shown: Any) -> str:
    """A JSON value as the user reads it: strings quoted, nothing as `(none)`."""
    if shown is None:
        return "(none)"
    if shown == SENSITIVE:
        return SENSITIVE
    return json.dumps(shown, ensure_ascii=False)


def diff_lines(diff: FieldDiff, action: str) -> list[str]:
    """`diff_text`, then for a nested field each entry that changes (`details`), indented."""
    return [diff_text(diff, action), *(f"  {detail}" for detail in diff.details)]


def diff_text(diff: FieldDiff, action: str) -> str:
    """`field: before -> after`; sets as `+added -removed`; nested values by their details
    (`diff_lines`); creates show the new value only."""
    if diff.details and action not in (CREATE, DELETE):
        return f"{diff.field}:"
    if diff.added or diff.removed:
        parts = [f"+{name}" for name in diff.added] + [f"-{name}" for name in diff.removed]
        return f"{diff.field}: {' '.join(parts)}"
    if action == CREATE:
        return f"{diff.field}: {value(diff.after)}"
    if action == DELETE:
        return f"{diff.field}: {value(diff.before)}"
    if diff.before == SENSITIVE and diff.after == SENSITIVE:
        return f"{diff.field}: {SENSITIVE} (changed)"
    return f"{diff.field}: {value(diff.before)} -> {value(diff.after)}"


def title(change: Change) -> str:
    """`datapoint spring-sale (id 12)`, `datapoint old -> new (id 3)`."""
    kind = change.type or change.kind  # a datapoint is shown as its type: link or pixel
    name = f"{change.previous_name} -> {change.name}" if change.previous_name else change.name
    where = f" (id {change.id})" if change.id is not None else ""
    return f"{kind} {name}{where}"


def risk(change: Change, days: int) -> str | None:
    """The clicks next to a link deleted, renamed or re-pointed, when they were read."""
    if not change.at_risk or change.recent_clicks is None:
        return None
    clicks = "click" if change.recent_clicks == 1 else "clicks"
    return f"{change.recent_clicks} {clicks} in the last {days} days, {change.risk_verb}"


def replacements(plan: Plan) -> dict[str, Change]:
    """Datapoint name -> the live one of another type that the plan deletes while creating
    one of that name: a type change, which the API cannot make, done as a replacement."""
    created = {c.name: c.type for c in plan.changes if c.kind == "datapoint" and c.action == CREATE}
    return {c.name: c for c in plan.changes if c.kind == "datapoint" and c.action == DELETE
            and created.get(c.name, c.type) != c.type}


def replacement_note(change: Change, replaced: dict[str, Change]) -> str | None:
    """On both halves of a type change: what it costs."""
    old = replaced.get(change.name)
    if old is None or change.action not in (CREATE, DELETE):
        return None
    if change.action == DELETE:
        return None if old is not change else f"replaced by a new datapoint of another type named {change.name}"
    return (f"replaces {old.type} {old.name} (id {old.id}): a type cannot change, so this is a new "
            "datapoint with a new id; the old one's statistics are not carried over")


def change_reasons(change: Change, replaced: dict[str, Change]) -> list[str]:
    """Why a change is made, where the change alone does not say: deletions and replacements."""
    return [reason for reason in (deletion_reason(change), replacement_note(change, replaced)) if reason]


def deletion_reason(change: Change) -> str | None:
    """Why a datapoint goes: declared `absent: true` (it has a manifest line), or undeclared
    in a group declared `prune: true` (its group)."""
    if change.action != DELETE or change.kind != "datapoint":
        return None
    if change.location:
        return "declared absent: true"
    group = next((d.before for d in change.diffs if d.field == "group"), None)
    return f"not declared, in group {group} (prune: true)" if group else None


FIRST_NAMES = 5  # left-alone names the text shows; the JSON lists them all


def left_alone(plan: Plan) -> str | None:
    """`3 undeclared datapoints left alone (spring: 1, ungrouped: 2): a, b, c`: the count, then
    the first few names, so that a datapoint meant to go is seen staying."""
    total = sum(plan.left_alone.values())
    if not total:
        return None
    per_group = ", ".join(f"{group or 'ungrouped'}: {count}" for group, count in plan.left_alone.items())
    noun = "datapoint" if total == 1 else "datapoints"
    names = plan.left_alone_names
    shown = ", ".join(names[:FIRST_NAMES]) + (f" and {len(names) - FIRST_NAMES} more"
                                              if len(names) > FIRST_NAMES else "")
    return f"{total} undeclared {noun} left alone ({per_group})" + (f": {shown}" if names else "")


def call_groups(operations: Iterable[Operation]) -> list[tuple[str, str, int, int]]:
    """Consecutive calls to one endpoint, folded: (method, path, calls, items)."""
    folded = []
    for (method, path), run in groupby(operations, key=lambda op: (op.method, op.path)):
        calls = list(run)
        folded.append((method, path, len(calls), sum(len(op.items) for op in calls)))
    return folded
