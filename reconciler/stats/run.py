"""The `stats` command's work between parsed options and printed text.

One function per mode reads what it needs (`reconciler.stats.fetch`) and
shapes it into a `Tabular` plus the JSON `meta`; `collect_stats` picks the
mode. They share one signature so that the mode is a table lookup. The HTML
and Markdown reports read an `Overview` (`reconciler.stats.overview`) instead.
`collect_text` gives the command's output in the chosen format.
"""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reconciler.model import DesiredState
from reconciler.stats.fetch import (
    declared_spec,
    find_live_id,
    read_declared_stats,
    read_hits,
    read_report,
    read_series,
)
from reconciler.stats.html import StatsHtml
from reconciler.stats.markdown import StatsMarkdown
from reconciler.stats.options import StatsRequest
from reconciler.stats.overview import collect_overview
from reconciler.stats.results import StatsError, build_report, declared_in_scope, stale_rows
from reconciler.stats.table import Tabular, render
from reconciler.stats.views import hits_table, report_table, series_table, stale_table, summary_table

if TYPE_CHECKING:
    from reconciler.clickmeter.client import ClickMeterClient


Collected = tuple[Tabular, dict[str, Any]]
REPORTS: dict[str, type[StatsHtml | StatsMarkdown]] = {"html": StatsHtml, "markdown": StatsMarkdown}


async def collect_text(client: ClickMeterClient, desired: DesiredState, request: StatsRequest,
                       target: str, today: date, *, bars: bool) -> str:
    """The command's whole output: a report, or one mode as table (under the target line), CSV or JSON."""
    if request.mode == "overview":
        overview = await collect_overview(client, desired, request, target, today)
        return REPORTS[request.output_format]().render(overview)
    data, meta = await collect_stats(client, desired, request, today)
    text = render(data, request.output_format, {"target": target, **meta}, bars=bars)
    return f"{target}\n{text}" if request.output_format == "table" else text


def write_output(text: str, path: str) -> None:
    """`--out`: the file written whole or not at all."""
    target = Path(path)
    partial = target.with_name(target.name + ".partial")
    try:
        partial.write_text(text, encoding="utf-8")
        os.replace(partial, target)
    except OSError as error:
        raise StatsError(f"--out {path}: cannot write the output ({error.strerror})") from None


async def collect_stats(client: ClickMeterClient, desired: DesiredState, request: StatsRequest,
                        today: date) -> Collected:
    """Read and shape what `request` asks for: the table and the JSON `meta`."""
    collect = {"summary": _summary, "stale": _stale, "series": _series,
               "hits": _hits, "report": _report}[request.mode]
    data, meta = await collect(client, desired, request, today)
    return data, {"mode": request.mode, "timeframe": request.timeframe.describe(), **meta}


async def _summary(client: ClickMeterClient, desired: DesiredState, request: StatsRequest,
                   today: date) -> Collected:
    rows, _ = await read_declared_stats(client, declared_in_scope(desired, request.group),
                                        request.timeframe)
    report = build_report(rows, request.sort)
    return summary_table(report.rows, report.totals, request.timeframe.describe()), {"group": request.group}


async def _stale(client: ClickMeterClient, desired: DesiredState, request: StatsRequest,
                 today: date) -> Collected:
    """Days count to the service's today (the end of the window it answered), so that its
    clock and day boundaries decide; the caller's `today` stands in when nothing is live."""
    assert request.stale_days is not None
    rows, service_today = await read_declared_stats(client, declared_in_scope(desired, request.group),
                                                    request.timeframe)
    today = service_today or today
    report = build_report(rows, "name")
    stale = stale_rows(report.rows, request.stale_days, today)
    return stale_table(stale, request.stale_days, report.missing), {
        "group": request.group, "days": request.stale_days, "today": today.isoformat()}


async def _series(client: ClickMeterClient, desired: DesiredState, request: StatsRequest,
                  today: date) -> Collected:
    assert request.grouping is not None
    periods, live = await read_series(client, declared_in_scope(desired, request.group),
                                      request.timeframe, request.grouping)
    return series_table(periods, request.grouping, request.timeframe.describe(), live), {
        "group": request.group, "by": request.grouping}


async def _hits(client: ClickMeterClient, desired: DesiredState, request: StatsRequest,
                today: date) -> Collected:
    spec = declared_spec(desired, request.name or "", "--hits")
    datapoint_id = await find_live_id(client, spec, "--hits")
    hits = await read_hits(client, datapoint_id, request.timeframe, request.hit_filter, request.hits_limit)
    return hits_table(spec.name, hits, request.hit_filter), {"datapoint": spec.name, "id": datapoint_id}


async def _report(client: ClickMeterClient, desired: DesiredState, request: StatsRequest,
                  today: date) -> Collected:
    assert request.report_type is not None
    spec = declared_spec(desired, request.name or "", "--report")
    datapoint_id = await find_live_id(client, spec, "--report")
    items = await read_report(client, spec, datapoint_id, request.report_type, request.timeframe)
    return report_table(spec.name, request.report_type, items), {
        "datapoint": spec.name, "id": datapoint_id, "type": request.report_type}
