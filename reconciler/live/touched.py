"""Reads around apply: the entities an update is about to send back whole, and, after
apply, only the datapoints it wrote (for the verification)."""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable, Collection
from functools import partial
from typing import Any

from reconciler import apishapes as api
from reconciler.clickmeter import wire
from reconciler.clickmeter.client import ClickMeterClient
from reconciler.clickmeter.errors import NotFoundError
from reconciler.live.reader import (
    EXPAND,
    DatapointReading,
    each_page,
    finish_state,
    read_base,
    read_scope_datapoints,
)
from reconciler.model import Kind, LiveState


async def read_touched_state(client: ClickMeterClient, ids: Collection[int], details: Collection[str | int],
                             answered: Collection[dict[str, Any]] = (),
                             domains: Collection[str | int] | None = None) -> LiveState:
    """The account's groups, conversions, domains, tags and scripts, and of its datapoints only
    `ids` (those apply wrote): enough to verify an apply at a fraction of a whole read.

    Datapoints `answered` whole by the writes themselves (`entityData`) are taken as they
    are; the others come by id (one GET each) or from the expanded pages, whichever is fewer
    calls; when lists are not expanded and the GETs would cost more than reading the whole
    account from summary rows, the whole account is read instead. `details`: as for
    `read_live_state`; `domains`: as for `read_base`.
    """
    base = await read_base(client, domains)
    reading = DatapointReading()
    for data in answered:
        reading.take(base.names, data)
    wanted = set(ids) - {wire.entity_id(data) for data in answered}
    if len(wanted) > 3:  # else the count and a first page cost as much as GETs
        counted, first = await asyncio.gather(client.count_datapoints(),
                                              client.list_datapoints(offset=0, limit=api.MAX_LIMIT, **EXPAND))
        pages = math.ceil(counted / api.MAX_LIMIT)
        if all(wire.is_whole(entry) for entry in first) and pages < len(wanted):
            await _each_wanted(client, first, counted, wanted, partial(reading.take, base.names))
            return await finish_state(client, base, reading, details)
        summary_read = 2 * pages + len(base.state.conversions) + len(base.names.script_ids) + len(details) + 4
        if not all(wire.is_whole(entry) for entry in first) and summary_read < len(wanted):
            return await finish_state(client, base, await read_scope_datapoints(client, base, None, counted),
                                      details)
    for data in (await read_fresh(client, Kind.DATAPOINT, wanted, by_pages=False)).values():
        reading.take(base.names, data)
    return await finish_state(client, base, reading, details)


async def _each_wanted(client: ClickMeterClient, first: list[Any], counted: int, wanted: Collection[int],
                       take: Callable[[dict[str, Any]], None]) -> None:
    """The account's expanded datapoint pages after `first`, each entry among `wanted` handed
    to `take` as its page arrives."""
    def take_wanted(page: list[Any]) -> None:
        for entity in page:
            if wire.entity_id(entity) in wanted:
                take(entity)

    await each_page(client, lambda offset: client.list_datapoints(offset=offset, limit=api.MAX_LIMIT, **EXPAND),
                    first, counted, take_wanted)


# ------------------------------------------------------------------ fresh entities for updates


async def read_fresh(client: ClickMeterClient, kind: Kind, ids: Collection[int],
                     by_pages: bool = True) -> dict[int, dict[str, Any]]:
    """The live entities `ids` of `kind` as the wire has them (deleted or missing ones left out),
    for whole-body updates: one GET each, or (`by_pages`) the expanded datapoint pages when
    those are fewer."""
    wanted = set(ids)
    if kind == Kind.DATAPOINT and by_pages and len(wanted) > 3:  # else a count and a first page cost as much
        counted, first = await asyncio.gather(client.count_datapoints(),
                                              client.list_datapoints(offset=0, limit=api.MAX_LIMIT, **EXPAND))
        if math.ceil(counted / api.MAX_LIMIT) < len(wanted) and all(wire.is_whole(e) for e in first):
            fresh: dict[int, dict[str, Any]] = {}

            def keep_live(entity: dict[str, Any]) -> None:
                if not wire.is_deleted(entity):
                    fresh[wire.entity_id(entity)] = entity

            await _each_wanted(client, first, counted, wanted, keep_live)
            return fresh
    get_one = {Kind.DATAPOINT: client.get_datapoint, Kind.GROUP: client.get_group,
               Kind.CONVERSION: client.get_conversion}[kind]

    async def fetch(entity_id: int) -> dict[str, Any] | None:
        try:
            return await get_one(entity_id)
        except NotFoundError:
            return None

    found = await client.map_concurrently(fetch, sorted(wanted))
    return {wire.entity_id(e): e for e in found if e is not None and not wire.is_deleted(e)}
