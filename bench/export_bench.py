"""Benchmark: `export` of a 10,000-datapoint account over loopback.

Starts the local server (`clickmeter-reconciler serve`) in its own process on
127.0.0.1, seeds it with batch creates (groups, tags, conversions first), then
measures the export two ways:

- in-process, stage by stage: the API calls the read issues (by operation),
  the wall time of the read, of rendering the manifests and of writing them,
  and the peak resident memory;
- the real command as a process: `export --out DIR` against the served URL,
  unthrottled (`--rate` high), wall time end to end.

Run: `/work/venv/bin/python bench/export_bench.py [--datapoints N]`.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import resource
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # runs from a checkout, installed or not

import httpx  # noqa: E402

from reconciler.apishapes import AUTH_HEADER, MAX_BATCH, MAX_LIMIT  # noqa: E402
from reconciler.clickmeter.client import ClickMeterClient  # noqa: E402
from reconciler.export import export_manifests, write_export  # noqa: E402
from reconciler.reader import read_live_state  # noqa: E402

API_KEY = "export-bench-key-0123456789"
GROUPS = 20
TAGS = 12
CONVERSIONS = 5
PIXEL_EVERY = 10  # one datapoint in ten is a pixel
PASSWORD_EVERY = 50  # one link in fifty has a password


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(db_path: Path, port: int) -> subprocess.Popen[bytes]:
    """`serve` in its own process, so that its CPU does not share the benchmark's GIL."""
    return subprocess.Popen(
        [sys.executable, "-m", "reconciler", "serve", "--host", "127.0.0.1", "--port", str(port),
         "--db", str(db_path), "--api-key", API_KEY],
        cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def wait_until_answering(base_url: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            httpx.get(f"{base_url}/account", headers={AUTH_HEADER: API_KEY}).raise_for_status()
            return
        except httpx.HTTPError:
            if time.monotonic() > deadline:
                raise SystemExit(f"the server at {base_url} did not answer within {seconds:.0f} s") from None
            time.sleep(0.1)


def datapoint_body(index: int, groups: list[int], tags: list[int], conversions: list[int],
                   domain_id: int) -> dict:
    body: dict = {"name": f"bench-{index:06d}", "title": f"Bench datapoint {index}",
                  "groupId": groups[index % len(groups)],
                  "tags": [{"id": tags[index % len(tags)]}, {"id": tags[(index * 7) % len(tags)]}],
                  "firstConversionId": conversions[index % len(conversions)],
                  "preferred": index % 13 == 0, "notes": f"note {index}" if index % 3 == 0 else None}
    if index % PIXEL_EVERY == 0:
        body["type"] = "TrackingPixel"
        return body
    body["type"] = "TrackingLink"
    body["typeTL"] = {"url": f"https://shop.example.com/p/{index}?utm_source=bench",
                      "domainId": domain_id, "redirectType": "TemporaryRedirect"}
    if index % PASSWORD_EVERY == 1:
        body["typeTL"]["password"] = f"secret-{index}"
    return body


async def seed(client: ClickMeterClient, count: int) -> None:
    """Groups, tags and conversions one by one, then the datapoints in batches of `MAX_BATCH`."""
    groups = [(await client.create_group({"name": f"Campaign {n:02d}"}))["id"] for n in range(GROUPS)]
    tags = [(await client.create_tag(f"tag-{n:02d}"))["id"] for n in range(TAGS)]
    conversions = [(await client.create_conversion({"name": f"goal-{n}", "value": n + 0.5,
                                                    "protocol": "Https"}))["id"]
                   for n in range(CONVERSIONS)]
    domain_id = (await client.list_domains())[0]["id"]
    bodies = [datapoint_body(i, groups, tags, conversions, domain_id) for i in range(count)]
    batches = [bodies[start:start + MAX_BATCH] for start in range(0, count, MAX_BATCH)]
    results = await client.map_concurrently(client.create_datapoints_batch, batches)
    failed = [item for batch in results for item in batch if item.get("status") != "ok"]
    if failed:
        raise SystemExit(f"seeding failed for {len(failed)} datapoints: {failed[0].get('errors')}")


async def export_in_process(base_url: str, out: Path) -> dict[str, float]:
    started = time.perf_counter()
    async with ClickMeterClient(base_url, API_KEY) as client:
        live = await read_live_state(client)
        calls = dict(client.calls)
    read_done = time.perf_counter()
    result = export_manifests(live)
    rendered = time.perf_counter()
    write_export(out, result.files)
    written = time.perf_counter()
    return {"datapoints": len(live.datapoints), "calls": calls, "read_s": read_done - started,
            "render_s": rendered - read_done, "write_s": written - rendered, "files": len(result.files),
            "bytes": sum(len(text.encode()) for text in result.files.values())}


def export_as_process(base_url: str, out: Path) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "reconciler", "--target", base_url, "--rate", "1000000",
                    "export", "--out", str(out)],
                   check=True, cwd=REPO, stdout=subprocess.DEVNULL,
                   env=os.environ | {"CLICKMETER_API_KEY": API_KEY})
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datapoints", type=int, default=10_000)
    count = parser.parse_args().datapoints
    with tempfile.TemporaryDirectory() as scratch:
        scratch_dir = Path(scratch)
        port = free_port()
        server = start_server(scratch_dir / "bench.db", port)
        base_url = f"http://127.0.0.1:{port}"
        try:
            wait_until_answering(base_url)
            seed_started = time.perf_counter()
            asyncio.run(_seed(base_url, count))
            seed_s = time.perf_counter() - seed_started
            figures = asyncio.run(export_in_process(base_url, scratch_dir / "in-process"))
            process_s = export_as_process(base_url, scratch_dir / "as-process")
        finally:
            server.terminate()
            server.wait(timeout=30)
    calls = figures["calls"]
    total_calls = sum(calls.values())
    lower_bound = math.ceil(count / MAX_LIMIT)
    print(f"seeded {count} datapoints in {seed_s:.2f} s ({math.ceil(count / MAX_BATCH)} batch creates)")
    print(f"export of {figures['datapoints']} datapoints over loopback:")
    print(f"  API calls: {total_calls} (summary pages alone: >= {lower_bound})")
    for operation, n in sorted(calls.items(), key=lambda item: (-item[1], item[0])):
        print(f"    {operation:<32} {n}")
    print(f"  read:   {figures['read_s']:.2f} s")
    print(f"  render: {figures['render_s']:.2f} s ({figures['files']} files, {figures['bytes'] / 1e6:.1f} MB)")
    print(f"  write:  {figures['write_s']:.2f} s")
    print(f"  at 10 requests/s the calls alone take {total_calls / 10:.0f} s")
    print(f"  peak memory (this process): {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    print(f"  `export` as a process, end to end: {process_s:.2f} s")


async def _seed(base_url: str, count: int) -> None:
    async with ClickMeterClient(base_url, API_KEY, concurrency=4) as client:
        await seed(client, count)


if __name__ == "__main__":
    main()
