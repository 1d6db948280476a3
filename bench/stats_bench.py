"""How many requests `stats` issues for a large declared set, and how long it takes.

Seeds N links on a fresh local database (batch creates, in-process),
records one click on every tenth link through its tracking path, then runs,
in-process against the local server:

* the summary for all N declared links;
* `--by week` when the declared links are every live link (one list call);
* `--by week` when only half of them are declared (one list call per
  declared link with traffic);

    python bench/stats_bench.py                      # 10,000 links
    python bench/stats_bench.py --datapoints 2000

Prints each run's requests by operation, the wall time in-process, the time
the request count implies at the public service's 10 requests a second, the
count one call per datapoint would take, and the summary's peak traced memory.
"""

from __future__ import annotations

import asyncio
import math
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx
from harness import (
    PUBLIC_RATE,
    arguments,
    implied_seconds,
    in_process_client,
    seed_through,
    traced_peak_mib,
)

from reconciler.apishapes import MAX_LIMIT
from reconciler.clickmeter.client import ClickMeterClient
from reconciler.model import DatapointSpec
from reconciler.server.app import create_app
from reconciler.server.db import SYSTEM_DOMAIN, default_account_key
from reconciler.stats.fetch import read_declared_stats, read_series
from reconciler.stats.options import Timeframe

CLICKED_EVERY = 10


async def click_some(db_path: Path, count: int) -> int:
    """One click on every `CLICKED_EVERY`th link, through `GET /{domain}/{name}`."""
    transport = httpx.ASGITransport(app=create_app(db_path))
    async with httpx.AsyncClient(transport=transport, base_url="http://local") as web:
        for index in range(0, count, CLICKED_EVERY):
            answer = await web.get(f"/{SYSTEM_DOMAIN}/bench-{index}")
            if answer.status_code != 307:
                raise SystemExit(f"clicking bench-{index} answered {answer.status_code}")
    return math.ceil(count / CLICKED_EVERY)


async def measure(db_path: Path, key: str, label: str,
                  run: Callable[[ClickMeterClient], Awaitable[object]]) -> None:
    """Run one read on a fresh client; print its requests and times."""
    started = time.perf_counter()
    async with in_process_client(db_path, key) as client:
        await run(client)
    seconds = time.perf_counter() - started
    by_operation = ", ".join(f"{name} {count}" for name, count in sorted(client.calls.items()))
    print(f"{label}: {client.total_calls} requests ({by_operation}); {seconds:.2f} s in-process; "
          f"{implied_seconds(client.total_calls):.1f} s at {PUBLIC_RATE:g} requests/s")


def main() -> None:
    count = arguments(__doc__).datapoints
    all_links = [DatapointSpec(f"bench-{i}") for i in range(count)]
    half = all_links[: count // 2]
    week = Timeframe("last7")

    with tempfile.TemporaryDirectory() as tmp:
        db_path = Path(tmp) / "bench.db"
        key = default_account_key(db_path)
        _, seeded = seed_through(in_process_client(db_path, key, concurrency=1), count)
        clicked = asyncio.run(click_some(db_path, count))
        print(f"seeded {count} links in {seeded:.1f} s; {clicked} of them clicked once")
        print(f"one call per datapoint would take {count + math.ceil(count / MAX_LIMIT)} requests "
              f"({implied_seconds(count + math.ceil(count / MAX_LIMIT)) / 60:.0f} min at {PUBLIC_RATE:g}/s)")

        def summary(client: ClickMeterClient) -> Awaitable[object]:
            return read_declared_stats(client, all_links, week)

        asyncio.run(measure(db_path, key, f"summary, {count} declared", summary))
        # a second run: tracing slows it down
        peak = traced_peak_mib(lambda: asyncio.run(measure(db_path, key, "summary again, traced", summary)))
        print(f"summary peak traced memory (client and in-process server): {peak:.1f} MiB")
        asyncio.run(measure(db_path, key, f"--by week, all {count} live links declared",
                            lambda client: read_series(client, all_links, week, "week")))
        asyncio.run(measure(db_path, key, f"--by week, {len(half)} of {count} declared",
                            lambda client: read_series(client, half, week, "week")))


if __name__ == "__main__":
    main()
