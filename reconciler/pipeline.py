"""`plan` and `export` end to end, so that the commands only parse, call and print.

The order matters: everything that can fail offline (manifests, missing
environment variables, a refused output directory) fails before the first API
call, and recent clicks are read only for the links the plan would delete or
re-point.
"""

from __future__ import annotations

import asyncio
import dataclasses
import gc
import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from reconciler.clickmeter.target import describe_target, open_client
from reconciler.errors import ReconcilerError
from reconciler.executor import plan_details
from reconciler.export import check_output_dir, export_manifests, report_lines, stale_manifests, write_export
from reconciler.manifests import load_manifests, resolve_secrets
from reconciler.model import DesiredState, LiveState
from reconciler.plan import Plan, PlanFileError
from reconciler.planner import plan_changes
from reconciler.reader import details_of, read_details, read_live_state, read_recent_clicks
from reconciler.render import PlanJson

if TYPE_CHECKING:  # the CLI imports this module
    from reconciler.cli import GlobalOptions
    from reconciler.clickmeter.client import ClickMeterClient


def build_plan(options: GlobalOptions, paths: Sequence[str]) -> Plan:
    """The plan that makes the target what the manifests under `paths` declare."""
    desired = load_manifests(paths)
    notes = resolve_secrets(desired)
    target = describe_target(options)
    gc.freeze()  # tens of thousands of long-lived specs: keep the collector from re-scanning them

    async def against_target() -> Plan:
        async with open_client(options) as client:
            plan = await read_and_plan(client, desired)
            at_risk, days = plan.at_risk_ids(), desired.settings.protect_active_days
            if at_risk and days > 0:  # protect_active_days: 0 turns the protection off
                plan = plan.with_recent_clicks(await read_recent_clicks(client, at_risk, days))
            return plan

    plan = asyncio.run(against_target())
    return dataclasses.replace(plan, target=target, notes=tuple(notes))


async def read_and_plan(client: ClickMeterClient, desired: DesiredState) -> Plan:
    """Read what the plan needs and plan. When lists are not expanded, the datapoints the
    plan touches are then fetched whole, so that its fingerprints are what apply reads."""
    details = details_of(desired)
    live = await read_live_state(client, details=details)
    gc.freeze()
    plan = plan_changes(desired, live)
    touched = {i for i in plan_details(plan) if isinstance(i, int) and i not in details
               and live.datapoints.get(i) is not None and live.datapoints[i].name not in details}
    if live.partial_datapoints and touched:
        await read_details(client, live, touched)
        plan = plan_changes(desired, live)
    return plan


def export_account(options: GlobalOptions, out_dir: str, groups: Sequence[str],
                   force: bool) -> tuple[list[str], list[str]]:
    """Write the live account (or `groups` of it) as manifests under `out_dir`; the lines
    to print on stdout and the warnings for stderr."""
    out = Path(out_dir)
    check_output_dir(out, force)

    async def read_whole_account() -> LiveState:
        """The whole account: `groups` filters afterwards, since id pins need every live name."""
        async with open_client(options) as client:
            return await read_live_state(client)

    result = export_manifests(asyncio.run(read_whole_account()), groups or None)
    stale = stale_manifests(out, result.files) if out.is_dir() else []
    written = write_export(out, result.files)
    return report_lines(out, written, result, stale)


def write_plan(plan: Plan, path: str) -> None:
    """The saved plan, written whole or not at all (a half-written plan must never be applied)."""
    target = Path(path)
    partial = target.with_name(target.name + ".partial")
    try:
        partial.write_text(PlanJson().render(plan), encoding="utf-8")
        os.replace(partial, target)
    except OSError as error:
        raise ReconcilerError(f"--out {path}: cannot write the plan ({error.strerror})") from None


def read_plan(path: str) -> Plan:
    """A saved plan, for `apply --plan`; one line if it cannot be read."""
    try:
        document = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as error:
        raise PlanFileError(f"{path}: cannot read the plan ({error.strerror})") from None
    except ValueError as error:
        raise PlanFileError(f"{path}: not a plan: {error}") from None
    try:
        return Plan.from_document(document)
    except PlanFileError as error:
        raise PlanFileError(f"{path}: {error}") from None
