"""How fast `plan` is when nothing changed, and how many calls it costs.

For each size N: writes N declared datapoints (links and pixels, in groups, with
tags and conversions) over 100 manifest files, makes a fresh local account
exactly match them (by sending the plan's own operations), then measures:

- the planner's CPU time alone (`plan_changes`, reads excluded; target < 1 s at 10,000);
- the API calls: the no-change plan's (lower bound 0), the reads `plan` makes
  against the reader's lower bound, and the calls a plan from an empty account
  would make against the API's lower bound;
- the whole `plan` command as a process on the local target (wall time; targets
  < 3 s at 10,000 and < 15 s at 50,000) and its peak RSS (< 500 MB at 100,000).

    python bench/plan_bench.py                          # 10,000 and 50,000
    python bench/plan_bench.py --sizes 100000           # peak memory at 100,000
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from reconciler.apishapes import MAX_BATCH, MAX_LIMIT  # noqa: E402
from reconciler.live.reader import read_live_state  # noqa: E402
from reconciler.manifests import load_manifests  # noqa: E402
from reconciler.model import LiveState  # noqa: E402
from reconciler.plan.planner import plan_changes  # noqa: E402
from reconciler.target import TargetOptions, open_client  # noqa: E402
from tests.planner.helpers import run_operations  # noqa: E402  (no apply yet: send the plan as written)

FILES = 100
GROUPS = 10
CONVERSIONS = 3
TAGS = 20
PUBLIC_RATE = 10


def write_manifests(root: Path, count: int) -> None:
    """`count` datapoints over FILES files, plus one file of groups and conversions."""
    root.mkdir(parents=True)
    groups = "\n".join(f"  - name: group-{g}\n    notes: Campaign {g}\n    prune: {str(g % 2 == 0).lower()}"
                       for g in range(GROUPS))
    conversions = "\n".join(f"  - name: goal-{c}\n    value: {c + 1}.5" for c in range(CONVERSIONS))
    (root / "shared.yaml").write_text(f"groups:\n{groups}\nconversions:\n{conversions}\n")
    per_file = math.ceil(count / FILES)
    for file_number in range(FILES):
        entries = []
        for i in range(file_number * per_file, min(count, (file_number + 1) * per_file)):
            if i % 10 == 9:
                entries.append(f"  - name: pixel-{i}\n    type: pixel\n    title: Pixel {i}")
            else:
                entries.append(f"  - name: link-{i}\n    url: https://shop.example.com/item/{i}\n"
                               f"    title: Item {i}\n    tags: [tag-{i % TAGS}]\n"
                               f"    conversions: [goal-{i % CONVERSIONS}]")
        header = f"defaults:\n  group: group-{file_number % GROUPS}\n  tags: [bench]\ndatapoints:\n"
        (root / f"items-{file_number:03}.yaml").write_text(header + "\n".join(entries) + "\n")


async def converge_and_read(options: TargetOptions, manifests: Path) -> tuple[LiveState, int, int, float]:
    """Seed the account from the manifests; (live state, creating calls, read calls, seed seconds)."""
    desired = load_manifests([str(manifests)])
    async with open_client(options) as client:
        started = time.perf_counter()
        creating = plan_changes(desired, await read_live_state(client))
        await run_operations(client, creating)
        seeded = time.perf_counter() - started
        before = client.total_calls
        live = await read_live_state(client)
        return live, len(creating.operations), client.total_calls - before, seeded


def plan_process(db_path: Path, manifests: Path) -> tuple[float, float]:
    """`plan` as its own process: (wall seconds, peak RSS in MB of that process alone).

    The peak is the child's `VmHWM`, polled: its `ru_maxrss` would also count
    this benchmark's own memory, which the child shares until it execs.
    """
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", "reconciler", "--local-db", str(db_path), "plan",
                                str(manifests), "--detailed-exitcode"], cwd=REPO,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak_kb = 0
    while not os.waitid(os.P_PID, process.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT):
        peak_kb = max(peak_kb, plan_high_water_kb(process.pid))
        time.sleep(0.02)
    elapsed = time.perf_counter() - started
    if process.wait() != 0:
        raise SystemExit(f"plan failed: {process.stderr.read().decode()}")
    return elapsed, peak_kb / 1024


def plan_high_water_kb(pid: int) -> int:
    """The process's peak RSS (`VmHWM`, kB) once it runs `reconciler`, else 0."""
    try:
        if b"-m\0reconciler\0" not in Path(f"/proc/{pid}/cmdline").read_bytes():
            return 0  # not exec'd yet: the status would be this benchmark's
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    return next((int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM:")), 0)


def bench(count: int, workdir: Path) -> None:
    manifests, db_path = workdir / f"manifests-{count}", workdir / f"local-{count}.db"
    write_manifests(manifests, count)
    options = TargetOptions(target="local", local_db=str(db_path), rate=None, concurrency=4)
    live, creating_calls, read_calls, seeded = asyncio.run(converge_and_read(options, manifests))
    desired = load_manifests([str(manifests)])
    gc.freeze()  # as the `plan` command does before planning
    started = time.process_time()
    plan = plan_changes(desired, live)
    cpu = time.process_time() - started
    assert not plan.has_changes, plan.summary_line()
    links = sum(1 for d in live.datapoints.values() if d.type == "link")
    read_bound = math.ceil(links / MAX_LIMIT) + math.ceil((count - links) / MAX_LIMIT)
    create_bound = math.ceil(count / MAX_BATCH) + GROUPS + CONVERSIONS
    runs = [plan_process(db_path, manifests) for _ in range(2)]  # right after seeding, then again
    print(f"N={count:,} declared datapoints, no changes (account seeded in {seeded:.1f} s)")
    print(f"  planner CPU time (reads excluded): {cpu:.3f} s")
    print(f"  plan operations: {len(plan.operations)} (lower bound 0)")
    print(f"  reads by plan: {read_calls} calls (summary pages alone: {read_bound}; "
          f"~{math.ceil(read_calls / PUBLIC_RATE)} s at {PUBLIC_RATE} req/s)")
    print(f"  plan from an empty account: {creating_calls} calls (lower bound {create_bound})")
    for label, (wall, rss) in zip(("first run after seeding", "second run"), runs, strict=True):
        print(f"  `plan` process on the local target, {label}: {wall:.2f} s wall, peak RSS {rss:.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 50_000])
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="plan-bench-") as workdir:
        for count in arguments.sizes:
            bench(count, Path(workdir))


if __name__ == "__main__":
    main()
