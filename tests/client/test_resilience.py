"""Retries, throttling and concurrency against the real server's fault and rate modes."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from starlette.applications import Starlette

from reconciler.clickmeter.client import ClickMeterClient
from reconciler.clickmeter.errors import AmbiguousWriteError, TransportError
from reconciler.clickmeter.ratelimit import TokenBucket
from reconciler.server.app import create_app
from tests.client.helpers import link, served

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
        ids = [item.id for item in created]
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


def in_process(db_path: Path, api_key: str, *, client_rate: float | None = None, max_rate_limited: int = 10,
               **server: Any) -> ClickMeterClient:
    """A client of a fresh app on `db_path` with the server's throttling or faults switched on."""
    transport = httpx.ASGITransport(app=create_app(db_path, **server))
    return ClickMeterClient("http://local", api_key, transport=transport, backoff=0.001, max_retries=12,
                            rate=client_rate, max_rate_limited=max_rate_limited)


async def create_each(client: ClickMeterClient, names: list[str]) -> dict[str, int | None]:
    """Create a link per name; None where the answer was lost (`AmbiguousWriteError`)."""
    outcomes: dict[str, int | None] = {}
    for name in names:
        try:
            outcomes[name] = (await client.create_datapoint(link(name)))["id"]
        except AmbiguousWriteError as error:
            assert "re-read the account" in str(error)
            outcomes[name] = None
    return outcomes


async def test_faults_retry_reads_and_never_duplicate_creates(db_path: Path, api_key: str) -> None:
    async with in_process(db_path, api_key, fault_rate=0.3, fault_seed=7) as client:
        outcomes = await create_each(client, [f"f{i}" for i in range(40)])
        stored = [ref["id"] async for ref in client.iter_pages(client.list_datapoints)]
        read = await client.map_concurrently(client.get_datapoint, stored)
    names = created_names(db_path)
    assert sorted(names) == sorted(set(names)), "a create was repeated"
    assert {i for i in outcomes.values() if i is not None} <= set(stored)
    assert {d["name"] for d in read} == set(names)
    assert None in outcomes.values() and client.retries["get_datapoint"] > 0, "the seed injects faults"
    assert "create_datapoint" not in client.retries


async def test_an_ambiguous_batch_create_is_not_repeated(db_path: Path, api_key: str) -> None:
    async with in_process(db_path, api_key, fault_rate=0.5, fault_seed=3) as client:
        lost = 0
        for round_ in range(8):
            try:
                await client.create_datapoints_batch([link(f"b{round_}-{i}") for i in range(5)])
            except AmbiguousWriteError:
                lost += 1
    assert client.calls["create_datapoints_batch"] == 8 and lost > 0
    names = created_names(db_path)
    assert sorted(names) == sorted(set(names))


class LosesAnswers(httpx.AsyncBaseTransport):
    """A network that loses the answer of the first request of each method in `lossy`, after
    the real app has processed it (the server's own faults fail requests before processing)."""

    def __init__(self, app: Starlette, lossy: set[str]) -> None:
        self.inner = httpx.ASGITransport(app=app)
        self.lossy = set(lossy)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        if request.method in self.lossy:
            self.lossy.discard(request.method)
            raise httpx.RemoteProtocolError("peer closed connection without sending complete message body")
        return response


async def test_answers_lost_after_the_write(app: Starlette, api_key: str, db_path: Path) -> None:
    lossy = LosesAnswers(app, {"POST", "DELETE"})
    async with ClickMeterClient("http://local", api_key, transport=lossy, backoff=0.001) as client:
        with pytest.raises(AmbiguousWriteError, match=r"POST /datapoints -> no answer \(RemoteProtocolError\)"):
            await client.create_datapoint(link("made-once"))
        (made,) = await client.list_datapoints()
        lossy.lossy.add("POST")  # the update loses its answer too
        await client.update_datapoint(made["id"], link("made-once", title="retried"))
        await client.delete_datapoint(made["id"])  # the retry finds it gone: done, not an error
        gone = await client.get_datapoint(made["id"])
    assert (gone["title"], gone["status"]) == ("retried", 3)
    assert created_names(db_path) == ["made-once"]
    assert client.calls["update_datapoint"] == client.calls["delete_datapoint"] == 2


