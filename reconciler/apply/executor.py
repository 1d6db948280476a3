"""Execute a plan's operations against a live account: in order, item by item, never twice.

The planner already chose every call; the executor only knows how to send
them. Its rules:

- Order: operations run in plan order. A run of consecutive operations of the
  same kind (a "wave": same method, path and patch action) runs concurrently,
  since such calls never depend on each other; the next wave starts when it ends.
- References: a `$ref` is filled with the id an earlier operation created; an
  item whose `$ref` was not created is skipped (it depends on a failure), the
  rest of its batch still goes. A `$secret` is read from the environment.
- Ambiguity: a write whose answer was lost (`AmbiguousWriteError`) is never
  repeated blindly. After the wave, the account is re-read; an item whose
  effect is there is done, a create whose name is still absent (or an
  idempotent write not in effect) is sent again, anything else is failed.
  A failed item whose effect turns out to be there (an earlier lost answer)
  also counts as done.
- Whole updates: an update sends the entity as just re-read (`reader.read_fresh`,
  once per wave) with only the planned fields changed (`wire.whole_update`), so
  that whatever the service does with a missing property, nothing is wiped.
  The re-read entity (its clear-text password included) goes only into the
  request body, never into an item, a message or the plan.
- Interruption: `stop` set (Ctrl-C, SIGTERM) means no new call starts; calls
  in flight finish and are accounted for.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from reconciler.apply.expectations import (
    Expectation,
    Names,
    UnknownOperationError,
    expectations,
)
from reconciler.apply.progress import CallRecord, Progress
from reconciler.clickmeter import wire
from reconciler.clickmeter.client import ClickMeterClient
from reconciler.clickmeter.errors import AmbiguousWriteError, ApiError
from reconciler.errors import ReconcilerError
from reconciler.live.reader import read_fresh, read_live_state
from reconciler.model import LiveState
from reconciler.plan.calls import bodies_details
from reconciler.plan.document import Operation, Plan, operation_items

PENDING, DONE, FAILED, SKIPPED, UNKNOWN = "pending", "done", "failed", "skipped", "unknown"
PARTIAL = "partial"  # a batch call in which some items failed
ALREADY_DONE = "already as planned"
RESOLVE_ROUNDS = 3  # re-read and re-send rounds for writes whose outcome was lost
UPDATES = {("POST", "/datapoints/batch"): "datapoint", ("POST", "/groups/{id}"): "group",
           ("POST", "/conversions/{conversionId}"): "conversion"}


class Unresolved(Exception):
    """A placeholder that cannot be filled: the item is skipped (a `$ref`) or failed (a `$secret`)."""

    def __init__(self, status: str, cause: str) -> None:
        super().__init__(cause)
        self.status = status
        self.cause = cause


@dataclass
class Item:
    """One item of one operation, and what became of it."""

    operation: int  # index in plan.operations
    position: int  # index in the operation's items / batch body
    key: str  # "kind:name"
    body: Any  # as planned, placeholders included
    status: str = PENDING
    cause: str = ""

    def settle(self, status: str, cause: str = "") -> None:
        self.status, self.cause = status, cause


@dataclass
class Outcome:
    """Every item's fate, for the summary and the exit status."""

    items: list[Item]
    interrupted: bool = False
    residuals: list[str] = field(default_factory=list)
    verified: bool = False
    troubles: list[str] = field(default_factory=list)  # the log, the terminal or the verifying read failed

    def count(self, status: str) -> int:
        return sum(1 for item in self.items if item.status == status)

    @property
    def succeeded(self) -> bool:
        return (self.verified and not self.residuals and not self.troubles
                and all(item.status == DONE for item in self.items))


