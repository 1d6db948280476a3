"""The `stats` command's work between parsed options and printed text.

One function per mode reads what it needs (`reconciler.stats_fetch`) and
shapes it into a `Tabular` plus the JSON `meta`; `collect_stats` picks the mode.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from reconciler.model import DesiredState
from reconciler.render.stats import Tabular
from reconciler.render.stats_views import hits_table, report_table, series_table, stale_table, summary_table
from reconciler.stats import StatsReport, build_report, declared_in_scope, stale_rows
from reconciler.stats_fetch import (
    declared_spec, find_live_id, read_declared_stats, read_hits, read_report, read_series,
)
from reconciler.stats_options import StatsRequest

if TYPE_CHECKING:
    from reconciler.clickmeter.client import ClickMeterClient


async def collect_stats(client: ClickMeterClient, desired: DesiredState, request: StatsRequest,
                        today: date) -> tuple[Tabular, dict[str, Any]]:
    """Read and shape what `request` asks for.

    `--stale` counts days to the service's today (the end of the window it
    answered), so that its clock and day boundaries decide; `today` (the
    caller's clock) stands in only when nothing is live.
    """
    meta: dict[str, Any] = {"mode": request.mode, "timeframe": request.timeframe.describe()}
    if request.mode in ("hits", "report"):
        spec = declared_spec(desired, request.name or "", f"--{request.mode}")
        datapoint_id = await find_live_id(client, spec, f"--{request.mode}")
        meta.update(datapoint=spec.name, id=datapoint_id)
        if request.mode == "hits":
            hits = await read_hits(client, datapoint_id, request.timeframe, request.hit_filter,
                                   request.hits_limit)
            return hits_table(spec.name, hits, request.hit_filter), meta
        assert request.report_type is not None
        items = await read_report(client, spec, datapoint_id, request.report_type, request.timeframe)
        return report_table(spec.name, request.report_type, items), {**meta, "type": request.report_type}
    specs = declared_in_scope(desired, request.group)
    meta["group"] = request.group
    if request.mode == "series":
        assert request.grouping is not None
        periods, live = await read_series(client, specs, request.timeframe, request.grouping)
        return series_table(periods, request.grouping, request.timeframe.describe(), live), {
            **meta, "by": request.grouping}
    rows, service_today = await read_declared_stats(client, specs, request.timeframe)
    report: StatsReport = build_report(rows, request.sort)
    if request.mode == "stale":
        assert request.stale_days is not None
        today = service_today or today
        stale = stale_rows(report.rows, request.stale_days, today)
        return stale_table(stale, request.stale_days, report.missing), {
            **meta, "days": request.stale_days, "today": today.isoformat()}
    return summary_table(report.rows, report.totals, request.timeframe.describe()), meta
