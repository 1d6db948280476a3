"""What apply costs: 10,000 datapoints with tags and conversion links created from an empty
account, then 1,000 of them updated, over loopback against the local server in its own process.

    python bench/apply_bench.py                      # 10,000 datapoints, 1,000 updated
    python bench/apply_bench.py --datapoints 2000 --updates 200
    python bench/apply_bench.py --variant no-expand,updates=merge   # another plausible service

Each phase is planned (read + planner) and executed exactly as `apply` does,
then verified by a re-read. Printed per phase: the write calls issued against
the lower bound the API allows, the reads, wall time over loopback
(unthrottled), and the time the call count implies at the public service's
10 requests/s. Updates are sent whole, as the plan's read fetched them (apply
right after a plan reuses them); the conversion patches run before them, so
verification takes the update answers as final and reads no datapoint back.
The desired state is built in code (the manifests loader has its own
benchmark); names, tags and conversions are as a marketing account has them.
"""

from __future__ import annotations

import asyncio
import dataclasses
import io
import math
import time

from harness import (
    PUBLIC_RATE,
    LocalServer,
    arguments,
    implied_seconds,
    local_server,
    process_peak_rss_mib,
)

from reconciler.apishapes import MAX_BATCH
from reconciler.apply.run import execute_plan
from reconciler.model import ConversionSpec, DatapointSpec, DesiredState, GroupSpec, Settings
from reconciler.plan.run import read_and_plan

GROUPS = [f"campaign-{n}" for n in range(10)]
TAGS = [f"channel-{n}" for n in range(20)]
CONVERSIONS = ["signup", "purchase", "lead"]


def desired_state(count: int, updated: int) -> DesiredState:
    """`count` links in 10 groups, 2 tags and 1-2 conversions each; the first `updated` re-pointed
    (new url and title) and moved from `signup` to `lead`."""
    datapoints = {}
    for n in range(count):
        changed = n < updated
        conversions = {"lead" if changed else "signup"} | ({"purchase"} if n % 2 else set())
        datapoints[f"link-{n:05}"] = DatapointSpec(
            f"link-{n:05}", url=f"https://shop.example.com/{'v2/' if changed else ''}item/{n}",
            title=f"Item {n}{' (new)' if changed else ''}", group=GROUPS[n % len(GROUPS)],
            tags=frozenset({TAGS[n % len(TAGS)], TAGS[(n * 7 + 3) % len(TAGS)]}),
            conversions=frozenset(conversions))
    return DesiredState(settings=Settings(), groups={g: GroupSpec(g, notes="bench") for g in GROUPS},
                        conversions={c: ConversionSpec(c, value=1.0) for c in CONVERSIONS},
                        datapoints=datapoints, digest="b" * 64)


async def phase(server: LocalServer, desired: DesiredState, concurrency: int) -> dict[str, float]:
    """Plan and apply `desired`; the figures of that phase."""
    started = time.perf_counter()
    async with server.client(concurrency) as client:
        plan = dataclasses.replace(await read_and_plan(client, desired, keep_fetched=True), target=server.url)
        read_calls = client.total_calls
        planned = time.perf_counter()
        outcome = await execute_plan(client, plan, saved=False, stream=io.StringIO(), environ={})
        done = time.perf_counter()
        write_calls = sum(n for name, n in client.calls.items() if name.startswith("apply "))
        verify_calls = client.total_calls - read_calls - write_calls
    if not outcome.succeeded:
        raise SystemExit(f"apply did not converge: {outcome.residuals[:3]}")
    return {"plan_s": planned - started, "apply_s": done - planned, "writes": write_calls,
            "reads": read_calls, "verify_reads": verify_calls, "operations": len(plan.operations)}


def report(title: str, figures: dict[str, float], lower_bound: int, bound_text: str) -> None:
    total = figures["writes"] + figures["reads"] + figures["verify_reads"]
    print(f"{title}:")
    print(f"  write calls: {figures['writes']:.0f} (lower bound the API allows: {lower_bound} = {bound_text})")
    print(f"  reads: {figures['reads']:.0f} to plan, {figures['verify_reads']:.0f} during apply "
          "(re-reading what is updated, to send it whole; verifying)")
    print(f"  wall time over loopback, unthrottled: plan {figures['plan_s']:.2f} s, "
          f"apply + verify {figures['apply_s']:.2f} s")
    print(f"  implied at {PUBLIC_RATE:g} req/s: writes {implied_seconds(figures['writes']):.1f} s, "
          f"all {total:.0f} calls {implied_seconds(total):.1f} s")


def main() -> None:
    args = arguments(__doc__, variant=True, updates=1_000, concurrency=4)
    print(f"service variant: {args.variant}")
    with local_server(variant=args.variant) as server:
        created = asyncio.run(phase(server, desired_state(args.datapoints, 0), args.concurrency))
        updated = asyncio.run(phase(server, desired_state(args.datapoints, args.updates), args.concurrency))
    batches, update_batches = math.ceil(args.datapoints / MAX_BATCH), math.ceil(args.updates / MAX_BATCH)
    fixed = len(GROUPS) + len(CONVERSIONS)
    report(f"create {args.datapoints} datapoints (2 tags, 1-2 conversions each) in an empty account",
           created, fixed + batches,
           f"{len(GROUPS)} group + {len(CONVERSIONS)} conversion creates (no batch endpoint) + {batches} "
           f"batch creates carrying tags and conversion slots")
    report(f"update {args.updates} of them (url, title, one conversion swapped)", updated,
           3 * update_batches, f"{update_batches} batch updates + {update_batches} conversion batch removals "
           f"+ {update_batches} conversion batch additions")
    print(f"process peak RSS: {process_peak_rss_mib():.0f} MiB")


if __name__ == "__main__":
    main()
