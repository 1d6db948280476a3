"""How many requests `stats` issues for a large declared set, and how long it takes.

Seeds N links on a fresh local database (batch creates, as `read_bench.py`
does), records one click on every tenth link through its tracking path, then
runs, in-process against the local server:

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

import argparse
import asyncio
import math
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from read_bench import seed  # noqa: E402  (the same N links as the reader's benchmark)
from reconciler.apishapes import MAX_LIMIT  # noqa: E402
from reconciler.clickmeter.client import ClickMeterClient  # noqa: E402
from reconciler.model import DatapointSpec  # noqa: E402
from reconciler.server.app import create_app  # noqa: E402
from reconciler.server.db import SYSTEM_DOMAIN, default_account_key  # noqa: E402
from reconciler.stats_fetch import read_declared_stats, read_series  # noqa: E402
from reconciler.stats_options import Timeframe  # noqa: E402

PUBLIC_RATE = 10.0
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
    async with ClickMeterClient("http://local", key,
                                transport=httpx.ASGITransport(app=create_app(db_path))) as client:
        await run(client)
    seconds = time.perf_counter() - started
    by_operation = ", ".join(f"{name} {count}" for name, count in sorted(client.calls.items()))
    print(f"{label}: {client.total_calls} requests ({by_operation}); {seconds:.2f} s in-process; "
          f"{client.total_calls / PUBLIC_RATE:.1f} s at {PUBLIC_RATE:g} requests/s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datapoints", type=int, default=10_000)
    count = parser.parse_args().datapoints
    all_links = [DatapointSpec(f"bench-{i}") for i in range(count)]
    half = all_links[: count // 2]
    week = Timeframe("last7")

    with tempfile.TemporaryDirectory() as tmp:
        db_path = Path(tmp) / "bench.db"
        key = default_account_key(db_path)
        seeded = asyncio.run(seed(db_path, key, count))
        clicked = asyncio.run(click_some(db_path, count))
        print(f"seeded {count} links in {seeded:.1f} s; {clicked} of them clicked once")
        print(f"one call per datapoint would take {count + math.ceil(count / MAX_LIMIT)} requests "
              f"({(count + math.ceil(count / MAX_LIMIT)) / PUBLIC_RATE / 60:.0f} min at {PUBLIC_RATE:g}/s)")

        def summary(client: ClickMeterClient) -> Awaitable[object]:
            return read_declared_stats(client, all_links, week)

        asyncio.run(measure(db_path, key, f"summary, {count} declared", summary))
        tracemalloc.start()  # a second run: tracing slows it down
        asyncio.run(measure(db_path, key, "summary again, traced", summary))
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        print(f"summary peak traced memory (client and in-process server): {peak / 2**20:.1f} MiB")
        asyncio.run(measure(db_path, key, f"--by week, all {count} live links declared",
                            lambda client: read_series(client, all_links, week, "week")))
        asyncio.run(measure(db_path, key, f"--by week, {len(half)} of {count} declared",
                            lambda client: read_series(client, half, week, "week")))


if __name__ == "__main__":
    main()
