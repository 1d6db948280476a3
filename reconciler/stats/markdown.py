"""A stats report for a GitHub comment or job summary: a Mermaid chart and tables.

GitHub renders a ```` ```mermaid ```` block of `xychart-beta` as a chart, so the
series needs no image. A comment holds at most 65,536 characters: the chart
keeps the latest `CHART_PERIODS` periods and each table the rows that fit its
share, saying what was left out, so that the report is always postable. An
`init` directive widens the chart so that its labels do not overlap.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reconciler.render import COMMENT_LIMIT, markdown_text
from reconciler.stats.overview import Overview
from reconciler.stats.overview_views import (
    chart_steps,
    conversions_table,
    describe_series,
    groups_table,
    headline,
    overview_stale_table,
    set_series_table,
    top_links_table,
    total_cells,
)
from reconciler.stats.svg_charts import nice_ceiling
from reconciler.stats.table import Tabular, format_cell

CHART_PERIODS = 40  # more labels than this overlap even at the widest
MOST_CHART_WIDTH = 1200


def mermaid_text(text: str) -> str:
    """Text inside a Mermaid string: its quotes would end it."""
    return text.replace('"', "'").replace("\n", " ")


def markdown_table(data: Tabular, budget: int) -> str:
    """A `Tabular` as a Markdown table of at most `budget` characters: the rows that do
    not fit are left out (the totals row stays), and a last line counts them."""
    def line(row: Mapping[str, Any]) -> str:
        return "| " + " | ".join(markdown_text(format_cell(row.get(column.key))) for column in data.columns) + " |"

    head = [f"**{markdown_text(data.title)}**", "",
            "| " + " | ".join(markdown_text(column.title) for column in data.columns) + " |",
            "|" + "|".join("---:" if column.numeric else "---" for column in data.columns) + "|"]
    foot = [line(data.totals)] if data.totals is not None else []
    notes = [markdown_text(note) for note in data.notes]
    kept: list[str] = []
    used = sum(len(text) + 1 for text in head + foot + notes) + 80
    for row in data.rows:
        text = line(row)
        if used + len(text) + 1 > budget:
            break
        kept.append(text)
        used += len(text) + 1
    left_out = len(data.rows) - len(kept)
    if not data.rows:
        kept = ["| " + " | ".join(["(none)", *[""] * (len(data.columns) - 1)]) + " |"]
    tail = [f"_{left_out} more row(s) left out to fit one comment: see `--format html`._"] if left_out else []
    return "\n".join(head + kept + foot + ([""] if notes or tail else []) + notes + tail) + "\n"


class StatsMarkdown:
    """`render(overview)`: Markdown within one comment's `COMMENT_LIMIT` characters."""

    def render(self, overview: Overview) -> str:
        top = "\n".join([f"### ClickMeter statistics ({markdown_text(overview.target)})", "",
                         f"{markdown_text(headline(overview))}; as of {overview.today.isoformat()}", "",
                         "| " + " | ".join(label for _, label, _ in total_cells(overview)) + " |",
                         "|---:|---:|---:|---:|",
                         "| " + " | ".join(shown for _, _, shown in total_cells(overview)) + " |", "",
                         f"#### Clicks by {overview.grouping}", "", self.chart(overview), ""])
        tables = [set_series_table(overview), *([groups_table(overview)] if len(overview.series) > 1 else []),
                  top_links_table(overview), conversions_table(overview), overview_stale_table(overview)]
        share = (COMMENT_LIMIT - len(top) - 200) // len(tables)
        return top + "\n" + "\n".join(markdown_table(table, share) for table in tables)

    @staticmethod
    def chart(overview: Overview) -> str:
        """The declared set's series as an `xychart-beta`: clicks as bars, unique clicks as a line,
        wide enough for its labels (the year they share goes to the axis title)."""
        line = overview.series[0]
        steps = chart_steps(line, overview.grouping)
        shown = steps[-CHART_PERIODS:]
        top_value, _ = nice_ceiling(max((step.clicks for step in shown), default=0))
        axis, labels = short_labels(overview.grouping, [step.label for step in shown])
        width = min(MOST_CHART_WIDTH, max(700, 30 * len(shown)))
        categories = ", ".join(f'"{label}"' for label in labels) or '"-"'
        block = ["```mermaid",
                 f'%%{{init: {{"xyChart": {{"width": {width}, "xAxis": {{"labelFontSize": 11}}}}}}}}%%',
                 "xychart-beta",
                 f'    title "Clicks (bars) and unique clicks (line): {mermaid_text(line.label)}"',
                 f'    x-axis "{axis}" [{categories}]',
                 f'    y-axis "clicks" 0 --> {top_value}',
                 f"    bar [{', '.join(str(step.clicks) for step in shown) or '0'}]",
                 f"    line [{', '.join(str(step.uniques) for step in shown) or '0'}]", "```", "",
                 f"_{markdown_text(describe_series(line, overview.grouping))}_"]
        if len(shown) < len(steps):
            block.append(f"_The chart shows the latest {len(shown)} of {len(steps)} periods; "
                         f"`--by week` or `--by month` shows more in one chart._")
        return "\n".join(block)


def short_labels(grouping: str, labels: list[str]) -> tuple[str, list[str]]:
    """The axis title and the labels, less the `YYYY-` they all share (`2026-11-27` -> `11-27`)."""
    years = {label[:5] for label in labels}
    if grouping == "month" or len(years) != 1:
        return grouping, labels
    year = years.pop()
    return f"{grouping}, {year[:4]}", [label[5:] for label in labels]
