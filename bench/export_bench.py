"""Benchmark: `export` of a 10,000-datapoint account over loopback.

Starts the local server (`clickmeter-reconciler serve`) in its own process on
127.0.0.1 (so that its CPU does not share the benchmark's GIL), seeds it with
batch creates (groups, tags, conversions first), then measures the export two
ways:

- in-process, stage by stage: the API calls the read issues (by operation),
  the wall time of the read, of rendering the manifests and of writing them,
  and the peak resident memory;
- the real command as a process: `export --out DIR` against the served URL,
  unthrottled (`--rate` high), wall time end to end.

Run: `python bench/export_bench.py [--datapoints N]`.
"""

from __future__ import annotations

import asyncio
import functools
import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from harness import (
    PUBLIC_RATE,
    REPO,
    LocalServer,
    arguments,
    implied_seconds,
    local_server,
    process_peak_rss_mib,
    seed_datapoints,
)

from reconciler.apishapes import MAX_BATCH, MAX_LIMIT
from reconciler.export.documents import export_manifests, write_export
from reconciler.live.reader import read_live_state

GROUPS = 20
TAGS = 12
CONVERSIONS = 5
PIXEL_EVERY = 10  # one datapoint in ten is a pixel
PASSWORD_EVERY = 50  # one link in fifty has a password


def datapoint_body(index: int, groups: list[int], tags: list[int], conversions: list[int],
                   domain_id: int) -> dict:
    body: dict = {"name": f"bench-{index:06d}", "title": f"Bench datapoint {index}",
                  "groupId": groups[index % len(groups)],
                  "tags": [{"id": tags[index % len(tags)]}, {"id": tags[(index * 7) % len(tags)]}],
                  "firstConversionId": conversions[index % len(conversions)],
                  "preferred": index % 13 == 0, "notes": f"note {index}" if index % 3 == 0 else None}
    if index % PIXEL_EVERY == 0:
        body["type"] = 1
        return body
    body["type"] = 0
    body["typeTL"] = {"url": f"https://shop.example.com/p/{index}?utm_source=bench",
                      "domainId": domain_id, "redirectType": 307}
    if index % PASSWORD_EVERY == 1:
        body["typeTL"]["password"] = f"secret-{index}"
    return body


async def seed(server: LocalServer, count: int) -> None:
    """Groups, tags and conversions one by one, then the datapoints by batch creates, 4 at once."""
    async with server.client(concurrency=4) as client:
        groups = [(await client.create_group({"name": f"Campaign {n:02d}"}))["id"] for n in range(GROUPS)]
        tags = [(await client.create_tag(f"tag-{n:02d}"))["id"] for n in range(TAGS)]
        conversions = [(await client.create_conversion({"name": f"goal-{n}", "value": n + 0.5,
                                                        "protocol": 1}))["id"]
                       for n in range(CONVERSIONS)]
        domain_id = (await client.list_domains())[0]["id"]
        await seed_datapoints(client, count, functools.partial(
            datapoint_body, groups=groups, tags=tags, conversions=conversions, domain_id=domain_id))


async def export_in_process(server: LocalServer, out: Path) -> dict[str, float]:
    started = time.perf_counter()
    async with server.client() as client:
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


def export_as_process(server: LocalServer, out: Path) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "reconciler", "--target", server.url, "--rate", "1000000",
                    "export", "--out", str(out)],
                   check=True, cwd=REPO, stdout=subprocess.DEVNULL,
                   env=os.environ | {"CLICKMETER_API_KEY": server.key})
    return time.perf_counter() - started


def main() -> None:
    count = arguments(__doc__).datapoints
    with tempfile.TemporaryDirectory() as scratch, local_server(Path(scratch) / "bench.db") as server:
        seed_started = time.perf_counter()
        asyncio.run(seed(server, count))
        seed_s = time.perf_counter() - seed_started
        figures = asyncio.run(export_in_process(server, Path(scratch) / "in-process"))
        process_s = export_as_process(server, Path(scratch) / "as-process")
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
    print(f"  at {PUBLIC_RATE:g} requests/s the calls alone take {implied_seconds(total_calls):.0f} s")
    print(f"  peak memory (this process): {process_peak_rss_mib():.0f} MB")
    print(f"  `export` as a process, end to end: {process_s:.2f} s")


if __name__ == "__main__":
    main()