def fill(value: Any, ids: Mapping[str, int], environ: Mapping[str, str]) -> Any:
    """`value` with every `$ref` and `$secret` replaced; `Unresolved` when one cannot be."""
    if isinstance(value, dict):
        if set(value) == {"$ref"}:
            if value["$ref"] not in ids:
                raise Unresolved(SKIPPED, f"needs {value['$ref']}, which was not created")
            return ids[value["$ref"]]
        if set(value) == {"$secret"}:
            secret = environ.get(value["$secret"])
            if not secret:
                raise Unresolved(FAILED, f"environment variable {value['$secret']} is not set")
            return secret
        return {key: fill(item, ids, environ) for key, item in value.items()}
    if isinstance(value, list):
        return [fill(item, ids, environ) for item in value]
    return value


def wave_key(operation: Operation) -> tuple[str, str, str]:
    """Calls with equal keys are independent of each other (a removal and an addition are not:
    a datapoint holds at most five conversions, so removals go first)."""
    return operation.method, operation.path, wire.patch_action(operation.body)


def waves(operations: tuple[Operation, ...]) -> list[list[int]]:
    """Operation indexes, grouped into runs of consecutive operations with the same `wave_key`."""
    grouped: list[list[int]] = []
    for index, operation in enumerate(operations):
        if grouped and wave_key(operations[grouped[-1][0]]) == wave_key(operation):
            grouped[-1].append(index)
        else:
            grouped.append([index])
    return grouped



def check_operations(plan: Plan, environ: Mapping[str, str]) -> None:
    """Refuse, before any write, a plan holding a call apply could not check (unknown or malformed,
    as a hand-edited saved plan may be)."""
    for number, operation in enumerate(plan.operations, start=1):
        try:
            expectations(operation, Names(LiveState(), environ))
        except (KeyError, IndexError, TypeError, ValueError, AttributeError) as error:
            raise UnknownOperationError(f"operation {number} ({operation.method} {operation.path}) is "
                                        f"malformed: {type(error).__name__}: {error}") from None


