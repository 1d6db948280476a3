"""Fault profiles: seeded random runs, each converging within two applies, checked on the server's database.

Each run: an account left in a random state (applied without faults), then a
new random desired state applied through a faulty server, a second time if the
first apply did not finish. Afterwards, on the server's own SQLite file: no
name held twice, no datapoint lost, and a fresh plan is empty. Runs of a
profile go concurrently (each its own database), so that the whole-second
`Retry-After` waits and the added latency overlap.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any

import pytest

from reconciler.clickmeter.client import ClickMeterClient
from reconciler.errors import ReconcilerError
from reconciler.server.db import register_account
from tests.apply.helpers import (
    account,
    apply_desired,
    duplicates,
    live_datapoints,
    lost,
    plan_for,
    random_desired,
    serving,
)

pytestmark = [pytest.mark.default_service_only, pytest.mark.slow]

RUNS_PER_PROFILE = 50
LOOPBACK_RUNS = 20
KEY = "apply-fault-key-0123456789"
PROFILES: dict[str, dict[str, Any]] = {
    "5xx and drops before the write": {"fault_rate": 0.1},
    "5xx after the write": {"lost_answers": 0.15, "lost_as": "503"},
    "dropped connections after the write": {"lost_answers": 0.15, "lost_as": "drop"},
    "429 under --rate": {"rate": 3, "client_rate": 8},
    "added latency": {"latency_ms": 15},
}


async def converge_under_faults(
        db_path: Path, seed: int, key: str,
        faulty: Callable[[], AbstractAsyncContextManager[ClickMeterClient]]) -> tuple[list[str], int]:
    """One seeded run on the account `key`, applying through `faulty()`: what went wrong (empty:
    converged, nothing duplicated or lost), and how many faults apply met (calls retried or
    throttled, items whose answer was lost)."""
    rng = random.Random(seed)
    register_account(db_path, key)
    async with account(db_path, key) as client:
        await apply_desired(client, random_desired(rng))
    before = live_datapoints(db_path, key)
    desired = random_desired(rng)
    applies, faults = [], 0
    async with faulty() as client:
        for _ in range(2):
            try:
                outcome = await apply_desired(client, desired)
            except ReconcilerError as error:  # a read that failed beyond its retries: apply exits 1
                applies.append(str(error))
                continue
            applies.append(outcome.succeeded)
            faults += sum(1 for item in outcome.items if "re-reading" in item.cause)
            if outcome.succeeded:
                break
        faults += sum(client.retries.values())
    async with account(db_path, key) as client:
        remaining = await plan_for(client, desired)
    problems = [f"applies: {applies}"] if applies[-1] is not True else []
    problems += [f"{c.action} {c.kind} {c.name}" for c in remaining.changes]
    problems += [f"duplicate {d}" for d in duplicates(db_path, key)]
    problems += [f"lost datapoint {i}" for i in lost(before, desired, db_path, key)]
    return problems, faults


async def all_runs(runs: list[Awaitable[tuple[list[str], int]]]) -> tuple[dict[int, list[str]], int]:
    """The runs, concurrently: those that went wrong, by seed, and the faults met in all."""
    results = await asyncio.gather(*runs)
    failures = {seed: problems for seed, (problems, _) in enumerate(results) if problems}
    return failures, sum(faults for _, faults in results)


@pytest.mark.parametrize("profile", PROFILES.values(), ids=PROFILES.keys())
def test_random_runs_converge_within_two_applies(tmp_path: Path, profile: dict[str, Any]) -> None:
    def faulty(db_path: Path, seed: int) -> Callable[[], AbstractAsyncContextManager[ClickMeterClient]]:
        return lambda: account(db_path, KEY, seed=seed, fault_seed=seed, **profile)

    failures, faults = asyncio.run(all_runs([
        converge_under_faults(tmp_path / f"run-{seed}.db", seed, KEY, faulty(tmp_path / f"run-{seed}.db", seed))
        for seed in range(RUNS_PER_PROFILE)]))
    assert failures == {}
    if "latency_ms" not in profile:
        assert faults >= RUNS_PER_PROFILE  # the profile really struck, about once a run or more


def test_random_runs_over_loopback_converge_under_server_faults(db_path: Path) -> None:
    """Real TCP: 5xx answers and connections dropped by a uvicorn server, one account per run."""
    def faulty(url: str, key: str) -> Callable[[], AbstractAsyncContextManager[ClickMeterClient]]:
        return lambda: ClickMeterClient(url, key, backoff=0.001, max_backoff=0.01)

    with serving(db_path, fault_rate=0.1, fault_seed=7) as url:
        failures, faults = asyncio.run(all_runs([
            converge_under_faults(db_path, seed, f"{KEY}-{seed}", faulty(url, f"{KEY}-{seed}"))
            for seed in range(LOOPBACK_RUNS)]))
    assert failures == {}
    assert faults >= LOOPBACK_RUNS
