"""Local server speed over loopback: batch creation and single-datapoint reads.

Starts the server (`serve`, in its own process) on 127.0.0.1 over a fresh SQLite
file, creates 10,000 datapoints with 400 `PUT /datapoints/batch` calls of 25 (timed),
then reads `GET /datapoints/{id}` from several keep-alive connections for a
fixed number of requests and prints the rate. Targets (issue 2, 2 cores):
batch creation under 10 s, at least 1,000 reads per second.

    python bench/server_bench.py [--datapoints 10000] [--reads 10000] [--connections 4]
"""

from __future__ import annotations

import http.client
import random

from harness import (
    LocalServer,
    arguments,
    local_server,
    request,
    seed_through,
    tagged_link_body,
    timed_connections,
)

from reconciler.apishapes import MAX_BATCH


def read_datapoints(server: LocalServer, ids: list[int], reads: int, connections: int) -> float:
    """Issue `reads` GETs of random datapoints over `connections` threads; seconds taken."""
    def read_one(connection: http.client.HTTPConnection, chooser: random.Random, *_: int) -> str | None:
        status, body = request(connection, server.key, "GET", f"/datapoints/{chooser.choice(ids)}")
        return None if status == 200 else f"read failed: {status} {body[:200]!r}"

    return timed_connections(server, reads, connections, read_one)


def main() -> None:
    options = arguments(__doc__, reads=10_000, connections=4)
    with local_server() as server:
        ids, create_seconds = seed_through(server.client(concurrency=1), options.datapoints, tagged_link_body)
        read_seconds = read_datapoints(server, ids, options.reads, options.connections)
        server_peak = server.peak_rss_mib()
    batches = -(-options.datapoints // MAX_BATCH)
    reads = options.reads // options.connections * options.connections
    print(f"create: {options.datapoints} datapoints in {batches} PUT /datapoints/batch calls: "
          f"{create_seconds:.2f} s (target < 10 s)")
    print(f"read: {reads} GET /datapoints/{{id}} over {options.connections} connections in "
          f"{read_seconds:.2f} s: {reads / read_seconds:.0f} requests/s (target >= 1000/s)")
    print(f"server peak memory: {server_peak:.1f} MiB")


if __name__ == "__main__":
    main()
