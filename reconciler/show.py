"""`show`: each declared datapoint with where it is reached, its status and its recent clicks.

The first thing a marketer needs after apply is the short URL to print and the pixel snippet
to paste; this lists them for the manifests' datapoints, one line each, from one read of the
part of the account the manifests reach (as `plan` reads it) and one clicks read.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import asdict, dataclass

from reconciler.clickmeter.client import ClickMeterClient
from reconciler.live.clicks import read_recent_clicks
from reconciler.live.scope import read_for_plan
from reconciler.model import DesiredState, LiveDatapoint
from reconciler.plan.addresses import address
from reconciler.plan.matching import live_candidates

SHOW_DAYS = 30  # the window of "recent" clicks shown
NOT_CREATED = "not created"


@dataclass(frozen=True, slots=True)
class Shown:
    """One declared datapoint as the account has it (`id` None: not created yet)."""

    name: str
    type: str
    id: int | None
    status: str
    address: str
    clicks: int | None  # over the last SHOW_DAYS days; None when not created


async def collect_shown(client: ClickMeterClient, desired: DesiredState, tracking: str) -> list[Shown]:
    """The declared datapoints (not `absent: true` ones) by name, each with its live twin."""
    live, _ = await read_for_plan(client, desired, None)
    by_name: defaultdict[tuple[str, str], list[LiveDatapoint]] = defaultdict(list)
    for datapoint in live.datapoints.values():
        by_name[(datapoint.type, datapoint.name)].append(datapoint)
    found = {}
    for spec in sorted(desired.datapoints.values(), key=lambda s: s.name):
        if not spec.absent:
            candidates = live_candidates(spec, live.datapoints, by_name)[1]
            found[spec.name] = (spec.type, min(candidates, key=lambda d: d.id) if candidates else None)
    clicks = await read_recent_clicks(client, [d.id for _, d in found.values() if d is not None], SHOW_DAYS)
    return [Shown(name, kind, None, NOT_CREATED, "", None) if datapoint is None else
            Shown(name, kind, datapoint.id, datapoint.status, address(datapoint, live, tracking),
                  clicks.get(datapoint.id, 0))
            for name, (kind, datapoint) in found.items()]


def shown_text(rows: list[Shown]) -> str:
    """One line per datapoint: name, type, status, clicks, address; columns aligned."""
    width = max((len(row.name) for row in rows), default=0)
    lines = [f"{row.name:<{width}}  {row.type:<5}  {row.status:<11}  "
             f"{'-' if row.clicks is None else row.clicks:>6}  {row.address}".rstrip() for row in rows]
    return "\n".join([f"{'name':<{width}}  type   status       clicks  address (clicks: last {SHOW_DAYS} days)",
                      *lines]) + "\n"


def shown_json(rows: list[Shown]) -> str:
    return json.dumps({"days": SHOW_DAYS, "datapoints": [asdict(row) for row in rows]}, indent=2) + "\n"
