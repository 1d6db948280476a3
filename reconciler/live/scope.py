"""The live state a plan needs, read only as far as the manifests can reach.

A plan changes only declared datapoints and the undeclared ones of `prune`
groups, so the datapoints of groups nothing declares are never needed: read
the declared groups whole (prune needs them whole), then look up by name
(`textSearch`, exact match checked) the declared datapoints not found there,
wherever they are, deleted ones included (a deleted name cannot be reused).
That gives the plan a whole-account read would give, except that `left_alone`
counts only the groups read, and it costs far fewer calls when the manifests
declare a few groups of a large account.

The whole account is read instead when that is no dearer (estimated from the
counts before any page, then again with the look-ups known), and when a
datapoint pins an `id:` not found in the groups read.

One difference remains possible: a declared name found in the groups read
that is also live on another domain outside them is matched to the one read,
where a whole-account read would call the name ambiguous and ask for an `id:`.
"""

from __future__ import annotations

import asyncio
import math
from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from reconciler import apishapes as api
from reconciler.clickmeter.client import ClickMeterClient
from reconciler.live.reader import (
    EXPAND,
    BaseRead,
    DatapointReading,
    WireEntities,
    finish_state,
    is_complete_page,
    look_up_datapoints,
    read_base,
    read_scope_datapoints,
    with_domains,
)
from reconciler.model import DesiredState, LiveState


@dataclass(frozen=True)
class ReadScope:
    """Which part of the account a plan read: `groups` None for the whole account."""

    groups: tuple[str, ...] | None = None
    looked_up: int = 0

    def describe(self) -> str:
        if self.groups is None:
            return "the whole account"
        names = "s" * (self.looked_up != 1)
        return (f"declared groups only ({', '.join(self.groups) or 'none live'}); "
                f"{self.looked_up} declared name{names} looked up elsewhere")

    def left_alone(self, counts: dict[str, int]) -> dict[str, int]:
        """`counts` of undeclared datapoints, kept to the groups read whole (a datapoint looked
        up under an old name may be from another group, which was not counted)."""
        return counts if self.groups is None else {g: n for g, n in counts.items() if g in self.groups}

    def left_alone_names(self, names: tuple[str, ...], live: LiveState) -> tuple[str, ...]:
        """`names` of undeclared datapoints, kept to the groups read whole (as `left_alone`)."""
        if self.groups is None:
            return names
        counted = {d.name for d in live.datapoints.values() if (d.group or "") in self.groups}
        return tuple(name for name in names if name in counted)


CHEAPEST, DECLARED, WHOLE = "cheapest", "declared", "whole"
"""How `read_for_plan` chooses: by the calls, the declared groups whenever it can (tests), or
the whole account (to compare)."""


async def start_read(client: ClickMeterClient, kept: WireEntities | None = None) -> tuple[BaseRead, int]:
    """What every plan's read begins with, before the manifests are known: the base (system
    domains only) and the account's count. `kept`: as for `read_base`."""
    base, total = await asyncio.gather(read_base(client, (), kept), client.count_datapoints())
    return base, total


async def read_for_plan(client: ClickMeterClient, desired: DesiredState, details: Collection[str | int] | None,
                        scope: str = CHEAPEST, kept: WireEntities | None = None,
                        started: tuple[BaseRead, int] | None = None) -> tuple[LiveState, ReadScope]:
    """The live state `desired` needs, and which part of the account was read (for the plan).

    Each declared group's first page is listed before its count: a group of fewer than 100
    datapoints is then read in that one call, and only a full first page asks for a count.
    `kept`: as for `read_base`; `started`: what `start_read` gave (its `kept` then holds)."""
    base, total = started or await start_read(client, kept)
    await with_domains(client, base, {spec.domain for spec in desired.datapoints.values() if spec.domain})
    by_name = {group.name: group_id for group_id, group in base.state.groups.items()}
    declared = [] if scope == WHOLE else sorted(
        {*desired.groups, *(spec.group for spec in desired.datapoints.values() if spec.group)})
    group_ids = [by_name[name] for name in declared if name in by_name]
    whole_cost = _pages(total) + 1 if scope == CHEAPEST else math.inf  # the pages, the count again
    ungrouped = sum(1 + len(spec.renamed_from) for spec in desired.datapoints.values() if not spec.group)
    if scope != WHOLE and _least_cost(desired, declared, by_name) + ungrouped < whole_cost:
        firsts = await asyncio.gather(*(client.list_group_datapoints(group_id, offset=0, limit=api.MAX_LIMIT,
                                                                     **EXPAND) for group_id in group_ids))
        counts = await asyncio.gather(*(_count_unless_complete(client, group_id, first)
                                        for group_id, first in zip(group_ids, firsts, strict=True)))
        if sum(_pages(count) for count in counts if count is not None) + ungrouped < whole_cost:
            readings = await asyncio.gather(*(read_scope_datapoints(client, base, group_id, count, first)
                                              for group_id, count, first in zip(group_ids, counts, firsts,
                                                                                strict=True)))
            scoped = await _looked_up(client, base, desired, readings, whole_cost)
            if scoped is not None:
                reading, looked_up = scoped
                return (await finish_state(client, base, reading, details),
                        ReadScope(tuple(name for name in declared if name in by_name), looked_up))
    reading = await read_scope_datapoints(client, base, None, total)
    return await finish_state(client, base, reading, details), ReadScope()


async def _count_unless_complete(client: ClickMeterClient, group_id: int, first: list[Any]) -> int | None:
    """A group's count, unless its first page already holds the whole group (None)."""
    return None if is_complete_page(first) else await client.count_group_datapoints(group_id)


async def _looked_up(client: ClickMeterClient, base: BaseRead, desired: DesiredState,
                     readings: list[DatapointReading], whole_cost: float) -> tuple[DatapointReading, int] | None:
    """The groups' datapoints and those looked up by name, and how many names were looked up;
    None when the whole account must be read instead (a pinned id not found, or dearer)."""
    reading = DatapointReading()
    for group_reading in readings:
        reading |= group_reading
    live_names = {(datapoint.type, datapoint.name) for datapoint in reading.live.values()}
    wanted: list[tuple[str, str]] = []
    for spec in desired.datapoints.values():
        if spec.id is not None:
            if spec.id not in reading.live:
                return None
            if reading.live[spec.id].name != spec.name:  # renamed: is the new name free, or a deleted one's?
                wanted.append((spec.type, spec.name))
        elif (spec.type, spec.name) not in live_names:
            wanted += [(spec.type, name) for name in (spec.name, *spec.renamed_from)]
    wanted = sorted(set(wanted))
    if len(wanted) >= whole_cost:
        return None
    found = await client.map_concurrently(
        lambda pair: look_up_datapoints(client, base, pair[0], pair[1], reading.expanded), wanted)
    for each in found:
        reading.live |= each.live
        reading.deleted |= each.deleted
        reading.expanded = reading.expanded and each.expanded
    return reading, len(wanted)


def _least_cost(desired: DesiredState, declared: list[str], live_groups: dict[str, int]) -> int:
    """The fewest calls the declared groups can be read in: its pages each, a page holding at
    most 100 of the datapoints declared in it, and a count for a group that fills its first
    (one found elsewhere costs a call)."""
    per_group = Counter(spec.group for spec in desired.datapoints.values())
    return sum(_pages(per_group[name]) + (per_group[name] >= api.MAX_LIMIT) for name in declared
               if name in live_groups)


def _pages(count: int) -> int:
    return max(1, math.ceil(count / api.MAX_LIMIT))