class Executor:
    """Runs one plan's operations on one client; `run()` gives the `Outcome`."""

    def __init__(self, client: ClickMeterClient, plan: Plan, progress: Progress,
                 environ: Mapping[str, str], stop: asyncio.Event | None = None) -> None:
        self.client = client
        self.plan = plan
        self.progress = progress
        self.environ = environ
        self.stop = stop or asyncio.Event()
        self.ids: dict[str, int] = {}
        self.answered: dict[str, dict[str, Any]] = {}  # item key -> the entity its batch answer gave
        check_operations(plan, environ)
        self.details = bodies_details(plan)
        self.items = [Item(index, position, key, body)
                      for index, operation in enumerate(plan.operations)
                      for position, (key, body) in enumerate(operation_items(operation))]
        self.fresh: dict[tuple[str, int], dict[str, Any]] = {}  # entities re-read for this wave's updates
        self.by_operation: dict[int, list[Item]] = {}
        for item in self.items:
            self.by_operation.setdefault(item.operation, []).append(item)

    # ------------------------------------------------------------ the run

    async def run(self) -> Outcome:
        for wave in waves(self.plan.operations):
            if self.stop.is_set():
                break
            await self._run_wave(wave)
            if not self.stop.is_set():  # once stopped, not even a re-read starts
                await self._resolve(wave)
        for item in self.items:
            if item.status == UNKNOWN:
                item.settle(FAILED, f"outcome unknown (stopped before re-reading; plan shows it): {item.cause}")
        return Outcome(self.items, interrupted=any(item.status == PENDING for item in self.items))

    def already_done(self, live: LiveState) -> None:
        """Mark items whose effect `live` already shows as done (a saved plan applied again)."""
        names = Names(live, self.environ)
        for index, operation in enumerate(self.plan.operations):
            for item, expectation in zip(self.by_operation[index], expectations(operation, names)):
                if item.status == PENDING and expectation.residual(names) is None:
                    self._learn_id(item, expectation, names)
                    item.settle(DONE, ALREADY_DONE)

    async def _run_wave(self, wave: list[int]) -> None:
        await self._read_fresh(wave)
        queue = iter(wave)

        async def worker() -> None:
            for index in queue:
                if self.stop.is_set():
                    return
                await self._send(index, [i for i in self.by_operation[index] if i.status == PENDING],
                                 counts=True)

        await asyncio.gather(*(worker() for _ in range(min(self.client.concurrency, len(wave)))))

    async def _send(self, index: int, items: list[Item], counts: bool) -> None:
        """One call for `items` of operation `index` (a batch carries only those)."""
        operation = self.plan.operations[index]
        ready = self._fill_items(items)
        started = time.monotonic()
        status = SKIPPED if items else ALREADY_DONE  # no call is made for either
        try:
            if ready:
                params = fill(operation.params, self.ids, self.environ)
                path = operation.path.format(**params)
                if (operation.method, operation.path) in UPDATES:
                    ready = await self._whole_bodies(operation, params, ready)
                    status = FAILED  # unless a call goes out: every item's entity is gone
            if ready:
                answer = await self.client.call(f"apply {operation.method} {operation.path}", operation.method,
                                                path, body=self._body(operation, ready),
                                                idempotent=not operation.creates)
                status = self._take_answer(operation, ready, answer)
        except Unresolved as unresolved:  # a `$ref` in the path: every item depends on it
            for item, _ in ready:
                item.settle(unresolved.status, unresolved.cause)
        except AmbiguousWriteError as error:
            status = UNKNOWN
            for item, _ in ready:
                item.settle(UNKNOWN, str(error))
        except ApiError as error:
            status = FAILED
            for item, _ in ready:
                item.settle(FAILED, str(error))
        self.progress.call_finished(CallRecord(f"{operation.method} {operation.path}", len(items), status,
                                               time.monotonic() - started), counts=counts)

    def _fill_items(self, items: list[Item]) -> list[tuple[Item, Any]]:
        """(item, body item with placeholders filled); the others are settled as skipped or failed."""
        ready = []
        for item in items:
            try:
                ready.append((item, fill(item.body, self.ids, self.environ)))
            except Unresolved as unresolved:
                item.settle(unresolved.status, unresolved.cause)
        return ready

    @staticmethod
    def _body(operation: Operation, ready: list[tuple[Item, Any]]) -> Any:
        if wire.batch_entries(operation.body) is not None:
            return {next(iter(operation.body)): [filled for _, filled in ready]}
        return ready[0][1]

    # ------------------------------------------------------------ whole updates

    @staticmethod
    def _updated_id(operation: Operation, params: dict[str, Any], body: Any) -> int:
        return int(wire.keyed(body)["id"]) if operation.path == "/datapoints/batch" else int(next(iter(params.values())))

    async def _read_fresh(self, wave: list[int]) -> None:
        """Re-read, in as few calls as the service allows, every entity this wave updates."""
        self.fresh = {}
        kind = UPDATES.get((self.plan.operations[wave[0]].method, self.plan.operations[wave[0]].path))
        if kind is None or self.stop.is_set():
            return
        ids = {self._updated_id(self.plan.operations[index], self.plan.operations[index].params, item.body)
               for index in wave for item in self.by_operation[index] if item.status == PENDING}
        try:
            found = await read_fresh(self.client, kind, ids)
        except ApiError:
            return  # each call re-reads its own entities, and fails with the reason
        self.fresh = {(kind, entity_id): entity for entity_id, entity in found.items()}

    async def _whole_bodies(self, operation: Operation, params: dict[str, Any],
                            ready: list[tuple[Item, Any]]) -> list[tuple[Item, Any]]:
        """Each planned update laid over its entity as just re-read; items whose entity is gone fail."""
        kind = UPDATES[(operation.method, operation.path)]
        ids = [self._updated_id(operation, params, filled) for _, filled in ready]
        fresh = {i: self.fresh.pop((kind, i)) for i in ids if (kind, i) in self.fresh}
        fresh |= await read_fresh(self.client, kind, [i for i in ids if i not in fresh])
        whole = []
        for (item, filled), entity_id in zip(ready, ids):
            if entity_id in fresh:
                whole.append((item, wire.whole_update(fresh[entity_id], filled)))
            else:
                item.settle(FAILED, f"{kind} id {entity_id} no longer exists (deleted since the plan was made)")
        return whole

    def _take_answer(self, operation: Operation, ready: list[tuple[Item, Any]], answer: Any) -> str:
        """Settle each item from the answer: per-item results for a batch, the whole call otherwise."""
        results = wire.batch_results(answer)
        if results is None:
            for item, _ in ready:
                item.settle(DONE)
                if item.key in operation.creates and isinstance(answer, dict) and "id" in answer:
                    self.ids[item.key] = int(answer["id"])
            return DONE
        for (item, _), result in zip(ready, results):
            if result.ok:
                item.settle(DONE)
                if result.entity is not None:
                    self.answered[item.key] = result.entity
                if item.key in operation.creates and result.id is not None:
                    self.ids[item.key] = result.id
            else:
                item.settle(FAILED, result.message)
        failed = sum(1 for item, _ in ready if item.status == FAILED)
        return DONE if not failed else FAILED if failed == len(ready) else PARTIAL

    # ------------------------------------------------------------ ambiguity

    async def _resolve(self, wave: list[int]) -> None:
        """Re-read after lost answers or item failures in `wave`; re-send only what is surely absent."""
        doubtful = [item for index in wave for item in self.by_operation[index]
                    if item.status in (UNKNOWN, FAILED)]
        for round_number in range(RESOLVE_ROUNDS + 1):
            if not doubtful:
                return
            live = await self._reread()
            if live is None:
                break
            resend = self._classify(doubtful, live, last=round_number == RESOLVE_ROUNDS)
            if self.stop.is_set():
                break
            for index in sorted({item.operation for item in resend}):
                await self._send(index, [item for item in resend if item.operation == index], counts=False)
            doubtful = [item for item in resend if item.status == UNKNOWN]
        for item in doubtful:  # sent items still unknown; those left pending were stopped before sending
            if item.status == UNKNOWN:
                item.settle(FAILED, f"outcome unknown (re-run apply: it re-reads first): {item.cause}")

    async def _reread(self) -> LiveState | None:
        started = time.monotonic()
        try:
            live = await read_live_state(self.client, details=self.details)
        except ReconcilerError as error:
            self.progress.call_finished(CallRecord(f"re-read the account ({error})", 0, FAILED,
                                                   time.monotonic() - started), counts=False)
            return None
        self.progress.call_finished(CallRecord("re-read the account", 0, DONE, time.monotonic() - started),
                                    counts=False)
        return live

    def _classify(self, doubtful: list[Item], live: LiveState, last: bool) -> list[Item]:
        """Settle what the re-read shows; the items that must be sent again (none when `last`)."""
        names = Names(live, self.environ)
        by_operation = {index: expectations(self.plan.operations[index], names)
                        for index in {item.operation for item in doubtful}}
        resend = []
        for item in doubtful:
            expectation = by_operation[item.operation][item.position]
            residual = expectation.residual(names)
            if residual is None:
                self._learn_id(item, expectation, names)
                item.settle(DONE, "in effect on re-reading")
            elif item.status == UNKNOWN and not last and self._safe_to_resend(item, expectation, names):
                item.settle(PENDING)
                resend.append(item)
            elif item.status == UNKNOWN:
                item.settle(FAILED, f"answer lost; on re-reading, {residual}")
        return resend

    def _safe_to_resend(self, item: Item, expectation: Expectation, names: Names) -> bool:
        """A create only when nothing of its name exists; any other write is idempotent."""
        return item.key not in self.plan.operations[item.operation].creates or not expectation.matches(names)

    def _learn_id(self, item: Item, expectation: Expectation, names: Names) -> None:
        if item.key in self.plan.operations[item.operation].creates:
            created = expectation.created_id(names)
            if created is not None:
                self.ids[item.key] = created
