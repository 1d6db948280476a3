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
- Whole updates: an update sends the entity as just re-read (`touched.read_fresh`,
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
from enum import StrEnum
from typing import Any

from reconciler.apply.progress import CallRecord, Progress
from reconciler.clickmeter import wire
from reconciler.clickmeter.client import ClickMeterClient
from reconciler.clickmeter.errors import AmbiguousWriteError, ApiError
from reconciler.errors import ReconcilerError
from reconciler.live.reader import read_live_state
from reconciler.live.touched import read_fresh
from reconciler.model import LiveState
from reconciler.plan.calls import bodies_details
from reconciler.plan.document import Plan
from reconciler.plan.effects import Expectation, Names, UnknownOperationError
from reconciler.plan.operations import Operation


class Status(StrEnum):
    """What became of an item (and of a call, in the progress log)."""

    PENDING = "pending"
    DONE = "done"
    FAILED = "failed"
    SKIPPED = "skipped"
    UNKNOWN = "unknown"
    PARTIAL = "partial"  # a batch call in which some items failed


PENDING, DONE, FAILED, SKIPPED, UNKNOWN, PARTIAL = Status
ALREADY_DONE = "already as planned"
RESOLVE_ROUNDS = 3  # re-read and re-send rounds for writes whose outcome was lost


class Unresolved(Exception):
    """A placeholder that cannot be filled: the item is skipped (a `$ref`) or failed (a `$secret`)."""

    def __init__(self, status: Status, cause: str) -> None:
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
    status: Status = PENDING
    cause: str = ""

    def settle(self, status: Status, cause: str = "") -> None:
        self.status, self.cause = status, cause


@dataclass
class Outcome:
    """Every item's fate, for the summary and the exit status."""

    items: list[Item]
    interrupted: bool = False
    residuals: list[str] = field(default_factory=list)
    verified: bool = False
    troubles: list[str] = field(default_factory=list)  # the log, the terminal or the verifying read failed
    addresses: dict[str, str] = field(default_factory=dict)  # created or renamed datapoint -> where it is reached

    def count(self, status: Status) -> int:
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


def waves(operations: tuple[Operation, ...]) -> list[list[int]]:
    """Operation indexes, grouped into runs of consecutive operations with the same `wave_key`."""
    grouped: list[list[int]] = []
    for index, operation in enumerate(operations):
        if grouped and operations[grouped[-1][0]].wave_key() == operation.wave_key():
            grouped[-1].append(index)
        else:
            grouped.append([index])
    return grouped



def check_operations(plan: Plan, environ: Mapping[str, str]) -> None:
    """Refuse, before any write, a plan holding a call apply could not check (unknown or malformed,
    as a hand-edited saved plan may be)."""
    for number, operation in enumerate(plan.operations, start=1):
        try:
            operation.planned_expectations(environ)
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
                      for position, (key, body) in enumerate(operation.entries())]
        self.fresh: dict[tuple[str, int], dict[str, Any]] = {}  # entities re-read for this wave's updates
        self.reusable = dict(plan.fetched.entities) if plan.fetched is not None else {}  # each sent once at most
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
            for item, expectation in zip(self.by_operation[index], operation.expectations(names), strict=True):
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
                if operation.WHOLE_UPDATE:
                    ready = await self._whole_bodies(operation, params, ready)
                    status = FAILED  # unless a call goes out: every item's entity is gone
            if ready:
                answer = await self.client.call(f"apply {operation.method} {operation.path}", operation.method,
                                                path, body=operation.body_for([filled for _, filled in ready]),
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

    # ------------------------------------------------------------ whole updates

    async def _read_fresh(self, wave: list[int]) -> None:
        """Re-read, in as few calls as the service allows, every entity this wave updates."""
        self.fresh = {}
        first = self.plan.operations[wave[0]]
        if not first.WHOLE_UPDATE or self.stop.is_set():
            return
        kind = first.KIND
        ids = {self.plan.operations[index].updated_id(self.plan.operations[index].params, item.body)
               for index in wave for item in self.by_operation[index] if item.status == PENDING}
        self.fresh = self._reused(kind, ids)
        try:
            found = await read_fresh(self.client, kind, {i for i in ids if (kind, i) not in self.fresh})
        except ApiError:
            return  # each call re-reads its own entities, and fails with the reason
        self.fresh |= {(kind, entity_id): entity for entity_id, entity in found.items()}

    def _reused(self, kind: str, ids: set[int]) -> dict[tuple[str, int], dict[str, Any]]:
        """The entities of `ids` as the plan's read fetched them, while that read is recent (a
        plan made in this process: `Plan.fetched`); each only for its first update, since a
        later one must see what the first made."""
        if self.plan.fetched is None or not self.plan.fetched.still_fresh(time.monotonic()):
            self.reusable.clear()
            return {}
        return {(kind, i): self.reusable.pop((kind, i)) for i in ids if (kind, i) in self.reusable}

    async def _whole_bodies(self, operation: Operation, params: dict[str, Any],
                            ready: list[tuple[Item, Any]]) -> list[tuple[Item, Any]]:
        """Each planned update laid over its entity as just re-read; items whose entity is gone fail."""
        kind = operation.KIND
        ids = [operation.updated_id(params, filled) for _, filled in ready]
        fresh = {i: self.fresh.pop((kind, i)) for i in ids if (kind, i) in self.fresh}
        fresh |= await read_fresh(self.client, kind, [i for i in ids if i not in fresh])
        whole = []
        for (item, filled), entity_id in zip(ready, ids, strict=True):
            if entity_id in fresh:
                whole.append((item, wire.whole_update(fresh[entity_id], filled)))
            else:
                item.settle(FAILED, f"{kind} id {entity_id} no longer exists (deleted since the plan was made)")
        return whole

    def _take_answer(self, operation: Operation, ready: list[tuple[Item, Any]], answer: Any) -> Status:
        """Settle each item from what the operation reads in the answer."""
        results = operation.results(answer, len(ready))
        for (item, _), result in zip(ready, results, strict=False):  # a short answer leaves items pending
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
        by_operation = {index: self.plan.operations[index].expectations(names)
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
