"""The parts of a stats report (`reconciler.stats.overview.Overview`) that both the
HTML and the Markdown report show: the tables as `Tabular`s, the chart steps and
the sentences that describe a chart to someone who cannot see it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reconciler.stats.overview import Overview, SeriesLine
from reconciler.stats.results import label_period
from reconciler.stats.svg_charts import Step
from reconciler.stats.table import Column, Tabular, format_cell
from reconciler.stats.views import FIGURE_COLUMNS, figure_cells, series_table, stale_table

TOTALS = (("clicks", "clicks and views"), ("uniques", "unique clicks"),
          ("conversions", "conversions"), ("value", "conversion value"))


def headline(overview: Overview) -> str:
    scope = f"group {overview.group}" if overview.group else "all declared datapoints"
    return f"timeframe {overview.timeframe}, {scope}, by {overview.grouping}"


def total_cells(overview: Overview) -> list[tuple[str, str, str]]:
    """(key, label, shown value) of each total, in the order the reports show them."""
    totals = figure_cells(overview.report.totals)
    return [(key, label, format_cell(totals[key])) for key, label in TOTALS]


def chart_steps(line: SeriesLine, grouping: str) -> list[Step]:
    return [Step(label_period(period.start, grouping), period.figures.clicks, period.figures.uniques)
            for period in line.periods]


def describe_series(line: SeriesLine, grouping: str) -> str:
    """The chart in words: its span, its sums and its busiest period."""
    steps = chart_steps(line, grouping)
    if not steps:
        return f"Clicks by {grouping} for {line.label}: no periods in the timeframe."
    busiest = max(steps, key=lambda step: step.clicks)
    peak = (f"the busiest was {busiest.label} with {busiest.clicks:,} clicks" if busiest.clicks
            else "no period had a click")
    return (f"Clicks by {grouping} for {line.label}, {len(steps)} periods from {steps[0].label} to "
            f"{steps[-1].label}: {sum(step.clicks for step in steps):,} clicks and "
            f"{sum(step.uniques for step in steps):,} unique clicks in all; {peak}.")


def set_series_table(overview: Overview) -> Tabular:
    line = overview.series[0]
    return series_table(line.periods, overview.grouping, overview.timeframe,
                        sum(1 for row in overview.report.rows if row.live))


def groups_table(overview: Overview) -> Tabular:
    """Clicks per period, one column per group (the set's column first)."""
    columns = [Column("period", overview.grouping)]
    columns += [Column(f"series{index}", line.label, numeric=True)
                for index, line in enumerate(overview.series)]
    rows: list[Mapping[str, Any]] = [{"period": label_period(period.start, overview.grouping),
             **{f"series{index}": line.periods[step].figures.clicks
                for index, line in enumerate(overview.series)}}
            for step, period in enumerate(overview.series[0].periods)]
    totals = {"period": "total", **{f"series{index}": sum(period.figures.clicks for period in line.periods)
                                    for index, line in enumerate(overview.series)}}
    return Tabular(title=f"clicks by {overview.grouping} and group", columns=columns, rows=rows, totals=totals)


def top_links_table(overview: Overview) -> Tabular:
    return Tabular(
        title=f"top links by clicks: {len(overview.top_links)}",
        columns=(Column("name", "link"), *FIGURE_COLUMNS, Column("last_hit", "last hit")),
        rows=[{"name": row.name, **figure_cells(row.figures), "last_hit": row.last_hit}
              for row in overview.top_links],
    )


def conversions_table(overview: Overview) -> Tabular:
    return Tabular(
        title=f"conversions per link: {len(overview.converting)}",
        columns=(Column("name", "link"), Column("clicks", "clicks", numeric=True),
                 Column("conversions", "conversions", numeric=True),
                 Column("rate", "conversion rate"), Column("value", "value", numeric=True)),
        rows=[{"name": row.name, "clicks": row.figures.clicks, "conversions": row.figures.conversions,
               "rate": f"{row.figures.conversions / row.figures.clicks:.1%}" if row.figures.clicks else None,
               "value": row.figures.value} for row in overview.converting],
    )


def overview_stale_table(overview: Overview) -> Tabular:
    return stale_table(overview.stale, overview.stale_days, overview.report.missing)
