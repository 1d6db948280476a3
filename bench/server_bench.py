"""Local server speed over loopback: batch creation and single-datapoint reads.

Starts the server (uvicorn, a subprocess) on 127.0.0.1 over a fresh SQLite
file, creates 10,000 datapoints with 100 `PUT /datapoints/batch` calls (timed),
then reads `GET /datapoints/{id}` from several keep-alive connections for a
fixed number of requests and prints the rate. Targets (issue 2, 2 cores):
batch creation under 10 s, at least 1,000 reads per second.

    python bench/server_bench.py [--datapoints 10000] [--reads 10000] [--connections 4]
"""

from __future__ import annotations

import argparse
import http.client
import json
import random
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from reconciler.apishapes import AUTH_HEADER, MAX_BATCH  # noqa: E402
from reconciler.server.db import register_account  # noqa: E402

API_KEY = "bench-key"
SERVER_CODE = """
import sys, uvicorn
from reconciler.server.app import create_app
uvicorn.run(create_app(sys.argv[1]), host="127.0.0.1", port=int(sys.argv[2]),
            log_level="warning", access_log=False)
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(db_path: Path, port: int) -> subprocess.Popen:
    """Run the app under uvicorn in a subprocess and wait until it answers."""
    root = Path(__file__).resolve().parents[1]
    server = subprocess.Popen([sys.executable, "-c", SERVER_CODE, str(db_path), str(port)], cwd=root)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return server
        except OSError:
            time.sleep(0.05)
    server.kill()
    raise RuntimeError("the server did not start")


def call(connection: http.client.HTTPConnection, method: str, path: str,
         body: object = None) -> tuple[int, bytes]:
    """One request on a keep-alive connection; (status, body)."""
    payload = None if body is None else json.dumps(body).encode()
    headers = {AUTH_HEADER: API_KEY, "Content-Type": "application/json"}
    connection.request(method, path, body=payload, headers=headers)
    response = connection.getresponse()
    return response.status, response.read()


def create_datapoints(port: int, total: int) -> tuple[list[int], float]:
    """Create `total` links with MAX_BATCH-item batches; (ids, seconds)."""
    connection = http.client.HTTPConnection("127.0.0.1", port)
    ids: list[int] = []
    started = time.perf_counter()
    for first in range(0, total, MAX_BATCH):
        items = [{"type": "TrackingLink", "name": f"bench-{n}", "title": f"Bench link {n}",
                  "tags": [{"name": f"tag-{n % 10}"}],
                  "typeTL": {"url": f"https://shop.example.com/item/{n}"}}
                 for n in range(first, min(first + MAX_BATCH, total))]
        status, body = call(connection, "PUT", "/datapoints/batch", {"List": items})
        results = json.loads(body)["results"]
        if status != 200 or any(item["status"] != "ok" for item in results):
            raise RuntimeError(f"batch failed: {status} {body[:300]!r}")
        ids.extend(item["result"]["id"] for item in results)
    elapsed = time.perf_counter() - started
    connection.close()
    return ids, elapsed


def read_datapoints(port: int, ids: list[int], reads: int, connections: int) -> float:
    """Issue `reads` GETs of random datapoints over `connections` threads; seconds taken."""
    per_thread = reads // connections
    failures: list[str] = []

    def reader(seed: int) -> None:
        chooser = random.Random(seed)
        connection = http.client.HTTPConnection("127.0.0.1", port)
        for _ in range(per_thread):
            status, body = call(connection, "GET", f"/datapoints/{chooser.choice(ids)}")
            if status != 200:
                failures.append(f"{status} {body[:200]!r}")
                return
        connection.close()

    threads = [threading.Thread(target=reader, args=(seed,)) for seed in range(connections)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    if failures:
        raise RuntimeError(f"read failed: {failures[0]}")
    return elapsed


def peak_rss_mib(pid: int) -> float:
    """The process's peak resident memory (VmHWM) in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datapoints", type=int, default=10_000)
    parser.add_argument("--reads", type=int, default=10_000)
    parser.add_argument("--connections", type=int, default=4)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as workdir:
        db_path = Path(workdir) / "bench.db"
        register_account(db_path, API_KEY)
        port = free_port()
        server = start_server(db_path, port)
        try:
            ids, create_seconds = create_datapoints(port, options.datapoints)
            read_seconds = read_datapoints(port, ids, options.reads, options.connections)
            server_peak = peak_rss_mib(server.pid)
        finally:
            server.terminate()
            server.wait(timeout=10)
    batches = -(-options.datapoints // MAX_BATCH)
    reads = options.reads // options.connections * options.connections
    print(f"create: {options.datapoints} datapoints in {batches} PUT /datapoints/batch calls: "
          f"{create_seconds:.2f} s (target < 10 s)")
    print(f"read: {reads} GET /datapoints/{{id}} over {options.connections} connections in "
          f"{read_seconds:.2f} s: {reads / read_seconds:.0f} requests/s (target >= 1000/s)")
    print(f"server peak memory: {server_peak:.1f} MiB")


if __name__ == "__main__":
    main()
