"""Statistics for the datapoints the manifests declare.

The manifests say which datapoints matter; the account says how they perform.
Everything here is shaped from a handful of bulk answers: the summary endpoint
pages through every live datapoint *with* its figures and its data, so one
pass both matches declared names to live ids and gives their statistics.
Options live in `reconciler.stats.options`, fetching in `reconciler.stats.fetch`;
this module is pure so that its rules (matching, totals, sorting, staleness,
series) are easy to test.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from reconciler.apishapes import DATE_FORMAT
from reconciler.clickmeter import wire
from reconciler.errors import ReconcilerError, did_you_mean
from reconciler.model import LINK, PIXEL, DatapointSpec, DesiredState
from reconciler.plan.matching import live_candidates


class StatsError(ReconcilerError):
    """A bad option combination or an answer the statistics cannot use."""


def parse_stamp(text: str | None) -> datetime | None:
    """A YmdHis date from an answer; empty means "never"."""
    if not text:
        return None
    try:
        return datetime.strptime(text, DATE_FORMAT)
    except ValueError:
        raise StatsError(f"the API answered an unreadable date {text!r}") from None


# ------------------------------------------------------------------ figures


@dataclass(frozen=True, slots=True)
class Figures:
    """What a datapoint did: clicks are views for a pixel."""

    clicks: int = 0
    uniques: int = 0
    conversions: int = 0
    value: float = 0.0

    @classmethod
    def from_result(cls, result: Mapping[str, Any], kind: str) -> Figures:
        """Read an `AggregatedResult`, taking views instead of clicks for a pixel."""
        views = kind == PIXEL
        return cls(
            clicks=int(result.get("totalViews" if views else "totalClicks") or 0),
            uniques=int(result.get("uniqueViews" if views else "uniqueClicks") or 0),
            conversions=int(result.get("convertedClicks") or 0),
            value=float(result.get("conversionsValue") or 0.0),
        )

    def __add__(self, other: Figures) -> Figures:
        return Figures(self.clicks + other.clicks, self.uniques + other.uniques,
                       self.conversions + other.conversions, round(self.value + other.value, 6))

    def __neg__(self) -> Figures:
        return Figures(-self.clicks, -self.uniques, -self.conversions, -self.value)

    @property
    def active(self) -> bool:
        return bool(self.clicks or self.uniques or self.conversions)


@dataclass(frozen=True, slots=True)
class LiveFigures:
    """One summary row: the live datapoint it is about and its figures."""

    id: int
    name: str
    kind: str
    figures: Figures
    last_hit: datetime | None
    through: date | None = None  # the window's last day, as the service counts days
    status: str = "active"  # a paused link still counts its clicks, but its visitors see a page of its own


def read_summary_row(result: Mapping[str, Any]) -> LiveFigures:
    """Shape one summary `AggregatedResult`; only id, name and type of its data are kept."""
    try:
        data = wire.keyed(wire.summary_datapoint(result))
        kind = wire.datapoint_type(data.get("type"))
        status = wire.datapoint_status(data.get("status"))
    except wire.WireError as error:
        raise StatsError(str(error)) from None
    return LiveFigures(
        id=int(data["id"]),
        name=data["name"],
        kind=kind,
        figures=Figures.from_result(result, kind),
        last_hit=parse_stamp(result.get("lastHitDate")),
        through=_day_of(parse_stamp(result.get("toDay"))),
        status=status,
    )


def _day_of(stamp: datetime | None) -> date | None:
    return stamp.date() if stamp else None


@dataclass(frozen=True, slots=True)
class DatapointStats:
    """A declared datapoint and its figures; `id is None` when it is not live."""

    name: str
    kind: str
    id: int | None
    figures: Figures
    last_hit: datetime | None
    status: str = "active"  # the live one's, as its summary row says

    @property
    def live(self) -> bool:
        return self.id is not None


@dataclass(slots=True)
class StatsReport:
    """The declared datapoints, live ones first in the chosen order, with totals."""

    rows: list[DatapointStats]
    totals: Figures = field(default_factory=Figures)

    @property
    def missing(self) -> list[DatapointStats]:
        return [row for row in self.rows if not row.live]


# ------------------------------------------------------------------ matching


def declared_in_scope(desired: DesiredState, group: str | None) -> list[DatapointSpec]:
    """The declared datapoints, narrowed to one group (the loader applies `default_group`)."""
    specs = list(desired.datapoints.values())
    if group is None:
        return specs
    chosen = [spec for spec in specs if spec.group == group]
    if not chosen and group not in desired.groups:
        known = [*desired.groups, *(spec.group for spec in specs if spec.group)]
        raise StatsError(f"--group {group!r}: no declared datapoint is in that group{did_you_mean(group, known)}")
    return chosen


def kinds_declared(specs: Iterable[DatapointSpec]) -> list[str]:
    """The datapoint kinds worth asking the summary for (`link` before `pixel`)."""
    present = {spec.type for spec in specs}
    return [kind for kind in (LINK, PIXEL) if kind in present]


def match_declared(specs: Iterable[DatapointSpec], live: Iterable[LiveFigures]) -> list[DatapointStats]:
    """Pair each declared datapoint with its live row by the planner's rule (`reconciler.plan.matching`).

    A pinned `id` wins; then the name and type; then a `renamed_from` name (the
    rename is not applied yet, but the link and its statistics are the same).
    A name live twice is ambiguous and named with both ids.
    """
    by_id: dict[int, LiveFigures] = {}
    by_name: dict[tuple[str, str], list[LiveFigures]] = {}
    for row in live:
        by_id[row.id] = row
        by_name.setdefault((row.kind, row.name), []).append(row)
    return [_stats_of(spec, by_id, by_name) for spec in specs]


def _stats_of(spec: DatapointSpec, by_id: Mapping[int, LiveFigures],
              by_name: Mapping[tuple[str, str], list[LiveFigures]]) -> DatapointStats:
    name, rows = live_candidates(spec, by_id, by_name)
    if len(rows) > 1:
        ids = ", ".join(str(row.id) for row in rows)
        raise StatsError(f"datapoint {spec.name!r}: live name {name!r} matches ids {ids}")
    if not rows:
        return DatapointStats(spec.name, spec.type, None, Figures(), None)
    return DatapointStats(spec.name, spec.type, rows[0].id, rows[0].figures, rows[0].last_hit, rows[0].status)


def build_report(rows: list[DatapointStats], sort: str = "clicks") -> StatsReport:
    """Order the rows (live before not-live) and add them up."""
    if sort == "name":
        ordered = sorted(rows, key=lambda row: (not row.live, row.name))
    else:
        ordered = sorted(rows, key=lambda row: (not row.live, -getattr(row.figures, sort), row.name))
    totals = sum((row.figures for row in rows), Figures())
    return StatsReport(ordered, totals)


def stale_rows(rows: Iterable[DatapointStats], days: int, today: date) -> list[DatapointStats]:
    """Live datapoints whose last hit (over all time) is `days` or more days before
    `today`, the longest idle first (never hit, then the oldest last hit)."""
    cutoff = today - timedelta(days=days)
    stale = [row for row in rows if row.live and (row.last_hit is None or row.last_hit.date() <= cutoff)]
    return sorted(stale, key=lambda row: (row.last_hit is not None, row.last_hit or datetime.min, row.name))


# ------------------------------------------------------------------ series


@dataclass(frozen=True, slots=True)
class Period:
    """One step of a time series: its first day and the declared set's figures."""

    start: date
    figures: Figures


