"""`plan` end to end, so that the command only parses, calls and prints.

The order matters: everything that can fail offline (manifests, missing
environment variables) fails before the first API call, and recent clicks are
read only for the links the plan would delete or re-point.
"""

from __future__ import annotations

import asyncio
import dataclasses
import gc
import os
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from typing import TYPE_CHECKING, Any

from reconciler.live.clicks import read_recent_clicks
from reconciler.live.details import details_of
from reconciler.live.reader import BaseRead, WireEntities, read_details
from reconciler.live.scope import CHEAPEST, read_for_plan, start_read
from reconciler.manifests import load_manifests, resolve_secrets
from reconciler.model import DesiredState
from reconciler.plan.calls import plan_details
from reconciler.plan.document import FetchedEntities, Plan
from reconciler.plan.passwords import password_fingerprints
from reconciler.plan.planner import plan_changes
from reconciler.target import LOCAL, describe_target, open_client, run_for_result

FULL_COLLECTIONS_NEVER = 1_000_000  # young collections between two full ones: none in one plan

if TYPE_CHECKING:
    from reconciler.clickmeter.client import ClickMeterClient
    from reconciler.target import TargetOptions


def build_plan(options: TargetOptions, paths: Sequence[str], keep_fetched: bool = False) -> Plan:
    """The plan that makes the target what the manifests under `paths` declare.

    On a remote target the manifests load in a thread while the client connects and the
    reads every plan begins with (`start_read`: they need nothing from the manifests) are in
    flight: at the public service's 10 requests/s those are about a second of waiting. A
    manifest problem still wins over the target's: reads are cancelled, a refused key waits
    for the load. `keep_fetched`: as for `read_and_plan` (apply sets it).
    """
    target = describe_target(options)

    async def against_target() -> tuple[Plan, list[str]]:
        if options.target == LOCAL:  # the server runs in this process: no wait to fill, only memory
            desired, notes = _load(paths)
            async with open_client(options) as client:
                return await planned(client, desired, None), notes
        loading = asyncio.ensure_future(asyncio.to_thread(_load, paths))
        try:
            async with open_client(options) as client:
                reading = asyncio.ensure_future(start_read(client, {} if keep_fetched else None))
                try:
                    desired, notes = await loading
                except BaseException:
                    reading.cancel()
                    with suppress(BaseException):
                        await reading
                    raise
                return await planned(client, desired, await reading), notes
        except BaseException:
            await loading  # a manifest problem wins over the target's (a refused key, say)
            raise

    async def planned(client: ClickMeterClient, desired: DesiredState, started: tuple[BaseRead, int] | None) -> Plan:
        plan = await read_and_plan(client, desired, keep_fetched=keep_fetched, started=started)
        at_risk, days = plan.at_risk_ids(), desired.settings.protect_active_days
        if at_risk and days > 0:  # protect_active_days: 0 turns the protection off
            return plan.with_recent_clicks(await read_recent_clicks(client, at_risk, days))
        return plan

    plan, notes = run_for_result(against_target())
    passwords = password_fingerprints(plan.operations, plan.manifests_digest, os.environ)
    return dataclasses.replace(plan, target=target, notes=tuple(notes), password_fingerprints=passwords)


def _load(paths: Sequence[str]) -> tuple[DesiredState, list[str]]:
    """The manifests and their secrets' notes. The collector is off while they load: that
    only builds long-lived objects, which it would scan again and again; they are then
    frozen out of its sight."""
    gc.disable()
    try:
        desired = load_manifests(paths)
    finally:
        gc.freeze()
        gc.enable()
    return desired, resolve_secrets(desired)


async def read_and_plan(client: ClickMeterClient, desired: DesiredState, scope: str = CHEAPEST,
                        keep_fetched: bool = False, started: tuple[BaseRead, int] | None = None) -> Plan:
    """Read what the plan needs (`read_for_plan`: only the declared groups when that is
    cheaper; `scope`: how to choose) and plan. When lists are not expanded, the
    datapoints the plan touches are then fetched whole, so that its fingerprints are what
    apply reads. `keep_fetched`: the plan carries the entities it updates as read
    (`Plan.fetched`), so that an apply right after need not read them again. `started`:
    what `start_read` gave (with `keep_fetched`, it must have been given a `kept`)."""
    details = details_of(desired)
    kept: WireEntities | None = ({} if keep_fetched else None) if started is None else started[0].names.kept
    with _young_collections_only():
        live, read_scope = await read_for_plan(client, desired, details, scope, kept, started)
        gc.freeze()  # tens of thousands of long-lived objects: keep the collector from re-scanning them
        plan = plan_changes(desired, live)
    touched = {i for i in plan_details(plan) if isinstance(i, int) and i not in details
               and live.datapoints.get(i) is not None and live.datapoints[i].name not in details}
    if live.partial_datapoints and touched:
        await read_details(client, live, touched, kept)
        plan = plan_changes(desired, live)
    fetched = None if kept is None else FetchedEntities(_updated(plan, kept), time.monotonic())
    return dataclasses.replace(plan, fetched=fetched, read_scope=read_scope.describe(),
                               left_alone=read_scope.left_alone(plan.left_alone),
                               left_alone_names=read_scope.left_alone_names(plan.left_alone_names, live))


@contextmanager
def _young_collections_only() -> Iterator[None]:
    """The collector without its full collections while the read and the planner run.

    Both build long-lived objects (100,000 datapoints read, the planner's indexes), and each
    full collection scans all of them again: 14 of them cost about 2 s of a 13.6 s plan at
    100,000. Young collections still run, so the requests' short-lived cycles are freed.
    """
    thresholds = gc.get_threshold()
    gc.set_threshold(thresholds[0], thresholds[1], FULL_COLLECTIONS_NEVER)
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)


def _updated(plan: Plan, kept: WireEntities) -> dict[tuple[str, int], dict[str, Any]]:
    """Of the entities read, those the plan's whole updates send back before any other of its
    calls writes them, or writes only fields the update sets itself (a conversion patch before
    an update carrying the slots): for anything else only a read sees what the earlier call made."""
    written: dict[tuple[str, str | int], set[str | None]] = {}
    wanted: dict[tuple[str, int], dict[str, Any]] = {}
    for operation in plan.operations:
        expectations = operation.planned_expectations(os.environ)
        for expectation in expectations:
            key = (expectation.kind, expectation.ident)
            if (operation.WHOLE_UPDATE and isinstance(expectation.ident, int) and key in kept
                    and written.get(key, set()) <= set(expectation.fields or ())):
                wanted[(expectation.kind, expectation.ident)] = kept[(expectation.kind, expectation.ident)]
        for expectation in expectations:
            written.setdefault((expectation.kind, expectation.ident), set()).update(
                [expectation.member_field] if expectation.member_field else expectation.fields or [None])
    return wanted
