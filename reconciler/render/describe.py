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


def diff_text(diff: FieldDiff, action: str) -> str:
    """`field: before -> after`; sets as `+added -removed`; creates show the new value only."""
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
    return f"{change.recent_clicks} clicks in the last {days} days, {change.risk_verb}"


def left_alone(plan: Plan) -> str | None:
    total = sum(plan.left_alone.values())
    if not total:
        return None
    per_group = ", ".join(f"{group or 'ungrouped'}: {count}" for group, count in plan.left_alone.items())
    return f"{total} undeclared datapoints left alone ({per_group})"


def call_groups(operations: Iterable[Operation]) -> list[tuple[str, str, int, int]]:
    """Consecutive calls to one endpoint, folded: (method, path, calls, items)."""
    folded = []
    for (method, path), run in groupby(operations, key=lambda op: (op.method, op.path)):
        calls = list(run)
        folded.append((method, path, len(calls), sum(len(op.items) for op in calls)))
    return folded
