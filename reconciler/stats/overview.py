"""Everything the HTML and Markdown reports show, read in one go with the fewest calls.

One summary pass over the timeframe (a page per 100 live datapoints per type)
gives the totals, the top links and the conversions per link, and tells the
series which datapoints had traffic; the set's series and each group's reuse
it (`read_series_of_live`). Staleness needs the last hit over all time: one
more summary pass, over `beginning`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from reconciler.model import LINK, DatapointSpec, DesiredState
from reconciler.stats.fetch import read_declared_stats, read_live_figures, read_series_of_live
from reconciler.stats.options import StatsRequest, Timeframe
from reconciler.stats.results import (
    DatapointStats,
    Figures,
    Period,
    StatsReport,
    build_report,
    declared_in_scope,
    kinds_declared,
    match_declared,
    stale_rows,
)

if TYPE_CHECKING:
    from reconciler.clickmeter.client import ClickMeterClient

TOP_LINKS = 10
ALL_DECLARED = "all declared datapoints"


@dataclass(frozen=True, slots=True)
class SeriesLine:
    """One series of a chart: the declared set's, or one group's, on the set's periods."""

    label: str
    periods: list[Period]


@dataclass(frozen=True, slots=True)
class Overview:
    """A report's content; the renderers only arrange it."""

    target: str
    timeframe: str
    grouping: str
    group: str | None
    today: date
    report: StatsReport
    series: list[SeriesLine]
    stale: list[DatapointStats]
    stale_days: int

    @property
    def top_links(self) -> list[DatapointStats]:
        """The most clicked links, those with a click only (rows come most clicked first)."""
        return [row for row in self.report.rows if row.kind == LINK and row.figures.clicks][:TOP_LINKS]

    @property
    def converting(self) -> list[DatapointStats]:
        """Links with conversions in the timeframe, the most converting first."""
        rows = [row for row in self.report.rows if row.kind == LINK and row.figures.conversions]
        return sorted(rows, key=lambda row: (-row.figures.conversions, -row.figures.value, row.name))


async def collect_overview(client: ClickMeterClient, desired: DesiredState, request: StatsRequest,
                           target: str, today: date) -> Overview:
    """Read and shape a report: totals, series (the set, then each group), top links, stale."""
    assert request.grouping is not None and request.stale_days is not None
    specs = declared_in_scope(desired, request.group)
    live = {kind: await read_live_figures(client, kind, request.timeframe) for kind in kinds_declared(specs)}
    report = build_report(match_declared(specs, [row for rows in live.values() for row in rows]))
    periods, _ = await read_series_of_live(client, specs, live, request.timeframe, request.grouping)
    series = [SeriesLine(request.group or ALL_DECLARED, periods)]
    for group, members in _groups(specs, request.group):
        group_periods, _ = await read_series_of_live(client, members, live, request.timeframe,
                                                     request.grouping)
        series.append(SeriesLine(group, align(group_periods, periods)))
    all_time, service_today = await read_declared_stats(client, specs, Timeframe("beginning"))
    today = service_today or today
    return Overview(target=target, timeframe=request.timeframe.describe(), grouping=request.grouping,
                    group=request.group, today=today, report=report, series=series,
                    stale=stale_rows(all_time, request.stale_days, today), stale_days=request.stale_days)


def _groups(specs: list[DatapointSpec], chosen: str | None) -> list[tuple[str, list[DatapointSpec]]]:
    """Each declared group with its datapoints, when the report covers more than one group."""
    if chosen is not None:
        return []
    groups: dict[str, list[DatapointSpec]] = {}
    for spec in specs:
        if spec.group is not None:
            groups.setdefault(spec.group, []).append(spec)
    return sorted(groups.items())


def align(periods: list[Period], axis: list[Period]) -> list[Period]:
    """`periods` on the axis's starts: a period the group had no answer for counts zero."""
    by_start = {period.start: period.figures for period in periods}
    return [Period(step.start, by_start.get(step.start, Figures())) for step in axis]
