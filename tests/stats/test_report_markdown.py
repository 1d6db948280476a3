"""The Markdown report: a Mermaid `xychart-beta` GitHub renders, tables, one comment's size."""

from __future__ import annotations

import re
from pathlib import Path

from reconciler.stats.markdown import COMMENT_LIMIT
from tests.helpers import run_local

NOVEMBER = ("--timeframe", "custom", "--from", "20261101", "--to", "20261127")
QUOTED = r'"[^"\n]*"'
NUMBERS = r"\[(-?\d+(?:\.\d+)?(?:, -?\d+(?:\.\d+)?)*)\]"
XYCHART = [  # the statements of Mermaid's xychart grammar the report writes, in order
    ("title", re.compile(rf"^    title {QUOTED}$")),
    ("x-axis", re.compile(rf"^    x-axis {QUOTED} \[({QUOTED}(?:, {QUOTED})*)\]$")),
    ("y-axis", re.compile(rf"^    y-axis {QUOTED} (\d+) --> (\d+)$")),
    ("bar", re.compile(rf"^    bar {NUMBERS}$")),
    ("line", re.compile(rf"^    line {NUMBERS}$")),
]


def mermaid_chart(markdown: str) -> dict[str, re.Match[str]]:
    """The one ```mermaid block, checked statement by statement against the grammar above."""
    blocks = re.findall(r"^```mermaid\n(.*?)^```$", markdown, flags=re.MULTILINE | re.DOTALL)
    assert len(blocks) == 1, blocks
    directive, first, *statements = blocks[0].splitlines()
    assert re.fullmatch(r'%%\{init: \{"xyChart": \{"width": \d+, "xAxis": \{"labelFontSize": 11\}\}\}\}%%', directive)
    assert first == "xychart-beta"
    assert len(statements) == len(XYCHART), statements
    found = {}
    for (name, pattern), statement in zip(XYCHART, statements, strict=True):
        match = pattern.match(statement)
        assert match, f"{name}: {statement!r}"
        found[name] = match
    return found


def numbers(match: re.Match[str]) -> list[int]:
    return [int(value) for value in match.group(1).split(", ")]


def test_the_chart_has_a_bar_and_a_point_per_day_on_a_fitting_axis(
        db_path: Path, scenario_ids: dict[str, int], manifests: Path) -> None:
    result = run_local(db_path, "stats", str(manifests), *NOVEMBER, "--format", "markdown")
    assert result.exit_code == 0, result.output
    chart = mermaid_chart(result.stdout)
    labels = re.findall(QUOTED, chart["x-axis"].group(1))
    assert chart["x-axis"].group(0).startswith('    x-axis "day, 2026" [')
    assert labels[0] == '"11-01"' and labels[-1] == '"11-27"' and len(labels) == 27
    clicks, uniques = numbers(chart["bar"]), numbers(chart["line"])
    assert (len(clicks), len(uniques)) == (27, 27)
    assert (sum(clicks), sum(uniques)) == (7, 6)
    assert int(chart["y-axis"].group(1)) == 0 and int(chart["y-axis"].group(2)) >= max(clicks)
    assert "| 7 | 6 | 1 | 12.50 |" in result.stdout  # the totals
    assert "| spring-sale | 5 | 1 | 20.0% | 12.50 |" in result.stdout  # conversions per link
    assert "| 2026-11-27 | 3 | 3 |" in result.stdout  # by day and group: the set, then spring


def test_years_by_day_still_fit_one_comment(
        db_path: Path, scenario_ids: dict[str, int], manifests: Path) -> None:
    result = run_local(db_path, "stats", str(manifests), "--timeframe", "custom", "--from", "20190101",
                       "--to", "20261127", "--format", "markdown")
    assert result.exit_code == 0, result.output
    assert len(result.stdout) <= COMMENT_LIMIT
    chart = mermaid_chart(result.stdout)
    assert len(numbers(chart["bar"])) == 40
    assert "_The chart shows the latest 40 of 2888 periods; `--by week`" in result.stdout
    assert re.search(r"_\d+ more row\(s\) left out to fit one comment: see `--format html`._", result.stdout)
    assert "**top links by clicks: 2**" in result.stdout  # the later tables keep their share
    assert "| total | 9 | 6 |" in result.stdout  # a cut table keeps its totals (the set, spring)


def test_out_writes_the_file_and_an_unwritable_one_is_one_line(
        db_path: Path, scenario_ids: dict[str, int], manifests: Path, tmp_path: Path) -> None:
    written = run_local(db_path, "stats", str(manifests), "--format", "markdown",
                        "--out", str(tmp_path / "stats.md"))
    assert written.exit_code == 0 and (tmp_path / "stats.md").read_text().startswith("### ClickMeter")
    refused = run_local(db_path, "stats", str(manifests), "--format", "markdown",
                        "--out", str(tmp_path / "no-such-folder" / "stats.md"))
    assert refused.exit_code == 1
    assert refused.stderr.splitlines() == [
        (f"error: --out {tmp_path / 'no-such-folder' / 'stats.md'}: cannot write the output "
         "(No such file or directory)")]
