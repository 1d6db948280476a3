"""The reports' overview read from the scenario account: its figures and its calls."""

from __future__ import annotations

from datetime import date

import pytest

from reconciler.clickmeter.client import ClickMeterClient
from reconciler.model import DesiredState
from reconciler.stats.options import StatsRequest, parse_request
from reconciler.stats.overview import Overview, collect_overview
from reconciler.stats.results import Figures, StatsError, label_period

pytestmark = pytest.mark.anyio

NOVEMBER = {"timeframe": "custom", "from_day": "20261101", "to_day": "20261127"}
NO_OPTIONS = dict.fromkeys(("timeframe", "from_day", "to_day", "group", "sort", "by", "stale", "hits",
                            "hit_filter", "limit", "report", "report_type"))


def request(**options: str) -> StatsRequest:
    return parse_request(**{**NO_OPTIONS, "output_format": "html", **options})


def clicks_by_day(overview: Overview, index: int) -> dict[str, int]:
    """The non-zero days of one series line."""
    return {label_period(period.start, "day"): period.figures.clicks
            for period in overview.series[index].periods if period.figures.clicks}


async def test_one_summary_pass_serves_totals_series_groups_and_top_links(
        scenario_ids: dict[str, int], stats_client: ClickMeterClient, desired: DesiredState) -> None:
    overview = await collect_overview(stats_client, desired, request(**NOVEMBER), "target: test",
                                      date(2000, 1, 1))
    assert overview.report.totals == Figures(clicks=7, uniques=6, conversions=1, value=12.5)
    assert [line.label for line in overview.series] == ["all declared datapoints", "spring"]
    assert [len(line.periods) for line in overview.series] == [27, 27]
    assert clicks_by_day(overview, 0) == {"2026-11-20": 1, "2026-11-25": 2, "2026-11-26": 1, "2026-11-27": 3}
    assert clicks_by_day(overview, 1) == {"2026-11-20": 1, "2026-11-26": 1, "2026-11-27": 3}
    assert [row.name for row in overview.top_links] == ["spring-sale"]  # idle and old-promo: no click
    assert [(row.name, row.figures.conversions, row.figures.value) for row in overview.converting] == [
        ("spring-sale", 1, 12.5)]
    # stale counts from the service's today (2026-11-27), not the caller's 2000-01-01
    assert overview.today == date(2026, 11, 27)
    assert [row.name for row in overview.stale] == ["idle", "old-promo"]
    # per type a summary page for the timeframe and one for all time; one list for each of
    # the declared busy datapoints (spring-sale, the pixel), and one for the group's
    assert dict(stats_client.calls) == {"summary_datapoints_page": 4, "datapoint_statistics_list": 3}


async def test_one_group_is_one_line(
        scenario_ids: dict[str, int], stats_client: ClickMeterClient, desired: DesiredState) -> None:
    overview = await collect_overview(stats_client, desired, request(group="spring", by="week", **NOVEMBER),
                                      "target: test", date(2000, 1, 1))
    assert [line.label for line in overview.series] == ["spring"]
    assert [(label_period(period.start, "week"), period.figures.clicks)
            for period in overview.series[0].periods] == [
        ("2026-W44", 0), ("2026-W45", 0), ("2026-W46", 0), ("2026-W47", 1), ("2026-W48", 4)]
    assert overview.report.totals.clicks == 5


@pytest.mark.parametrize(("options", "message"), [
    ({"hits": "spring-sale"}, "--hits does not apply to --format html"),
    ({"sort": "name"}, "--sort does not apply to --format html"),
    ({"stale": "0"}, "--stale '0': expected a whole number, 1 or more"),
    ({"by": "hour"}, "--by 'hour': expected one of day, week, month"),
])
def test_report_options_are_checked(options: dict[str, str], message: str) -> None:
    with pytest.raises(StatsError, match=message):
        request(**options)


def test_report_defaults() -> None:
    chosen = request()
    assert (chosen.mode, chosen.grouping, chosen.stale_days, chosen.timeframe.name) == (
        "overview", "day", 30, "last30")