def canonical_start(day: date, grouping: str) -> date:
    """The first day of the day, ISO week or month holding `day`.

    A window's first period may be clipped (it starts on the window's first
    day); keying periods by their canonical start lets series whose windows
    start on different days (`beginning` per datapoint) add up.
    """
    if grouping == "week":
        return day - timedelta(days=day.weekday())
    if grouping == "month":
        return day.replace(day=1)
    return day


def label_period(start: date, grouping: str) -> str:
    """`2026-11-27` for a day, `2026-W48` for a week, `2026-11` for a month."""
    if grouping == "week":
        year, week, _ = start.isocalendar()
        return f"{year}-W{week:02d}"
    if grouping == "month":
        return start.strftime("%Y-%m")
    return start.isoformat()


def period_start(result: Mapping[str, Any]) -> date:
    """The first day of an aggregated/list entry (`fromDay`, else `activityDay`)."""
    stamp = parse_stamp(result.get("fromDay") or result.get("activityDay"))
    if stamp is None:
        raise StatsError("an aggregated/list entry has neither fromDay nor activityDay")
    return stamp.date()


@dataclass(frozen=True, slots=True)
class Series:
    """One aggregated/list answer's entries, to be added (`sign` 1) or taken away (-1)."""

    kind: str
    entries: list[Mapping[str, Any]]
    sign: int = 1


def merge_series(series: Iterable[Series], grouping: str) -> list[Period]:
    """Add up several aggregated/list answers period by period."""
    sums: dict[date, Figures] = {}
    for one in series:
        for entry in one.entries:
            start = canonical_start(period_start(entry), grouping)
            figures = Figures.from_result(entry, one.kind)
            sums[start] = sums.get(start, Figures()) + (figures if one.sign > 0 else -figures)
    return [Period(start, sums[start]) for start in sorted(sums)]


# ------------------------------------------------------------------ hits and reports


@dataclass(frozen=True, slots=True)
class HitRow:
    """One event (`Api.Core.Dto.ClickStream.Hit`), reduced to what a person scans."""

    time: datetime | None
    kind: str | None
    unique: bool
    spider: bool
    ip: str | None
    country: str | None
    browser: str | None
    referer: str | None
    conversions: tuple[str, ...] = ()


def _flag(value: Any) -> bool:
    """The hit flags are strings in the spec ("true"/"false"); accept booleans too."""
    return value is True or str(value).lower() in ("true", "1", "yes")


def read_hit(hit: Mapping[str, Any]) -> HitRow:
    return HitRow(
        time=parse_stamp(hit.get("accessTime")),
        kind=hit.get("type"),
        unique=_flag(hit.get("isUnique")),
        spider=_flag(hit.get("isSpider")),
        ip=hit.get("ip"),
        country=(hit.get("location") or {}).get("country"),
        browser=(hit.get("browser") or {}).get("name"),
        referer=hit.get("referer"),
        conversions=tuple(str(conversion.get("name") or conversion.get("id"))
                          for conversion in hit.get("conversions") or []),
    )


@dataclass(frozen=True, slots=True)
class ReportItem:
    """One line of a top report (`Api.Core.Dto.Tops.TopItem`): a key and its figures."""

    key: str
    figures: Figures


def read_report_item(item: Mapping[str, Any], kind: str) -> ReportItem:
    return ReportItem(key=str(item.get("id") or "(unknown)"), figures=Figures.from_result(
        {**item, "convertedClicks": item.get("totalConversions"),
         "conversionsValue": item.get("totalConversionsValue")}, kind))
