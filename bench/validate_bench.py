"""How `validate` scales with invalid input: time and peak memory per size.

For each size N writes one manifest of N datapoints, each broken in one of
four ways (a url of the wrong type, an unknown key, a key written twice, a
status outside the enum), runs `validate` on it as a process and prints its
wall time, its peak RSS and how many lines it printed. Linear validation
keeps time per datapoint flat as N doubles; the printed problems are capped.

    python bench/validate_bench.py                       # 2k, 4k, 8k, 16k and 100k
    python bench/validate_bench.py --sizes 2000 4000
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BROKEN = (
    "  - name: dp-{i}\n    url: 5\n",
    "  - name: dp-{i}\n    url: https://shop.example.com/{i}\n    colour: red\n",
    "  - name: dp-{i}\n    url: https://shop.example.com/{i}\n    notes: a\n    notes: b\n",
    "  - name: dp-{i}\n    url: https://shop.example.com/{i}\n    status: sleeping\n",
)


def write_manifest(folder: Path, size: int) -> Path:
    path = folder / f"invalid-{size}.yaml"
    with path.open("w", encoding="utf-8") as stream:
        stream.write("datapoints:\n")
        for i in range(size):
            stream.write(BROKEN[i % len(BROKEN)].format(i=i))
    return path


def run_validate(path: Path) -> tuple[float, float, int, int]:
    """Wall seconds, peak RSS in MiB, exit status and lines printed of `validate path`."""
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", "reconciler", "validate", str(path)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=REPO)
    assert process.stderr is not None
    lines = sum(1 for _ in process.stderr)
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    return time.perf_counter() - started, usage.ru_maxrss / 1024, process.returncode, lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[2000, 4000, 8000, 16000, 100000])
    sizes = parser.parse_args().sizes
    print(f"{'datapoints':>10} {'seconds':>8} {'us/dp':>7} {'peak MiB':>9} {'exit':>4} {'lines':>6}")
    with tempfile.TemporaryDirectory() as folder:
        for size in sizes:
            path = write_manifest(Path(folder), size)
            seconds, peak, code, lines = run_validate(path)
            print(f"{size:>10} {seconds:>8.2f} {seconds / size * 1e6:>7.0f} {peak:>9.1f} {code:>4} {lines:>6}",
                  flush=True)


if __name__ == "__main__":
    main()
