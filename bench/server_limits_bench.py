"""The local server's input limits over loopback: a huge body, then a sweep of hostile requests.

Starts `serve` in its own process, sends one authenticated `PUT /datapoints/batch` of
`--megabytes` MB streamed from a generator (the benchmark never holds it), once with
its Content-Length and once chunked (no length: the server must count while reading),
and prints each answer, the seconds and the server's peak memory (VmHWM) before and
after. Then it sends the hostile requests of issue 15 (ids past 2^63, deep nesting,
lone surrogates, 5,000-digit integers, NaN) on one keep-alive connection, each followed
by a good request, and prints the statuses: no 500, no dropped connection (the batch
with a bad url answers 200, its one item failed).

    python bench/server_limits_bench.py [--megabytes 300]
"""

from __future__ import annotations

import argparse
import http.client
import time
from collections import Counter
from collections.abc import Iterator

from harness import LocalServer, local_server, request

from reconciler.apishapes import AUTH_HEADER

CHUNK = 64 * 1024
HOSTILE = [
    ("GET", f"/datapoints/{2 ** 63}", None), ("GET", "/datapoints/" + "9" * 5000, None),
    ("GET", f"/datapoints?offset={2 ** 63}", None), ("GET", f"/groups?limit={'9' * 5000}", None),
    ("POST", "/groups", b"[" * 900 + b"]" * 900), ("POST", "/groups", b'{"name": "\\ud800"}'),
    ("POST", "/groups", b'{"name": "g", "preferred": ' + b"1" * 5000 + b"}"),
    ("POST", "/conversions", b'{"name": "c", "value": NaN}'), ("POST", "/groups", b'{"name": "a\\u001bb"}'),
    ("PUT", "/datapoints/batch", b'{"list": [{"type": 0, "name": "x", "typeTL": {"url": "http://[::1/"}}]}'),
]


def spaces(megabytes: int) -> Iterator[bytes]:
    """`megabytes` MB of JSON whitespace, a chunk at a time."""
    chunk = b" " * CHUNK
    for _ in range(megabytes * 1024 * 1024 // CHUNK):
        yield chunk


def send_large(server: LocalServer, megabytes: int, declared: bool) -> str:
    """One huge body, streamed; what came back and how long it took."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=600)
    headers = {AUTH_HEADER: server.key, "Content-Type": "application/json"}
    if declared:
        headers["Content-Length"] = str(megabytes * 1024 * 1024)
    started = time.perf_counter()
    try:
        connection.request("PUT", "/datapoints/batch", body=spaces(megabytes), headers=headers,
                           encode_chunked=not declared)
    except OSError as error:  # the server may close before the client finishes sending
        sent = f"sending stopped ({error.strerror or error})"
    else:
        sent = "sent whole"
    try:
        response = connection.getresponse()
        answer = f"{response.status} {response.read()[:90].decode()}"
    except (OSError, http.client.HTTPException) as error:
        answer = f"no answer ({type(error).__name__})"
    connection.close()
    return f"{sent}, {answer}, {time.perf_counter() - started:.2f} s"


def hostile_sweep(server: LocalServer) -> Counter[str]:
    """Each hostile request then a good one on one connection (a new one if it drops); the statuses."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
    statuses: Counter[str] = Counter()
    for method, path, raw in HOSTILE:
        try:
            connection.request(method, path, body=raw, headers={AUTH_HEADER: server.key})
            response = connection.getresponse()
            response.read()
            statuses[f"hostile {response.status}"] += 1
            status, _ = request(connection, server.key, "GET", "/datapoints/count")
            statuses[f"good after it {status}"] += 1
        except (OSError, http.client.HTTPException):
            statuses["connection dropped"] += 1
            connection.close()
            connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
    connection.close()
    return statuses


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--megabytes", type=int, default=300)
    options = parser.parse_args()
    with local_server() as server:
        print(f"server peak memory at start: {server.peak_rss_mib():.1f} MiB")
        for declared in (True, False):
            how = "with Content-Length" if declared else "chunked"
            outcome = send_large(server, options.megabytes, declared)
            print(f"{options.megabytes} MB body {how}: {outcome}; "
                  f"server peak memory {server.peak_rss_mib():.1f} MiB")
        statuses = hostile_sweep(server)
        print(f"{len(HOSTILE)} hostile requests on one connection: "
              + ", ".join(f"{key}: {count}" for key, count in sorted(statuses.items())))
        print(f"server peak memory at the end: {server.peak_rss_mib():.1f} MiB")


if __name__ == "__main__":
    main()
