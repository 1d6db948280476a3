"""Statistics speed over loopback: tracking hits, then the summary as the reader pages it.

Starts the server (`serve`, in its own process) over a fresh SQLite file,
creates 10,000 datapoints in 100 batches, sends hits
through the tracking path `/{domain}/{name}` (as visitors would), then pages
`GET /aggregated/summary/datapoints?timeFrame=last30` with limit 100 over
every datapoint, once in id order and once sorted by totalClicks (the
statistics-sorted path). Prints requests, seconds and the server's peak memory.

    python bench/summary_bench.py [--datapoints 10000] [--hits 20000] [--connections 4]
"""

from __future__ import annotations

import http.client
import json
import random
import time

from harness import (
    LocalServer,
    arguments,
    local_server,
    request,
    seed_through,
    tagged_link_body,
    timed_connections,
)

from reconciler.apishapes import MAX_LIMIT


def send_hits(server: LocalServer, datapoints: int, hits: int, connections: int) -> float:
    """`hits` GETs of random links' short paths (as distinct visitors) over `connections` threads."""
    def hit(connection: http.client.HTTPConnection, chooser: random.Random, thread: int,
            n: int) -> str | None:
        path = f"/go.clickmeter.test/bench-{chooser.randrange(datapoints)}"
        connection.request("GET", path, headers={"X-Forwarded-For": f"10.{thread}.{n % 250}.1",
                                                 "User-Agent": "bench"})
        response = connection.getresponse()
        response.read()
        return None if response.status == 307 else f"tracking failed: {path}: {response.status}"

    return timed_connections(server, hits, connections, hit)


def page_summary(server: LocalServer, sort: str) -> tuple[int, int, float]:
    """Page the whole summary with the largest limit; (requests, clicks seen, seconds)."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port)
    requests = clicks = offset = 0
    started = time.perf_counter()
    while True:
        status, body = request(connection, server.key, "GET",
                               f"/aggregated/summary/datapoints?timeFrame=last30"
                               f"&type=tl&limit={MAX_LIMIT}&offset={offset}{sort}")
        requests += 1
        if status != 200:
            raise RuntimeError(f"summary failed: {status} {body[:300]!r}")
        page = json.loads(body)
        clicks += sum(item["totalClicks"] for item in page["result"])
        offset += MAX_LIMIT
        if offset >= page["count"]:
            break
    elapsed = time.perf_counter() - started
    connection.close()
    return requests, clicks, elapsed


def main() -> None:
    options = arguments(__doc__, hits=20_000, connections=4)
    with local_server() as server:
        seed_through(server.client(concurrency=1), options.datapoints, tagged_link_body)
        hit_seconds = send_hits(server, options.datapoints, options.hits, options.connections)
        by_id = page_summary(server, "")
        by_clicks = page_summary(server, "&sortBy=totalClicks&sortDirection=desc")
        server_peak = server.peak_rss_mib()
    hits = options.hits // options.connections * options.connections
    print(f"tracking: {hits} link hits over {options.connections} connections in "
          f"{hit_seconds:.2f} s: {hits / hit_seconds:.0f} hits/s")
    for label, (requests, clicks, seconds) in (("by id", by_id), ("by totalClicks", by_clicks)):
        print(f"summary {label}: {options.datapoints} datapoints in {requests} requests "
              f"(limit {MAX_LIMIT}), {clicks} clicks seen, {seconds:.2f} s, "
              f"{seconds / requests * 1000:.1f} ms/page")
    print(f"server peak memory: {server_peak:.1f} MiB")


if __name__ == "__main__":
    main()
