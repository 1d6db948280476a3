"""Time series and the stale list against the local server's recorded traffic."""

from __future__ import annotations

from datetime import date
from itertools import combinations

import pytest

from reconciler.clickmeter.client import ClickMeterClient
from reconciler.model import DatapointSpec, DesiredState
from reconciler.stats.fetch import read_declared_stats, read_series
from reconciler.stats.options import StatsRequest, Timeframe
from reconciler.stats.results import Figures, build_report, declared_in_scope, label_period
from reconciler.stats.run import collect_stats
from tests.stats.helpers import LINKS

pytestmark = pytest.mark.anyio

A_LONG_TIME_AGO = date(2000, 1, 1)  # the caller's clock: the service's today must win


async def series(client: ClickMeterClient, specs: list[DatapointSpec], timeframe: Timeframe,
                 grouping: str) -> list[tuple[str, int, int, int, float]]:
    periods, _ = await read_series(client, specs, timeframe, grouping)
    return [(label_period(period.start, grouping), period.figures.clicks, period.figures.uniques,
             period.figures.conversions, period.figures.value) for period in periods]


async def test_days_add_up_the_declared_set_only(
        scenario_ids: dict[str, int], stats_client: ClickMeterClient, desired: DesiredState) -> None:
    specs = declared_in_scope(desired, None)
    assert await series(stats_client, specs, Timeframe("custom", date(2026, 11, 24), date(2026, 11, 27)),
                        "day") == [
        ("2026-11-24", 0, 0, 0, 0.0),  # only the undeclared `stray` was clicked that day
        ("2026-11-25", 2, 2, 0, 0.0),  # the pixel's two views
        ("2026-11-26", 1, 1, 0, 0.0),
        ("2026-11-27", 3, 2, 1, 12.5),
    ]
    # per type, the summary, then one list for the one declared datapoint with traffic
    # (the undeclared `stray` had some too: the account-wide list would need its list as well)
    assert dict(stats_client.calls) == {"summary_datapoints_page": 2, "datapoint_statistics_list": 2}


async def test_weeks_are_iso_weeks_and_months_calendar_months(
        scenario_ids: dict[str, int], stats_client: ClickMeterClient, desired: DesiredState) -> None:
    specs = declared_in_scope(desired, None)
    weeks = await series(stats_client, specs, Timeframe("last30"), "week")
    assert [(label, clicks) for label, clicks, *_ in weeks] == [
        ("2026-W44", 0), ("2026-W45", 0), ("2026-W46", 0), ("2026-W47", 1), ("2026-W48", 6)]
    months = await series(stats_client, specs, Timeframe("last90"), "month")
    assert [(label, clicks) for label, clicks, *_ in months] == [
        ("2026-08", 0), ("2026-09", 1), ("2026-10", 1), ("2026-11", 7)]


async def test_when_every_busy_link_is_declared_one_list_call_covers_them(
        scenario_ids: dict[str, int], stats_client: ClickMeterClient) -> None:
    """`teaser` is undeclared, but idle in the window: the account-wide list is exact."""
    specs = [DatapointSpec(name) for name in ("spring-sale", "idle", "old-promo", "stray")]
    periods, live = await read_series(stats_client, specs, Timeframe("last7"), "week")
    assert [(label_period(p.start, "week"), p.figures.clicks) for p in periods] == [
        ("2026-W47", 0), ("2026-W48", 6)]  # spring-sale 4 and stray 2
    assert live == 4
    assert dict(stats_client.calls) == {"summary_datapoints_page": 1, "datapoints_statistics_list": 1}


