"""How many requests, how long and how much memory reading a live account takes.

Seeds N datapoints on a fresh local database with batch creates (in-process),
serves it over loopback from a separate process (so the reader's memory is
measured alone), then reads it with `read_live_state`:

    python bench/read_bench.py                       # 10,000 datapoints, `_expand` honoured
    python bench/read_bench.py --variant no-expand   # lists give {id, uri} only
    python bench/read_bench.py --datapoints 100000   # peak memory at 100,000

Prints the requests issued against the bound: ceil(N / 100) + k with `_expand`
(k: the count twice, the groups, conversions, tags, scripts and four domain
lists); without it, the summary pages of links and of pixels, one `{id, uri}`
page to see lists are not expanded and the favourites' list (no datapoint is
asked for in detail, as a plan declaring no redirect or password). Also the
wall time over loopback unthrottled, the time that call count implies at the
public service's 10 requests a second, and the reader's peak memory
(tracemalloc) and the process's peak RSS.
"""

from __future__ import annotations

import asyncio
import math
import tempfile
import time
from collections import Counter
from pathlib import Path

from harness import (
    PUBLIC_RATE,
    LocalServer,
    arguments,
    implied_seconds,
    in_process_client,
    local_server,
    process_peak_rss_mib,
    seed_through,
    traced_peak_mib,
)

from reconciler.apishapes import MAX_BATCH, MAX_LIMIT
from reconciler.live.reader import read_live_state
from reconciler.server.db import default_account_key
from reconciler.server.variant import ServiceVariant


async def read(server: LocalServer, concurrency: int) -> tuple[int, Counter[str], float]:
    """Datapoints read, requests issued by operation, seconds."""
    started = time.perf_counter()
    async with server.client(concurrency) as client:
        state = await read_live_state(client, details=())
    return len(state.datapoints), client.calls, time.perf_counter() - started


def main() -> None:
    args = arguments(__doc__, variant=True, concurrency=4)

    with tempfile.TemporaryDirectory() as tmp:
        db_path = Path(tmp) / "bench.db"
        _, seconds = seed_through(in_process_client(db_path, default_account_key(db_path), concurrency=1),
                                  args.datapoints)
        print(f"seeded {args.datapoints} datapoints with {math.ceil(args.datapoints / MAX_BATCH)} "
              f"batch creates in {seconds:.1f} s")
        with local_server(db_path, args.variant) as server:
            read_count, calls, seconds = asyncio.run(read(server, args.concurrency))
            # a second read, traced: tracing slows it down
            peak = traced_peak_mib(lambda: asyncio.run(read(server, args.concurrency)))
    requests = sum(calls.values())
    pages = math.ceil(args.datapoints / MAX_LIMIT)
    bound = (f"ceil(N/100) + k = {pages} + 10" if ServiceVariant.parse(args.variant).expand else
             f"summary pages + 3 + k = {pages} + 1 + 3 + 10")
    print(f"service variant: {args.variant}")
    print(f"read {read_count} datapoints with {requests} requests "
          f"(bound {bound}; one get each would be {args.datapoints + math.ceil(args.datapoints / 20)})")
    print("  by operation: " + ", ".join(f"{name} {count}" for name, count in sorted(calls.items())))
    print(f"wall time over loopback, unthrottled, concurrency {args.concurrency}: {seconds:.2f} s")
    print(f"time the call count implies at {PUBLIC_RATE:g} requests/s: {implied_seconds(requests):.1f} s")
    print(f"reader peak memory (tracemalloc): {peak:.1f} MiB; "
          f"process peak RSS: {process_peak_rss_mib():.0f} MiB")


if __name__ == "__main__":
    main()
