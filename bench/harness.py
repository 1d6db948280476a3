"""What the benchmarks share: a local server, seeding, memory readings, the public rate.

The server is the real `serve` command in its own process (so its CPU and
memory are not the benchmark's), on a port the kernel picks (`--port 0`:
nothing to race for), over loopback only. Importing this module puts the
checkout on `sys.path`, so a benchmark that imports it first runs from a
checkout whether the project is installed or not.
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import random
import resource
import subprocess
import sys
import tempfile
import threading
import time
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # runs from a checkout, installed or not

import httpx  # noqa: E402

from reconciler.apishapes import AUTH_HEADER, MAX_BATCH  # noqa: E402
from reconciler.clickmeter.client import ClickMeterClient  # noqa: E402
from reconciler.server.app import create_app  # noqa: E402
from reconciler.server.db import default_account_key  # noqa: E402
from reconciler.server.variant import ServiceVariant  # noqa: E402

PUBLIC_RATE = 10.0  # requests a second the public service allows


@dataclass(frozen=True)
class LocalServer:
    """A running `serve` process: where it listens and the key of its account."""

    url: str
    key: str
    port: int
    pid: int

    def client(self, concurrency: int = 4) -> ClickMeterClient:
        """The real client of this server, as its account."""
        return ClickMeterClient(self.url, self.key, concurrency=concurrency)

    def peak_rss_mib(self) -> float:
        """The server process's peak resident memory (VmHWM) so far, in MiB."""
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        return float("nan")


def serve_options(variant: str) -> list[str]:
    """`serve`'s options for a `ServiceVariant.parse` text ("no-expand,updates=merge", ...)."""
    chosen = ServiceVariant.parse(variant)
    return ((["--no-expand"] if not chosen.expand else []) + ["--updates", chosen.updates,
            "--text-enums", "accept" if chosen.text_enums else "reject",
            "--counts", "with-deleted" if chosen.counts_deleted else "without-deleted"])


@contextmanager
def local_server(db_path: Path | None = None, variant: str = "default") -> Iterator[LocalServer]:
    """`serve` over `db_path` (default: a fresh file, removed after) on 127.0.0.1, with the
    key of the file's oldest account (created if none), as the service `variant` says."""
    if db_path is None:
        with tempfile.TemporaryDirectory() as scratch, local_server(Path(scratch) / "bench.db", variant) as server:
            yield server
        return
    key = default_account_key(db_path)
    process = subprocess.Popen(
        [sys.executable, "-u", "-m", "reconciler", "serve", "--host", "127.0.0.1", "--port", "0",
         "--db", str(db_path), *serve_options(variant)], cwd=REPO, stdout=subprocess.PIPE, text=True)
    try:
        url = _listening_url(process)
        _wait_until_answering(url, key)
        yield LocalServer(url, key, int(url.rsplit(":", 1)[1]), process.pid)
    finally:
        process.terminate()
        process.wait(timeout=30)
        process.stdout.close()


def _listening_url(process: subprocess.Popen[str]) -> str:
    """The URL from `serve`'s first line, `target: URL (database ...)`."""
    first = process.stdout.readline()
    if not first.startswith("target: "):
        raise SystemExit(f"the local server did not start: {first.strip() or 'no output'}")
    return first.split()[1]


