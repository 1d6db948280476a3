"""Benchmark: load and validate N datapoints spread over 100 manifest files.

Generates realistic manifests (links and pixels, groups, tags, conversions,
per-file defaults) into a temporary directory, then times `load_manifests`
on them and prints seconds (wall and CPU) and peak memory, for 10,000 and
50,000 datapoints (or the counts given: `python bench/load_bench.py 10000`).
`--settings` gives the datapoints the link settings too: defaults with flags and
an expiry per file, and by turns a weighted rotation, destinations by country,
by language or by device, an expiry, a cloak with its title.
"""

from __future__ import annotations

import resource
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from reconciler.manifests import load_manifests

FILES = 100


SETTINGS_DEFAULTS = ["  forward_query: true", "  anonymise_ip: true", "  expires: {on: 2027-06-30, then: pause}"]


def link_settings(index: int) -> list[str]:
    """The settings of link `index`, by turns: every link has some, a few have none beside the defaults."""
    urls = [f"https://shop.example.com/v/{index}/{variant}" for variant in ("a", "b", "c")]
    return [
        ["    destinations:", "      mode: rotate", "      urls:", f"        - {{url: {urls[0]}, weight: 70}}",
         f"        - {{url: {urls[1]}, weight: 30}}"],
        ["    destinations:", "      mode: by_country",
         f"      urls: {{IT: {urls[0]}, fr: {urls[1]}, DE: {urls[2]}, default: https://shop.example.com/}}"],
        ["    destinations:", "      mode: by_language",
         f"      urls: {{de: {urls[0]}, it: {urls[1]}, default: https://shop.example.com/}}"],
        ["    destinations:", "      mode: by_device", f"      urls: {{mobile: {urls[0]}, default: {urls[1]}}}"],
        [f"    url: {urls[0]}", f"    expires: {{after_clicks: {1000 + index}, then: {urls[1]}}}",
         "    referrer: clean"],
        [f"    url: {urls[0]}", "    cloak: {title: Spring offer}", "    encode_url: false", "    public: true"],
    ][index % 6]


def manifest_text(file_index: int, count: int, settings: bool = False) -> str:
    """One campaign file: its group, a conversion, defaults and `count` datapoints."""
    lines = [
        "# yaml-language-server: $schema=../schemas/manifest.schema.json",
        "defaults:",
        f"  group: campaign-{file_index}",
        "  tags: [bench]",
        "  redirect: temporary",
        *(SETTINGS_DEFAULTS if settings else ()),
        "groups:",
        f"  - name: campaign-{file_index}",
        "    notes: Generated campaign",
        "    prune: true",
        "conversions:",
        f"  - name: goal-{file_index}",
        "    value: 2.5",
        "    protocol: https",
        "datapoints:",
    ]
    for index in range(count):
        name = f"c{file_index}-dp{index}"
        if index % 10 == 9:
            lines += [f"  - name: {name}", "    type: pixel", f"    title: Pixel {index}",
                      "    tags: [pixels]", "    status: active"]
            continue
        destination = f"    url: https://shop.example.com/c/{file_index}/p/{index}?utm_source=newsletter&utm_medium=email"
        lines += [
            f"  - name: {name}",
            *(link_settings(index) if settings else [destination]),
            f"    title: Landing page {index} of campaign {file_index}",
            f"    tags: [newsletter, t{index % 7}]",
            f"    conversions: [goal-{file_index}]",
            f"    favourite: {'true' if index % 3 == 0 else 'false'}",
            "    notes: Linked from the spring newsletter",
            "    status: active",
        ]
    return "\n".join(lines) + "\n"


def generate(directory: Path, total: int, settings: bool = False) -> None:
    per_file, extra = divmod(total, FILES)
    for file_index in range(FILES):
        folder = directory / f"team-{file_index % 5}"
        folder.mkdir(exist_ok=True)
        count = per_file + (1 if file_index < extra else 0)
        (folder / f"campaign-{file_index:03}.yaml").write_text(manifest_text(file_index, count, settings))


def measure(total: int, settings: bool, runs: int = 3) -> None:
    """Best of `runs` (wall and CPU seconds: other processes share this machine), then peak memory."""
    with tempfile.TemporaryDirectory() as temp:
        directory = Path(temp)
        generate(directory, total, settings)
        walls, cpus = [], []
        for _ in range(runs):
            wall, cpu = time.perf_counter(), time.process_time()
            desired = load_manifests([str(directory)])
            walls.append(time.perf_counter() - wall)
            cpus.append(time.process_time() - cpu)
            assert len(desired.datapoints) == total
            declared = sum(spec.destinations is not None for spec in desired.datapoints.values())
            assert not settings or declared > total // 2
            del desired
        tracemalloc.start()
        load_manifests([str(directory)])
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    print(f"{total:>7} datapoints in {FILES} files{' with link settings' if settings else ''}: best of {runs}: "
          f"{min(walls):.3f} s wall, {min(cpus):.3f} s CPU (median {statistics.median(walls):.3f} s wall); "
          f"peak traced memory {peak / 2**20:.1f} MiB; max RSS so far "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


def main() -> None:
    arguments = sys.argv[1:]
    settings = "--settings" in arguments
    for total in [int(arg) for arg in arguments if arg != "--settings"] or [10_000, 50_000]:
        measure(total, settings)


if __name__ == "__main__":
    main()
