"""Calls a no-change `plan` makes on a large account: the whole account declared, and
2 declared groups of 100 in it (issue 16's targets).

Seeds N links in groups of 100 (`plan`'s own operations), serves the account
from its own process, then plans (read + planner, as `plan` does) against it:

    python bench/scope_bench.py                       # 10,000 links, `_expand` honoured
    python bench/scope_bench.py --variant no-expand   # lists give {id, uri} only

Printed per case: the calls, the wall time over loopback (unthrottled), the
time the calls imply at the public 10 requests/s, what the plan says it read,
and the target: whole account <= 1.05 x the paged read (`read_live_state`)
+ 10 calls; 2 declared groups <= their pages + 10 calls.
"""

from __future__ import annotations

import asyncio
import math
import time

from harness import LocalServer, arguments, implied_seconds, local_server

from reconciler.apishapes import MAX_LIMIT
from reconciler.live.reader import read_live_state
from reconciler.model import DatapointSpec, DesiredState, GroupSpec
from reconciler.plan.planner import plan_changes
from reconciler.plan.run import read_and_plan
from tests.planner.helpers import run_operations

GROUP_SIZE = 100


def declared(count: int, groups: int | None = None) -> DesiredState:
    """The first `groups` groups of 100 links (all when None), as the account has them."""
    shown = count if groups is None else groups * GROUP_SIZE
    names = [f"group-{g:03}" for g in range(math.ceil(shown / GROUP_SIZE))]
    datapoints = {f"link-{n:05}": DatapointSpec(f"link-{n:05}", url=f"https://shop.example.com/item/{n}",
                                                 title=f"Item {n}", group=names[n // GROUP_SIZE])
                  for n in range(shown)}
    return DesiredState(groups={g: GroupSpec(g, prune=True) for g in names}, datapoints=datapoints,
                        digest="s" * 64)


async def seed(server: LocalServer, count: int) -> None:
    async with server.client() as client:
        await run_operations(client, plan_changes(declared(count), await read_live_state(client)))


async def measure(server: LocalServer, desired: DesiredState | None) -> tuple[int, float, str]:
    """(calls, seconds, what was read and the calls by operation) of a plan of `desired`, or of
    the bare paged read."""
    started = time.perf_counter()
    async with server.client() as client:
        if desired is None:
            await read_live_state(client, details=())
            scope = "paged read alone"
        else:
            plan = await read_and_plan(client, desired)
            if plan.has_changes:
                raise SystemExit(f"the bench account does not match: {plan.summary_line()}")
            scope = plan.read_scope
        by_operation = ", ".join(f"{name} {count}" for name, count in sorted(client.calls.items()))
        return client.total_calls, time.perf_counter() - started, f"{scope}; {by_operation}"


def main() -> None:
    args = arguments(__doc__, variant=True)
    print(f"service variant: {args.variant}; {args.datapoints} links in groups of {GROUP_SIZE}")
    with local_server(variant=args.variant) as server:
        asyncio.run(seed(server, args.datapoints))
        paged = asyncio.run(measure(server, None))
        whole = asyncio.run(measure(server, declared(args.datapoints)))
        two = asyncio.run(measure(server, declared(args.datapoints, groups=2)))
    group_pages = 2 * math.ceil(GROUP_SIZE / MAX_LIMIT)
    for label, (calls, seconds, scope), bound in (
            ("paged read (read_live_state)", paged, None),
            ("no-change plan, whole account declared", whole, 1.05 * paged[0] + 10),
            ("no-change plan, 2 declared groups of 100", two, group_pages + 10)):
        target = "" if bound is None else f"; target <= {bound:.0f}: {'met' if calls <= bound else 'NOT met'}"
        print(f"{label}: {calls} calls, {seconds:.2f} s over loopback, {implied_seconds(calls):.1f} s at 10 req/s "
              f"[{scope}]{target}")


if __name__ == "__main__":
    main()
