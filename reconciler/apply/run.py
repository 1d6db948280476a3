"""`apply` end to end once a plan is chosen: check it, execute it, verify it, report.

A saved plan is checked against a fresh read before any write: the target must
be the one it was made for, and every live object it touches must be as it was
then (its fingerprint), unless the plan's own effects explain the difference
(the plan was applied before). Items already in effect are skipped, so applying
a saved plan twice creates nothing twice.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from typing import IO, TYPE_CHECKING, Any

from reconciler.apply.executor import (
    ALREADY_DONE,
    DONE,
    FAILED,
    PENDING,
    SKIPPED,
    Executor,
    Outcome,
    check_operations,
)
from reconciler.apply.progress import Progress
from reconciler.clickmeter import wire
from reconciler.clickmeter.client import ClickMeterClient
from reconciler.errors import ReconcilerError
from reconciler.live.reader import read_live_state
from reconciler.live.touched import read_touched_state
from reconciler.model import Kind, LiveState
from reconciler.plan.addresses import addresses_by_name
from reconciler.plan.calls import plan_details
from reconciler.plan.document import CREATE, RENAME, Plan, fingerprint
from reconciler.plan.effects import LIVE_COLLECTIONS, Names
from reconciler.plan.operations import DatapointBatchCreate, DatapointBatchUpdate
from reconciler.plan.passwords import changed_passwords, operation_variables
from reconciler.target import LOCAL_TRACKING_BASE, open_client, run_for_result, saved_target, tracking_base
from reconciler.terminal import clipped

if TYPE_CHECKING:
    from reconciler.target import TargetOptions

SHOWN_PER_STATUS = 50  # items listed by name per status in the summary; the rest are counted


class StalePlanError(ReconcilerError):
    """The account is no longer what the saved plan was made against."""


def check_target(plan: Plan, options: TargetOptions) -> None:
    """Refuse a saved plan made for another account: its ids mean nothing here."""
    here = saved_target(options)
    if plan.target != here:
        raise StalePlanError(f"the plan was made for {plan.target!r}, not {here!r}; plan again")


def check_secrets(plan: Plan, environ: Mapping[str, str] = os.environ) -> None:
    """Refuse a saved plan before any write when a password it sets has no variable to come
    from, or a value other than the one planned (its fingerprint).

    Failing those items one by one mid-apply would leave a partial apply behind. A malformed
    operation (a hand-edited plan) is refused first, in one line.
    """
    check_operations(plan, environ)
    missing = {variable: keys for variable, keys in operation_variables(plan.operations).items()
               if not environ.get(variable)}
    if missing:
        raise ReconcilerError("; ".join(
            f"environment variable {clipped(variable)} is not set (or empty); export it with the password of "
            + ", ".join(keys) for variable, keys in missing.items()) + "; nothing was applied")
    changed = changed_passwords(plan.password_fingerprints, environ)
    if changed:
        raise ReconcilerError("; ".join(
            f"environment variable {clipped(variable)} holds another password than when the plan was made"
            for variable in changed) + "; plan again or export the planned one; nothing was applied")


def stale_objects(plan: Plan, live: LiveState, environ: Mapping[str, str]) -> list[str]:
    """The objects that changed since the plan was made, in a way its own effects do not explain."""
    names = Names(live, environ)
    effects: dict[tuple[str, str | int], list[bool]] = {}
    for operation in plan.operations:
        for expectation in operation.expectations(names):
            effects.setdefault((expectation.kind, expectation.ident), []).append(
                expectation.residual(names) is None)
    stale = []
    for recorded in plan.fingerprints:
        applied = effects.get((recorded.kind, recorded.id if recorded.id is not None else recorded.name))
        if recorded.id is None:
            present = [obj.id for obj in names.named(recorded.kind, recorded.name)]
            if present and applied is not None and not all(applied):  # a tag folded into bodies has none
                stale.append(f"{recorded.kind} {recorded.name} now exists (id {', '.join(map(str, present))})")
            continue
        current = getattr(live, LIVE_COLLECTIONS[recorded.kind]).get(recorded.id)
        if (current is not None and fingerprint(current) == recorded.sha256) or (applied and all(applied)):
            continue
        change = "no longer exists" if current is None else "changed since the plan was made"
        stale.append(f"{recorded.kind} {recorded.name} (id {recorded.id}) {change}")
    return stale


def residuals(plan: Plan, live: LiveState, environ: Mapping[str, str]) -> list[str]:
    """What the account still lacks of the plan's effects (empty: converged)."""
    names = Names(live, environ)
    found = (expectation.residual(names) for operation in plan.operations
             for expectation in operation.expectations(names))
    return list(dict.fromkeys(residual for residual in found if residual))


