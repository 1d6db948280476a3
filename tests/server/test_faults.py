"""Throttling, latency and injected faults, in-process: as documented, seeded, API only."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from reconciler.apishapes import AUTH_HEADER
from reconciler.server.db import register_account
from reconciler.server.faults import DroppedConnection
from tests.server.helpers import SettableClock, clocked_client, created_id, link_body, visit
from tests.server.openapi_check import failures_of

pytestmark = pytest.mark.anyio
NOW = "20260315120000"


async def outcome(client: httpx.AsyncClient, path: str = "/datapoints/count") -> int | str:
    """The answer's status, or "dropped" when the connection was dropped."""
    try:
        return (await client.get(path)).status_code
    except httpx.RemoteProtocolError as error:
        assert isinstance(error, DroppedConnection)
        return "dropped"


async def outcomes(db_path: Path, api_key: str, count: int, **settings: Any) -> list[int | str]:
    async with clocked_client(db_path, api_key, SettableClock(NOW), **settings) as client:
        return [await outcome(client) for _ in range(count)]


async def test_each_key_gets_rate_requests_a_second_then_429(db_path: Path, api_key: str) -> None:
    register_account(db_path, "second-key")
    clock = SettableClock(NOW)
    async with clocked_client(db_path, api_key, clock, rate=2) as client:
        allowed = [await outcome(client) for _ in range(2)]
        refused = await client.get("/datapoints/count")
        other_key = await client.get("/datapoints/count", headers={AUTH_HEADER: "second-key"})
        clock.advance(0.5)
        after_half_a_second = [await outcome(client) for _ in range(2)]

    assert allowed == [200, 200]
    failures_of(refused, 429)
    assert refused.headers["retry-after"] == "1"
    assert other_key.status_code == 200
    assert after_half_a_second == [200, 429]


async def test_retry_after_is_the_whole_seconds_until_a_request_passes(
        db_path: Path, api_key: str) -> None:
    clock = SettableClock(NOW)
    async with clocked_client(db_path, api_key, clock, rate=0.25) as client:
        first = await client.get("/datapoints/count")
        second = await client.get("/datapoints/count")
        clock.advance(3)
        early = await client.get("/datapoints/count")
        clock.advance(1)
        recovered = await client.get("/datapoints/count")

    assert (first.status_code, second.status_code, second.headers["retry-after"]) == (200, 429, "4")
    assert (early.status_code, early.headers["retry-after"]) == (429, "1")
    assert recovered.status_code == 200


async def test_tracking_paths_are_never_throttled_or_failed(db_path: Path, api_key: str) -> None:
    async with clocked_client(db_path, api_key, SettableClock(NOW)) as setup:
        await created_id(setup, "/datapoints", link_body("spring"))
    async with clocked_client(db_path, api_key, SettableClock(NOW), rate=1, fault_rate=1.0) as client:
        visits = [(await visit(client, "/go.clickmeter.test/spring")).status_code for _ in range(5)]
        api = [await outcome(client) for _ in range(5)]

    assert visits == [307] * 5
    assert all(answer in (429, 500, 502, 503, "dropped") for answer in api)


async def test_faults_follow_the_seed(db_path: Path, api_key: str) -> None:
    first = await outcomes(db_path, api_key, 40, fault_rate=0.5, fault_seed=11)
    again = await outcomes(db_path, api_key, 40, fault_rate=0.5, fault_seed=11)
    other_seed = await outcomes(db_path, api_key, 40, fault_rate=0.5, fault_seed=12)

    assert first == again
    assert first != other_seed
    assert {200, "dropped"} <= set(first) and set(first) & {500, 502, 503}
    assert 10 <= first.count(200) <= 30


async def test_an_injected_5xx_is_a_validation_failure_list(db_path: Path, api_key: str) -> None:
    async with clocked_client(db_path, api_key, SettableClock(NOW), fault_rate=1.0,
                              fault_seed=1) as client:
        answers = []
        while len(answers) < 3:
            try:
                answers.append(await client.get("/datapoints/count"))
            except DroppedConnection:
                continue

    for answer in answers:
        assert answer.status_code in (500, 502, 503)
        assert failures_of(answer, answer.status_code)[0]["code"] == "injected_fault"


async def test_no_faults_by_default_and_at_rate_zero(db_path: Path, api_key: str) -> None:
    assert await outcomes(db_path, api_key, 30) == [200] * 30
    assert await outcomes(db_path, api_key, 30, fault_rate=0.0, fault_seed=3) == [200] * 30


async def test_latency_delays_api_answers(db_path: Path, api_key: str) -> None:
    async with clocked_client(db_path, api_key, SettableClock(NOW), latency_ms=150) as client:
        started = time.monotonic()
        answer = await client.get("/datapoints/count")
        elapsed = time.monotonic() - started

    assert answer.status_code == 200
    assert elapsed >= 0.15
