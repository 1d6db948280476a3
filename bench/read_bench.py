"""How many requests, how long and how much memory reading a live account takes.

Seeds N datapoints on a fresh local database with batch creates (in-process),
serves it over loopback from a separate process (so the reader's memory is
measured alone), then reads it with `read_live_state`:

    python bench/read_bench.py                       # 10,000 datapoints
    python bench/read_bench.py --datapoints 100000   # peak memory at 100,000

Prints the requests issued against the target of 1.1 x ceil(N / 100) + 10, the
wall time over loopback unthrottled, the time that call count implies at the
public service's 10 requests a second, and the reader's peak memory
(tracemalloc) and the process's peak RSS.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import multiprocessing
import resource
import socket
import sys
import tempfile
import time
import tracemalloc
from collections import Counter
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from reconciler.apishapes import MAX_BATCH, MAX_LIMIT  # noqa: E402
from reconciler.clickmeter.client import ClickMeterClient  # noqa: E402
from reconciler.reader import read_live_state  # noqa: E402
from reconciler.server.app import create_app  # noqa: E402
from reconciler.server.db import default_account_key  # noqa: E402

PUBLIC_RATE = 10.0


async def seed(db_path: Path, key: str, count: int) -> float:
    """Create `count` links with batch creates; the seconds it took."""
    started = time.perf_counter()
    transport = httpx.ASGITransport(app=create_app(db_path))
    async with ClickMeterClient("http://local", key, transport=transport, concurrency=1) as client:
        for start in range(0, count, MAX_BATCH):
            batch = [{"type": "TrackingLink", "name": f"bench-{i}",
                      "typeTL": {"url": f"https://shop.example.com/item/{i}"}}
                     for i in range(start, min(count, start + MAX_BATCH))]
            results = await client.create_datapoints_batch(batch)
            if any(item["status"] != "ok" for item in results):
                raise SystemExit(f"seeding failed at item {start}: {results[0]}")
    return time.perf_counter() - started


def serve(db_path: Path, port: int) -> None:
    import uvicorn
    uvicorn.run(create_app(db_path), host="127.0.0.1", port=port, log_level="warning")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(port: int) -> None:
    """Until the server accepts connections (30 s at most)."""
    deadline = time.monotonic() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise SystemExit("the server did not start") from None
            time.sleep(0.05)


async def read(url: str, key: str, concurrency: int) -> tuple[int, Counter[str], float]:
    """Datapoints read, requests issued by operation, seconds."""
    started = time.perf_counter()
    async with ClickMeterClient(url, key, concurrency=concurrency) as client:
        state = await read_live_state(client)
    return len(state.datapoints), client.calls, time.perf_counter() - started


def traced_peak(url: str, key: str, concurrency: int) -> int:
    """The reader's peak traced memory in bytes, on a second read (tracing slows it)."""
    tracemalloc.start()
    asyncio.run(read(url, key, concurrency))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datapoints", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=4)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        db_path = Path(tmp) / "bench.db"
        key = default_account_key(db_path)
        seconds = asyncio.run(seed(db_path, key, args.datapoints))
        print(f"seeded {args.datapoints} datapoints with {math.ceil(args.datapoints / MAX_BATCH)} "
              f"batch creates in {seconds:.1f} s")
        port = free_port()
        server = multiprocessing.get_context("spawn").Process(target=serve, args=(db_path, port), daemon=True)
        server.start()
        try:
            url = f"http://127.0.0.1:{port}"
            wait_for(port)
            read_count, calls, seconds = asyncio.run(read(url, key, args.concurrency))
            peak = traced_peak(url, key, args.concurrency)
        finally:
            server.terminate()
            server.join()
    requests = sum(calls.values())
    target = 1.1 * math.ceil(args.datapoints / MAX_LIMIT) + 10
    print(f"read {read_count} datapoints with {requests} requests "
          f"(target <= {target:.0f}; one get each would be {args.datapoints + math.ceil(args.datapoints / 20)})")
    print("  by operation: " + ", ".join(f"{name} {count}" for name, count in sorted(calls.items())))
    print(f"wall time over loopback, unthrottled, concurrency {args.concurrency}: {seconds:.2f} s")
    print(f"time the call count implies at {PUBLIC_RATE:g} requests/s: {requests / PUBLIC_RATE:.1f} s")
    print(f"reader peak memory (tracemalloc): {peak / 2**20:.1f} MiB; "
          f"process peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