@contextmanager
def stops_on_signals(stop: asyncio.Event) -> Iterator[None]:
    """Ctrl-C or SIGTERM set `stop` (calls in flight finish); a second Ctrl-C interrupts at once."""
    loop = asyncio.get_running_loop()

    def first_signal() -> None:
        stop.set()
        loop.remove_signal_handler(signal.SIGINT)

    for number in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(number, first_signal)
    try:
        yield
    finally:
        for number in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(number)


async def execute_plan(client: ClickMeterClient, plan: Plan, *, saved: bool, stream: IO[str],
                       log: IO[str] | None = None, environ: Mapping[str, str] = os.environ,
                       stop: asyncio.Event | None = None, tracking: str = LOCAL_TRACKING_BASE) -> Outcome:
    """Run `plan` through `client`; verify unless stopped. A saved plan is stale-checked first.
    The datapoints it created or renamed are then read back with their addresses (`tracking`:
    where the target serves pixels)."""
    stop = stop or asyncio.Event()
    progress = Progress(total_calls=len(plan.operations),
                        total_items=sum(len(op.items) for op in plan.operations),
                        stream=stream, is_terminal=stream.isatty(), log=log)
    executor = Executor(client, plan, progress, environ, stop)
    if saved:
        live = await read_live_state(client, details=plan_details(plan))
        stale = stale_objects(plan, live, environ)
        if stale:
            raise StalePlanError("the saved plan is stale: " + "; ".join(stale) + "; plan again")
        executor.already_done(live)
    outcome = await executor.run()
    progress.finish()
    if not outcome.interrupted:
        touched = touched_datapoints(plan, outcome, executor.ids, environ)
        try:
            live = await (read_live_state(client, details=executor.details) if touched is None else
                          read_touched_state(client, touched, executor.details,
                                             answered_datapoints(plan, executor.answered), referred_domains(plan)))
        except ReconcilerError as error:  # the service failed under apply: the summary still comes
            outcome.troubles.append(f"not verified: the account could not be read back ({error})")
        else:
            outcome.residuals = residuals(plan, live, environ)
            outcome.verified = True
            outcome.addresses = addresses_by_name(new_addresses(plan), live, tracking)
    outcome.troubles[:0] = progress.troubles
    return outcome


def new_addresses(plan: Plan) -> set[str]:
    """The datapoints whose address the plan makes (created) or changes (renamed)."""
    return {c.name for c in plan.changes if c.kind == Kind.DATAPOINT and c.action in (CREATE, RENAME)}


def touched_datapoints(plan: Plan, outcome: Outcome, created: Mapping[str, int],
                       environ: Mapping[str, str]) -> set[int] | None:
    """The ids of the datapoints apply wrote, for a verification that reads only those;
    None when a create was sent but its id is not known (an ambiguous write): the whole
    account must then be read to find what it made."""
    creates = {key for operation in plan.operations for key in operation.creates}
    if any(item.key in creates and item.key not in created and item.status not in (PENDING, SKIPPED)
           for item in outcome.items):
        return None
    written = {expectation.ident for operation in plan.operations
               for expectation in operation.planned_expectations(environ)
               if expectation.kind == Kind.DATAPOINT and isinstance(expectation.ident, int)}
    return written | {ident for key, ident in created.items() if key.startswith("datapoint:")}


def referred_domains(plan: Plan) -> set[int]:
    """The domains (ids) the plan's bodies put links on: verification reads the other domain
    types only when one of these is not a system domain."""
    found = set()
    for operation in plan.operations:
        for _, entry in operation.entries():
            domain_id = wire.keyed(wire.keyed(entry).get("typetl")).get("domainid")
            if isinstance(domain_id, int):
                found.add(domain_id)
    return found