def _wait_until_answering(url: str, key: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            httpx.get(f"{url}/account", headers={AUTH_HEADER: key}).raise_for_status()
            return
        except httpx.HTTPError:
            if time.monotonic() > deadline:
                raise SystemExit(f"the server at {url} did not answer within {seconds:.0f} s") from None
            time.sleep(0.05)


def in_process_client(db_path: Path, key: str, concurrency: int = 4) -> ClickMeterClient:
    """A client of the app on `db_path` without a socket (`httpx.ASGITransport`)."""
    return ClickMeterClient("http://local", key, concurrency=concurrency,
                            transport=httpx.ASGITransport(app=create_app(db_path)))


def link_body(index: int) -> dict[str, Any]:
    """The plain tracking link `bench-{index}`, the datapoint most benchmarks seed."""
    return {"type": 0, "name": f"bench-{index}",
            "typeTL": {"url": f"https://shop.example.com/item/{index}"}}


def tagged_link_body(index: int) -> dict[str, Any]:
    """`link_body` with a title and one of ten tags (by name: the first use creates it)."""
    return {**link_body(index), "title": f"Bench link {index}", "tags": [{"name": f"tag-{index % 10}"}]}


async def seed_datapoints(client: ClickMeterClient, count: int,
                          body: Callable[[int], dict[str, Any]] = link_body) -> list[int]:
    """Create `body(0)`..`body(count - 1)` by `MAX_BATCH`-item batch creates, as many at once
    as the client's concurrency; their ids. Bodies are built a batch at a time, so seeding
    does not inflate the benchmark's own peak memory."""
    async def create_batch(start: int) -> list[int]:
        batch = [body(index) for index in range(start, min(count, start + MAX_BATCH))]
        results = await client.create_datapoints_batch(batch)
        failed = [item for item in results if not item.ok]
        if failed:
            raise SystemExit(f"seeding failed in the batch from datapoint {start}: {failed[0].message}")
        return [item.id for item in results]

    batches = await client.map_concurrently(create_batch, range(0, count, MAX_BATCH))
    return [datapoint_id for batch in batches for datapoint_id in batch]


def seed_through(client: ClickMeterClient, count: int,
                 body: Callable[[int], dict[str, Any]] = link_body) -> tuple[list[int], float]:
    """`seed_datapoints` through `client` to the end, then close it; (ids, seconds)."""
    async def seed() -> list[int]:
        async with client:
            return await seed_datapoints(client, count, body)

    started = time.perf_counter()
    ids = asyncio.run(seed())
    return ids, time.perf_counter() - started


def request(connection: http.client.HTTPConnection, key: str, method: str, path: str,
            body: object = None) -> tuple[int, bytes]:
    """One request on a keep-alive connection, without a client library's overhead; (status, body)."""
    payload = None if body is None else json.dumps(body).encode()
    headers = {AUTH_HEADER: key, "Content-Type": "application/json"}
    connection.request(method, path, body=payload, headers=headers)
    response = connection.getresponse()
    return response.status, response.read()


Send = Callable[[http.client.HTTPConnection, random.Random, int, int], "str | None"]


def timed_connections(server: LocalServer, requests: int, connections: int, send: Send) -> float:
    """`requests // connections` requests on each of `connections` keep-alive connections at once,
    each thread with its own seeded random; seconds until all end.

    `send(connection, chooser, thread, n)` sends the thread's `n`th request and returns what
    was wrong with the answer, or None; the first such text stops its thread and is raised.
    """
    failures: list[str] = []

    def run(thread: int) -> None:
        chooser = random.Random(thread)
        connection = http.client.HTTPConnection("127.0.0.1", server.port)
        for n in range(requests // connections):
            failure = send(connection, chooser, thread, n)
            if failure is not None:
                failures.append(failure)
                break
        connection.close()

    threads = [threading.Thread(target=run, args=(thread,)) for thread in range(connections)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    if failures:
        raise RuntimeError(failures[0])
    return elapsed


def traced_peak_mib(run: Callable[[], object]) -> float:
    """Peak memory traced (tracemalloc) while `run()` ran, in MiB; tracing slows it down."""
    tracemalloc.start()
    try:
        run()
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def process_peak_rss_mib() -> float:
    """This process's peak resident memory so far, in MiB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def implied_seconds(calls: float) -> float:
    """How long `calls` requests take at the public service's `PUBLIC_RATE`."""
    return calls / PUBLIC_RATE


def arguments(doc: str, variant: bool = False, **counts: int) -> argparse.Namespace:
    """A benchmark's command line, described by its docstring's first line: `--datapoints`
    (10,000), one more whole-number option per `counts` item (name=default), and with
    `variant` a `--variant` (the served service, as `ServiceVariant.parse` reads it)."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    for name, default in {"datapoints": 10_000, **counts}.items():
        parser.add_argument(f"--{name}", type=int, default=default)
    if variant:
        parser.add_argument("--variant", default="default",
                            help='e.g. "no-expand" or "no-expand,updates=merge,counts=without-deleted"')
    return parser.parse_args()
