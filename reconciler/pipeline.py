"""`plan` and `export` end to end, so that the commands only parse, call and print.

The order matters: everything that can fail offline (manifests, missing
environment variables, a refused output directory) fails before the first API
call, and recent clicks are read only for the links the plan would delete or
re-point.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import gc
import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match

from reconciler.target import describe_target, open_client
from reconciler.errors import ReconcilerError
from reconciler.export import (
    check_output_dir, export_manifests, refuse_invalid, report_lines, stale_manifests, write_export,
)
from reconciler.manifests import load_manifests, resolve_secrets
from reconciler.manifests.schema import schema_text
from reconciler.model import DesiredState, LiveState
from reconciler.plan.calls import plan_details
from reconciler.plan.document import FORMAT_VERSION, Plan, PlanFileError
from reconciler.plan.planner import plan_changes
from reconciler.live.reader import details_of, read_details, read_live_state, read_recent_clicks
from reconciler.render import PlanJson
from reconciler.safe_files import UnsafeWriteError, write_file

if TYPE_CHECKING:
    from reconciler.target import TargetOptions
    from reconciler.clickmeter.client import ClickMeterClient


def build_plan(options: TargetOptions, paths: Sequence[str]) -> Plan:
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


def export_account(options: TargetOptions, out_dir: str, groups: Sequence[str],
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
    refuse_invalid(result.files)
    stale = stale_manifests(out, result.files) if out.is_dir() else []
    written = write_export(out, result.files)
    return report_lines(out, written, result, stale)


def write_plan(plan: Plan, path: str) -> None:
    """The saved plan, written whole or not at all (a half-written plan must never be applied)."""
    try:
        write_file(Path(path), PlanJson().render(plan))
    except UnsafeWriteError as error:
        raise ReconcilerError(f"--out {path}: {error}") from None
    except OSError as error:
        raise ReconcilerError(f"--out {path}: cannot write the plan ({error.strerror})") from None


@functools.cache
def _plan_validator() -> Draft202012Validator:
    return Draft202012Validator(json.loads(schema_text(PLAN_SCHEMA_FILE)))


PLAN_SCHEMA_FILE = "plan.schema.json"
MAX_PLAN_DEPTH = 64  # a plan written by `plan --out` nests about 8 levels


def _depth_exceeds(document: object, limit: int) -> bool:
    """Whether `document` nests lists and mappings more than `limit` levels (without recursing)."""
    level: list[object] = [document]
    for _ in range(limit):
        level = [child for value in level if isinstance(value, (dict, list))
                 for child in (value.values() if isinstance(value, dict) else value)]
        if not level:
            return False
    return any(isinstance(value, (dict, list)) for value in level)


def _malformed(document: object) -> str | None:
    """What breaks `plan.schema.json` or a placeholder in a plan of this version (a hand-edited
    plan is refused whole, before anything reads into it); None for a sound one or another version."""
    if not isinstance(document, dict) or document.get("format_version") != FORMAT_VERSION:
        return None  # `Plan.from_document` names the version it wants
    mismatch = best_match(_plan_validator().iter_errors(document))
    if mismatch is not None:
        where = "".join(f"[{step}]" if isinstance(step, int) else f".{step}" for step in mismatch.absolute_path)
        return f"{where.lstrip('.') or 'document'}: {mismatch.message}"
    for number, operation in enumerate(document["operations"], start=1):
        if _bad_placeholder(operation["params"]) or _bad_placeholder(operation["body"]):
            return (f"operation {number}: a $ref or $secret placeholder must be the only key of its object "
                    "and name a text")
    return None


def _bad_placeholder(value: object) -> bool:
    """Whether `value` holds a `$ref`/`$secret` that is not `{"$ref": text}` / `{"$secret": text}`."""
    if isinstance(value, dict):
        marked = {"$ref", "$secret"} & value.keys()
        if marked:
            return len(value) != 1 or not isinstance(value[marked.pop()], str)
        return any(_bad_placeholder(item) for item in value.values())
    return isinstance(value, list) and any(_bad_placeholder(item) for item in value)


def read_plan(path: str) -> Plan:
    """A saved plan, for `apply --plan`; one line if it cannot be read."""
    try:
        document = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as error:
        raise PlanFileError(f"{path}: cannot read the plan ({error.strerror})") from None
    except ValueError as error:
        raise PlanFileError(f"{path}: not a plan: {error}") from None
    except RecursionError:
        raise PlanFileError(f"{path}: not a plan: nested more than {MAX_PLAN_DEPTH} levels deep") from None
    if _depth_exceeds(document, MAX_PLAN_DEPTH):  # deeper still would exhaust the stack when applied
        raise PlanFileError(f"{path}: not a plan: nested more than {MAX_PLAN_DEPTH} levels deep")
    malformed = _malformed(document)
    if malformed:
        raise PlanFileError(f"{path}: malformed plan: {malformed}")
    try:
        return Plan.from_document(document)
    except PlanFileError as error:
        raise PlanFileError(f"{path}: {error}") from None