async def test_matching_rate_is_never_throttled(db_path: Path, api_key: str) -> None:
    # max_rate_limited=0: a single 429 would raise
    async with in_process(db_path, api_key, client_rate=10, max_rate_limited=0, rate=10) as polite:
        counts = await asyncio.gather(*(polite.count_datapoints() for _ in range(25)))
    assert counts == [0] * 25 and not polite.rate_limited


async def test_no_request_is_throttled_twice_in_a_row(db_path: Path, api_key: str) -> None:
    # max_rate_limited=1: a second 429 in a row would raise
    async with in_process(db_path, api_key, max_rate_limited=1, rate=10) as eager:
        counts = await asyncio.gather(*(eager.count_datapoints() for _ in range(25)))
    assert counts == [0] * 25
    assert eager.rate_limited["count_datapoints"] > 0, "unthrottled, the server must have said 429"


async def test_faults_over_http_with_serve(db_path: Path, api_key: str) -> None:
    with served(db_path, api_key, "--fault-rate", "0.3", "--fault-seed", "11") as url:
        async with ClickMeterClient(url, api_key, backoff=0.001, max_retries=12) as client:
            outcomes = await create_each(client, [f"h{i}" for i in range(20)])
            stored = [ref["id"] async for ref in client.iter_pages(client.list_datapoints)]
    names = created_names(db_path)
    assert sorted(names) == sorted(set(names)) and len(stored) == len(names)
    assert {i for i in outcomes.values() if i is not None} <= set(stored)


async def test_throttling_over_http_with_serve(db_path: Path, api_key: str) -> None:
    with served(db_path, api_key, "--rate", "10") as url:
        async with ClickMeterClient(url, api_key, rate=10, max_rate_limited=0) as polite:
            await asyncio.gather(*(polite.count_groups() for _ in range(15)))
        async with ClickMeterClient(url, api_key, max_rate_limited=1) as eager:
            counts = await asyncio.gather(*(eager.count_groups() for _ in range(15)))
    assert counts == [0] * 15 and not polite.rate_limited and eager.rate_limited


async def test_timeouts_retry_reads_and_leave_creates_to_the_caller(db_path: Path, api_key: str) -> None:
    quick = httpx.Timeout(0.15)
    with served(db_path, api_key, "--latency-ms", "400") as url:
        async with ClickMeterClient(url, api_key, timeout=quick, backoff=0.001, max_retries=2) as impatient:
            with pytest.raises(AmbiguousWriteError, match=r"POST /datapoints -> no answer \(ReadTimeout\)"):
                await impatient.create_datapoint(link("slow"))
            with pytest.raises(TransportError, match=r"GET /datapoints/count -> no answer \(ReadTimeout\)"):
                await impatient.count_datapoints()
    assert impatient.calls == {"create_datapoint": 1, "count_datapoints": 3}


@settings(max_examples=30, deadline=None)
@given(rate=st.sampled_from([1.0, 2.5, 10.0]), gaps=st.lists(st.floats(0, 0.5), min_size=1, max_size=40))
def test_token_bucket_never_grants_more_than_its_rate(rate: float, gaps: list[float]) -> None:
    """However callers arrive, no window of one second sees more than rate + 1 grants."""
    now = [0.0]
    granted: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        now[0] += seconds

    async def arrive() -> None:
        bucket = TokenBucket(rate, clock=lambda: now[0], sleep=fake_sleep)
        for gap in gaps:
            now[0] += gap
            await bucket.acquire()
            granted.append(now[0])

    asyncio.run(arrive())
    for start in granted:
        assert sum(start <= t < start + 1 for t in granted) <= rate + 1