async def test_the_account_wide_list_minus_the_busy_undeclared_links_when_cheaper(
        scenario_ids: dict[str, int], stats_client: ClickMeterClient) -> None:
    """Three busy declared links, one busy undeclared (`teaser`, 2026-10-20): 1 + 1 calls, not 3."""
    specs = [DatapointSpec(name) for name in ("spring-sale", "old-promo", "stray")]
    months = await series(stats_client, specs, Timeframe("last90"), "month")
    assert months == [("2026-08", 0, 0, 0, 0.0), ("2026-09", 1, 1, 0, 0.0),
                      ("2026-10", 1, 1, 0, 0.0), ("2026-11", 7, 6, 1, 12.5)]
    assert dict(stats_client.calls) == {"summary_datapoints_page": 1, "datapoints_statistics_list": 1,
                                        "datapoint_statistics_list": 1}


async def test_per_datapoint_series_from_beginning_share_their_periods(
        scenario_ids: dict[str, int], stats_client: ClickMeterClient) -> None:
    """Each datapoint's `beginning` starts at its own first hit; their weeks still add up."""
    specs = [DatapointSpec("spring-sale"), DatapointSpec("old-promo")]
    weeks = await series(stats_client, specs, Timeframe("beginning"), "week")
    assert sum(clicks for _, clicks, *_ in weeks) == 7
    assert len({label for label, *_ in weeks}) == len(weeks)
    assert weeks[0][:2] == ("2026-W36", 1)  # old-promo's 2026-09-01
    assert ("2026-W42", 1) in [week[:2] for week in weeks]  # spring-sale's 2026-10-15


async def test_an_account_without_declared_live_datapoints_has_no_series(
        api_key: str, stats_client: ClickMeterClient, desired: DesiredState) -> None:
    periods, live = await read_series(stats_client, declared_in_scope(desired, None),
                                      Timeframe("last7"), "day")
    assert (periods, live) == ([], 0)


def stale_request(days: int) -> StatsRequest:
    return StatsRequest(mode="stale", timeframe=Timeframe("beginning"), stale_days=days)


@pytest.mark.parametrize(("days", "stale"), [
    (1, ["idle", "newsletter-open", "old-promo"]),  # spring-sale was clicked today
    (2, ["idle", "newsletter-open", "old-promo"]),  # the pixel's last view: 2026-11-25
    (3, ["idle", "old-promo"]),
    (30, ["idle", "old-promo"]),
    (87, ["idle", "old-promo"]),   # 2026-09-01 is 87 days before 2026-11-27
    (88, ["idle"]),
])
async def test_stale_lists_live_declared_datapoints_idle_for_that_long(
        scenario_ids: dict[str, int], stats_client: ClickMeterClient, desired: DesiredState,
        days: int, stale: list[str]) -> None:
    data, meta = await collect_stats(stats_client, desired, stale_request(days), A_LONG_TIME_AGO)
    assert sorted(row["name"] for row in data.rows) == sorted(stale)
    assert meta["today"] == "2026-11-27"
    assert data.notes == ["not live (declared only): gone"]


async def test_nothing_is_stale_in_an_empty_account(
        api_key: str, stats_client: ClickMeterClient, desired: DesiredState) -> None:
    data, meta = await collect_stats(stats_client, desired, stale_request(30), date(2026, 11, 27))
    assert data.rows == []
    assert meta["today"] == "2026-11-27"  # nothing live: the caller's clock stands in
    assert data.notes == ["not live (declared only): gone, idle, newsletter-open, old-promo, spring-sale"]


async def test_every_declared_subset_adds_up_to_its_summary_whichever_way_is_read(
        scenario_ids: dict[str, int], stats_client: ClickMeterClient) -> None:
    """Per-datapoint lists, or the account-wide list minus the undeclared ones: same sums."""
    timeframe = Timeframe("last90")
    for size in range(1, len(LINKS) + 1):
        for names in combinations(LINKS, size):
            specs = [DatapointSpec(name) for name in names]
            periods, live = await read_series(stats_client, specs, timeframe, "week")
            rows, _ = await read_declared_stats(stats_client, specs, timeframe)
            assert sum((period.figures for period in periods), Figures()) == build_report(rows).totals, names
            assert live == len(names)
