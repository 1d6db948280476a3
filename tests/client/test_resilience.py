"""Retries, throttling and concurrency against the real server's fault and rate modes."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import httpx
import pytest
from client_support import link, served
from starlette.applications import Starlette

from reconciler.clickmeter.client import ClickMeterClient
from reconciler.clickmeter.errors import AmbiguousWriteError
from reconciler.clickmeter.ratelimit import TokenBucket

pytestmark = pytest.mark.anyio


class InFlightCounter(httpx.AsyncBaseTransport):
    """Wraps the app's transport and records the most requests it ever held at once."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.in_flight = 0
        self.peak = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)
        try:
            await asyncio.sleep(0.005)  # hold the slot so that overlapping callers show
            return await self.inner.handle_async_request(request)
        finally:
            self.in_flight -= 1


async def test_concurrency_is_bounded(app: Starlette, api_key: str) -> None:
    counter = InFlightCounter(httpx.ASGITransport(app=app))
    async with ClickMeterClient("http://local", api_key, transport=counter, concurrency=3) as client:
        created = await client.create_datapoints_batch([link(f"c{i}") for i in range(12)])
        ids = [item["result"]["id"] for item in created]
        answers = await asyncio.gather(*(client.get_datapoint(i) for i in ids))
        names = await client.map_concurrently(lambda i: client.get_datapoint(i), ids)
    assert [a["name"] for a in answers] == [n["name"] for n in names] == [f"c{i}" for i in range(12)]
    assert counter.peak == 3


async def test_token_bucket_spaces_requests_at_its_rate() -> None:
    now = [0.0]
    slept: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    bucket = TokenBucket(10, clock=lambda: now[0], sleep=fake_sleep)
    for _ in range(5):
        await bucket.acquire()
    assert slept == pytest.approx([0.1] * 4)
    bucket.pause(2.0)
    await bucket.acquire()
    assert now[0] == pytest.approx(2.5)


def created_names(db_path: Path) -> list[str]:
    with sqlite3.connect(db_path) as db:
        return [row[0] for row in db.execute("SELECT name FROM datapoints")]


async def test_faults_retry_reads_and_never_duplicate_creates(db_path: Path, api_key: str) -> None:
    with served(db_path, api_key, "--fault-rate", "0.3", "--fault-seed", "7") as url:
        async with ClickMeterClient(url, api_key, backoff=0.01, max_retries=12) as client:
            outcomes = {}
            for i in range(30):
                try:
                    outcomes[f"f{i}"] = (await client.create_datapoint(link(f"f{i}")))["id"]
                except AmbiguousWriteError as error:
                    assert "re-read" in str(error)
                    outcomes[f"f{i}"] = None
            stored = [ref["id"] async for ref in client.iter_pages(client.list_datapoints)]
            read = await client.map_concurrently(client.get_datapoint, stored)
    names = created_names(db_path)
    assert sorted(names) == sorted(set(names)), "a create was repeated"
    assert {outcome for outcome in outcomes.values() if outcome} <= set(stored)
    assert {d["name"] for d in read} == set(names)
    assert None in outcomes.values() and client.retries, "the seed should inject faults"


async def test_ambiguous_batch_create_is_not_repeated(db_path: Path, api_key: str) -> None:
    with served(db_path, api_key, "--fault-rate", "0.5", "--fault-seed", "3") as url:
        async with ClickMeterClient(url, api_key, backoff=0.01) as client:
            for round_ in range(8):
                try:
                    await client.create_datapoints_batch([link(f"b{round_}-{i}") for i in range(5)])
                except AmbiguousWriteError:
                    pass
            assert client.calls["create_datapoints_batch"] == 8
    names = created_names(db_path)
    assert sorted(names) == sorted(set(names))


async def test_matching_rate_is_never_throttled_twice_in_a_row(db_path: Path, api_key: str) -> None:
    with served(db_path, api_key, "--rate", "10") as url:
        async with ClickMeterClient(url, api_key, rate=10, concurrency=4, max_rate_limited=1) as polite:
            await asyncio.gather(*(polite.count_datapoints() for _ in range(25)))
        async with ClickMeterClient(url, api_key, concurrency=4, max_rate_limited=1) as eager:
            counts = await asyncio.gather(*(eager.count_datapoints() for _ in range(25)))
    assert counts == [0] * 25
    assert sum(polite.rate_limited.values()) <= 1
    assert eager.rate_limited["count_datapoints"] > 0, "unthrottled, the server must have said 429"
