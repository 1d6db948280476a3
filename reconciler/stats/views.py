"""Each `stats` mode's result as a `Tabular` (see `reconciler.stats.table`)."""

from __future__ import annotations

from collections.abc import Iterable

from reconciler.stats.results import DatapointStats, Figures, HitRow, Period, ReportItem, label_period
from reconciler.stats.table import Column, Tabular

FIGURE_COLUMNS = (
    Column("clicks", "clicks/views", numeric=True),
    Column("uniques", "uniques", numeric=True),
    Column("conversions", "conversions", numeric=True),
    Column("value", "value", numeric=True),
)


def figure_cells(figures: Figures) -> dict[str, int | float]:
    return {"clicks": figures.clicks, "uniques": figures.uniques,
            "conversions": figures.conversions, "value": figures.value}


def datapoint_cells(row: DatapointStats) -> dict[str, object]:
    """A declared datapoint's row; one that is not live has no figures, not zeros."""
    figures = figure_cells(row.figures) if row.live else {}
    return {"name": row.name, "type": row.kind, "id": row.id,
            "status": live_status(row), **figures, "last_hit": row.last_hit}


def live_status(row: DatapointStats) -> str:
    """`live`, `paused` (or another status the service gives), or `not live`."""
    if not row.live:
        return "not live"
    return "live" if row.status == "active" else row.status


def summary_table(rows: list[DatapointStats], totals: Figures, timeframe: str) -> Tabular:
    """One row per declared datapoint, then the totals; not-live ones say so."""
    missing = sum(1 for row in rows if not row.live)
    return Tabular(
        title=f"statistics, timeframe {timeframe}: {len(rows)} declared datapoint(s)",
        columns=(Column("name", "name"), Column("type", "type"), Column("id", "id", numeric=True),
                 Column("status", "status"), *FIGURE_COLUMNS, Column("last_hit", "last hit")),
        rows=[datapoint_cells(row) for row in rows],
        totals={"name": "total", **figure_cells(totals)},
        bar="clicks",
        notes=[f"{missing} declared datapoint(s) not live"] if missing else [],
    )


def stale_table(rows: list[DatapointStats], days: int, missing: Iterable[DatapointStats]) -> Tabular:
    """Live declared datapoints with no hit for `days` days: candidates for removal."""
    absent = [row.name for row in missing]
    return Tabular(
        title=f"declared datapoints with no clicks or views for {days} day(s): {len(rows)}",
        columns=(Column("name", "name"), Column("type", "type"), Column("id", "id", numeric=True),
                 Column("last_hit", "last hit")),
        rows=[{"name": row.name, "type": row.kind, "id": row.id, "last_hit": row.last_hit}
              for row in rows],
        notes=[f"not live (declared only): {', '.join(absent)}"] if absent else [],
    )


def series_table(periods: list[Period], grouping: str, timeframe: str, datapoints: int) -> Tabular:
    """One row per period, the declared set's figures added up, then the totals."""
    totals = sum((period.figures for period in periods), Figures())
    return Tabular(
        title=f"statistics by {grouping}, timeframe {timeframe}: {datapoints} live declared datapoint(s)",
        columns=(Column("period", grouping), *FIGURE_COLUMNS),
        rows=[{"period": label_period(period.start, grouping),
               **figure_cells(period.figures)} for period in periods],
        totals={"period": "total", **figure_cells(totals)},
        bar="clicks",
    )


def hits_table(name: str, hits: list[HitRow], filter_name: str | None) -> Tabular:
    """The latest events of one datapoint, newest first."""
    shown = f" ({filter_name})" if filter_name else ""
    return Tabular(
        title=f"latest events of {name}{shown}: {len(hits)}",
        columns=(Column("time", "time"), Column("type", "type"), Column("unique", "unique"),
                 Column("spider", "spider"), Column("ip", "ip"), Column("country", "country"),
                 Column("browser", "browser"), Column("referer", "referrer"),
                 Column("conversions", "conversions")),
        rows=[{"time": hit.time, "type": hit.kind, "unique": hit.unique, "spider": hit.spider,
               "ip": hit.ip, "country": hit.country, "browser": hit.browser,
               "referer": hit.referer, "conversions": ", ".join(hit.conversions) or None}
              for hit in hits],
    )


def report_table(name: str, report_type: str, items: list[ReportItem]) -> Tabular:
    """A top report of one datapoint: one row per browser, country, referrer..."""
    totals = sum((item.figures for item in items), Figures())
    return Tabular(
        title=f"{report_type} of {name}: {len(items)} entr{'y' if len(items) == 1 else 'ies'}",
        columns=(Column("key", report_type), *FIGURE_COLUMNS),
        rows=[{"key": item.key, **figure_cells(item.figures)} for item in items],
        totals={"key": "total", **figure_cells(totals)},
        bar="clicks",
    )
