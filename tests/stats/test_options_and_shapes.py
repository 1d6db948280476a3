"""The pure rules of `stats`: option combinations, matching, staleness, rendering."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from reconciler.model import DatapointSpec
from reconciler.stats.options import parse_request
from reconciler.stats.results import (
    DatapointStats,
    Figures,
    LiveFigures,
    StatsError,
    label_period,
    match_declared,
    stale_rows,
)
from reconciler.stats.table import Column, Tabular, draw_bar, render

NO_OPTIONS = dict(timeframe=None, from_day=None, to_day=None, output_format="table", group=None,
                  sort=None, by=None, stale=None, hits=None, hit_filter=None, limit=None,
                  report=None, report_type=None)


def request(**options: object):
    return parse_request(**{**NO_OPTIONS, **options})


@pytest.mark.parametrize(("options", "message"), [
    ({"timeframe": "custom"}, "--timeframe custom needs both --from YYYYMMDD and --to YYYYMMDD"),
    ({"timeframe": "custom", "from_day": "20260101"},
     "--timeframe custom needs both --from YYYYMMDD and --to YYYYMMDD"),
    ({"timeframe": "custom", "from_day": "2026/01/01", "to_day": "20260102"},
     "--from '2026/01/01': expected a day as YYYYMMDD or YYYY-MM-DD"),
    ({"timeframe": "custom", "from_day": "2026-1-1", "to_day": "20260102"},
     "--from '2026-1-1': expected a day as YYYYMMDD or YYYY-MM-DD"),
    ({"timeframe": "custom", "from_day": "20260231", "to_day": "20260302"}, "--from '20260231'"),
    ({"timeframe": "custom", "from_day": "20260105", "to_day": "20260102"},
     "--from 20260105 is after --to 20260102"),
    ({"from_day": "20260101", "to_day": "20260102"}, "--from and --to need --timeframe custom"),
    ({"timeframe": "fortnight"}, "--timeframe 'fortnight': expected one of today, yesterday"),
    ({"by": "year"}, "--by 'year': expected one of day, week, month"),
    ({"by": "day", "stale": "30"}, "--by and --stale cannot be combined"),
    ({"hits": "a", "report": "a", "report_type": "browsers"}, "--hits and --report cannot be combined"),
    ({"report": "a"}, "--report needs --type"),
    ({"report": "a", "report_type": "shoes"}, "--type 'shoes': expected one of browsers"),
    ({"hit_filter": "uniques"}, "--filter does not apply to the summary"),
    ({"by": "week", "sort": "name"}, "--sort does not apply to --by"),
    ({"stale": "30", "sort": "name"}, "--sort does not apply to --stale"),
    ({"hits": "a", "group": "g"}, "--group does not apply to --hits"),
    ({"stale": "30", "timeframe": "last7"}, "--stale looks at all time"),
    ({"stale": "0"}, "--stale '0': expected a whole number, 1 or more"),
    ({"stale": "a month"}, "--stale 'a month': expected a whole number"),
    ({"hits": "a", "timeframe": "today"}, "--hits --timeframe 'today': the hits endpoint takes"),
    ({"hits": "a", "limit": "-5"}, "--limit '-5': expected a whole number, 1 or more"),
    ({"output_format": "xml"}, "--format 'xml': expected one of table, csv, json"),
])
def test_bad_option_combinations_are_one_line(options: dict, message: str) -> None:
    with pytest.raises(StatsError) as raised:
        request(**options)
    assert str(raised.value).startswith(message)
    assert "\n" not in str(raised.value)


def test_a_custom_timeframe_carries_both_days() -> None:
    chosen = request(timeframe="CUSTOM", from_day="20261101", to_day="20261130", by="Week")
    assert (chosen.mode, chosen.grouping) == ("series", "week")
    assert chosen.timeframe.days() == {"fromDay": "20261101", "toDay": "20261130"}
    assert chosen.timeframe.describe() == "2026-11-01..2026-11-30"
    assert request().timeframe.days() == {}
    assert request().timeframe.name == "last30"
    iso = request(timeframe="custom", from_day="2026-11-01", to_day="2026-11-30")  # as the CSV prints days
    assert iso.timeframe.days() == {"fromDay": "20261101", "toDay": "20261130"}


def live(id: int, name: str, kind: str = "link", clicks: int = 0) -> LiveFigures:
    return LiveFigures(id, name, kind, Figures(clicks=clicks), None)


def test_matching_prefers_a_pinned_id_then_the_name_then_a_former_name() -> None:
    specs = [DatapointSpec("pinned", id=7), DatapointSpec("plain"),
             DatapointSpec("renamed", renamed_from=("old",)), DatapointSpec("plain", type="pixel"),
             DatapointSpec("absent")]
    rows = match_declared(specs, [live(7, "other-name", clicks=1), live(8, "plain", clicks=2),
                                  live(9, "old", clicks=3), live(10, "plain", "pixel", 4)])
    assert [(row.name, row.kind, row.id, row.figures.clicks) for row in rows] == [
        ("pinned", "link", 7, 1), ("plain", "link", 8, 2), ("renamed", "link", 9, 3),
        ("plain", "pixel", 10, 4), ("absent", "link", None, 0)]


def test_a_name_live_twice_is_ambiguous_and_names_both_ids() -> None:
    with pytest.raises(StatsError, match="live name 'twice' matches ids 3, 4"):
        match_declared([DatapointSpec("twice")], [live(3, "twice"), live(4, "twice")])


def test_stale_counts_whole_days_from_the_last_hit() -> None:
    def row(name: str, last_hit: datetime | None, id: int | None = 1) -> DatapointStats:
        return DatapointStats(name, "link", id, Figures(), last_hit)

    rows = [row("exactly-30", datetime(2026, 10, 28, 23, 59)), row("29", datetime(2026, 10, 29, 0, 0)),
            row("never", None), row("not-live", None, id=None)]
    assert [r.name for r in stale_rows(rows, 30, date(2026, 11, 27))] == ["never", "exactly-30"]


def test_periods_are_labelled_by_day_iso_week_and_month() -> None:
    start = date(2026, 11, 23)
    assert [label_period(start, grouping) for grouping in ("day", "week", "month")] == [
        "2026-11-23", "2026-W48", "2026-11"]


def test_the_three_formats_agree_and_bars_appear_only_when_asked() -> None:
    data = Tabular("title", (Column("name", "name"), Column("clicks", "clicks", numeric=True)),
                   rows=[{"name": "a", "clicks": 1200}, {"name": "b", "clicks": 300}],
                   totals={"name": "total", "clicks": 1500}, bar="clicks")
    assert render(data, "table", {}) == (
        "title\nname   clicks\na       1,200\nb         300\n-------------\ntotal   1,500\n")
    assert render(data, "table", {}, bars=True).splitlines()[2].endswith("█" * 24)
    assert render(data, "csv", {}) == "name,clicks\na,1200\nb,300\ntotal,1500\n"
    assert '"totals": {\n    "name": "total",\n    "clicks": 1500' in render(data, "json", {})
    assert draw_bar(1, 8 * 24) == "▏" and draw_bar(0, 10) == ""