def answered_datapoints(plan: Plan, answered: Mapping[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """The datapoints batch creates and updates answered whole (`entityData`) that no later
    call of the plan writes: as the account has them after apply, with no read (an update
    answers after the conversion patches before it, whatever the service did with them)."""
    last = {key: operation for operation in plan.operations for key in operation.items}
    return [entity for key, entity in answered.items()
            if isinstance(last.get(key), DatapointBatchCreate | DatapointBatchUpdate)]


def count_differences(plan: Plan, outcome: Outcome) -> list[str]:
    """Why apply's count is not the plan's, when it is not: the plan counts objects, apply the
    items of its calls; a new tag is no item of its own when the datapoint bodies naming it
    create it, and a re-tag is one item per tag added or removed."""
    if len(plan.changes) == len(outcome.items):
        return []
    keys = {item.key for item in outcome.items}
    folded = [c.name for c in plan.changes if c.kind == Kind.TAG and c.action == CREATE and f"tag:{c.name}" not in keys]
    why = [f"{len(folded)} new {'tag is' if len(folded) == 1 else 'tags are'} created by the datapoints that "
           f"name {'it' if len(folded) == 1 else 'them'} ({', '.join(folded[:5])}{', ...' if len(folded) > 5 else ''})"
           ] if folded else []
    if len(plan.changes) - len(folded) != len(outcome.items):
        why.append("a re-tag or a conversion change is one item per tag or conversion added or removed")
    return [f"(the plan counted {len(plan.changes)} objects, apply {len(outcome.items)} items of its API calls: "
            + "; ".join(why) + ")"]


def report_lines(plan: Plan, outcome: Outcome) -> list[str]:
    """Done / failed / skipped / not started, by name and cause, then the verification."""
    operations = plan.operations
    lines = []
    if outcome.interrupted:
        lines.append("Interrupted: calls in flight were finished; nothing else was started.")
    for status, title in ((FAILED, "failed"), (SKIPPED, "skipped"), (PENDING, "not started")):
        items = [item for item in outcome.items if item.status == status]
        if not items:
            continue
        lines.append(f"{title}:")
        for item in items[:SHOWN_PER_STATUS]:
            call = operations[item.operation]
            cause = f": {item.cause}" if item.cause else ""
            lines.append(f"  {item.key} ({call.method} {call.path}){cause}")
        if len(items) > SHOWN_PER_STATUS:
            lines.append(f"  ... and {len(items) - SHOWN_PER_STATUS} more")
    if outcome.addresses:
        lines.append("reached at (links: short URL; pixels: the snippet to put on the page):")
        lines += [f"  {name}: {where}" for name, where in sorted(outcome.addresses.items())]
    already = sum(1 for item in outcome.items if item.cause == ALREADY_DONE)
    lines.append(f"Apply: {outcome.count(DONE)} done{f' ({already} already as planned)' if already else ''}, "
                 f"{outcome.count(FAILED)} failed, {outcome.count(SKIPPED)} skipped, "
                 f"{outcome.count(PENDING)} not started.")
    lines += count_differences(plan, outcome)
    lines += [f"warning: {trouble}" for trouble in outcome.troubles]
    if outcome.interrupted:
        lines.append("Not verified (interrupted): run plan to see exactly what remains.")
    elif not outcome.verified:
        lines.append("Not verified: run plan to see exactly what remains.")
    elif outcome.residuals:
        lines.append("Not converged; still different:")
        lines += [f"  {residual}" for residual in outcome.residuals]
    else:
        lines.append("converged")
    return lines


def run_apply(options: TargetOptions, plan: Plan, *, saved: bool, log_path: str | None) -> Outcome:
    """`execute_plan` on the target, from synchronous code: signals stop it, `--log` is written."""
    try:
        log = open(log_path, "w", encoding="utf-8") if log_path else None  # noqa: SIM115 (closed below)
    except OSError as error:
        raise ReconcilerError(f"--log {log_path}: cannot write ({error.strerror})") from None

    async def on_target() -> Outcome:
        stop = asyncio.Event()
        async with open_client(options) as client:
            with stops_on_signals(stop):
                return await execute_plan(client, plan, saved=saved, stream=sys.stderr, log=log, stop=stop,
                                          tracking=tracking_base(options))

    try:
        return run_for_result(on_target())
    finally:
        if log is not None:
            with suppress(OSError):  # a full disk: already reported after the summary
                log.close()
