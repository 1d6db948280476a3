"""One datapoint's latest events and top reports, against the local server."""

from __future__ import annotations

from datetime import datetime

import pytest

from reconciler.clickmeter.client import ClickMeterClient
from reconciler.model import DesiredState
from reconciler.stats.fetch import declared_spec, find_live_id, read_hits, read_report
from reconciler.stats.options import StatsRequest, Timeframe
from reconciler.stats.results import StatsError
from reconciler.stats.run import collect_stats
from tests.stats.helpers import ANNA, BEN, CRAWLER

pytestmark = pytest.mark.anyio
LAST7 = Timeframe("last7")


async def test_hits_come_newest_first_across_lastkey_pages(
        scenario_ids: dict[str, int], stats_client: ClickMeterClient) -> None:
    hits = await read_hits(stats_client, scenario_ids["spring-sale"], LAST7, None, limit=10, page_size=2)
    assert [(hit.time, hit.ip, hit.unique, hit.spider) for hit in hits] == [
        (datetime(2026, 11, 27, 13), CRAWLER.ip, True, True),
        (datetime(2026, 11, 27, 12), BEN.ip, True, False),
        (datetime(2026, 11, 27, 11), ANNA.ip, False, False),
        (datetime(2026, 11, 27, 10), ANNA.ip, True, False),
        (datetime(2026, 11, 26, 9), ANNA.ip, True, False),
    ]
    assert hits[1].conversions == ("signup",) and hits[1].country == "DE"
    assert stats_client.calls["datapoint_hits"] == 3  # 2 + 2 + 1: the last page has no lastKey


async def test_limit_stops_paging_early(scenario_ids: dict[str, int], stats_client: ClickMeterClient) -> None:
    hits = await read_hits(stats_client, scenario_ids["spring-sale"], LAST7, None, limit=3, page_size=2)
    assert [hit.time.hour for hit in hits if hit.time] == [13, 12, 11]
    assert stats_client.calls["datapoint_hits"] == 2


@pytest.mark.parametrize(("hit_filter", "hours"), [
    ("uniques", [12, 10, 9]), ("nonuniques", [11]), ("spiders", [13]), ("conversions", [12]),
])
async def test_each_filter_keeps_its_events(scenario_ids: dict[str, int], stats_client: ClickMeterClient,
                                            hit_filter: str, hours: list[int]) -> None:
    hits = await read_hits(stats_client, scenario_ids["spring-sale"], LAST7, hit_filter, limit=50)
    assert [hit.time.hour for hit in hits if hit.time] == hours


async def test_a_datapoint_is_found_with_one_narrowed_summary_page(
        scenario_ids: dict[str, int], stats_client: ClickMeterClient, desired: DesiredState) -> None:
    spec = declared_spec(desired, "spring-sale", "--hits")
    assert await find_live_id(stats_client, spec, "--hits") == scenario_ids["spring-sale"]
    assert dict(stats_client.calls) == {"summary_datapoints_page": 1}


async def test_a_datapoint_not_declared_or_not_live_is_one_line(
        scenario_ids: dict[str, int], stats_client: ClickMeterClient, desired: DesiredState) -> None:
    with pytest.raises(StatsError, match="--hits 'stray': no datapoint of that name is declared"):
        declared_spec(desired, "stray", "--hits")
    with pytest.raises(StatsError, match="--report 'gone': declared but not live"):
        await find_live_id(stats_client, declared_spec(desired, "gone", "--report"), "--report")


@pytest.mark.parametrize(("report_type", "expected"), [
    # the crawler's hit counts as a spider only: its row has no clicks
    ("browsers", [("Firefox", 3, 2, 0, 0.0), ("Chrome", 1, 1, 1, 12.5), ("Other", 0, 0, 0, 0.0)]),
    ("countries", [("GB", 3, 2, 0, 0.0), ("DE", 1, 1, 1, 12.5), ("US", 0, 0, 0, 0.0)]),
])
async def test_reports_count_the_windows_hits_by_trait(
        scenario_ids: dict[str, int], stats_client: ClickMeterClient, desired: DesiredState,
        report_type: str, expected: list[tuple]) -> None:
    spec = declared_spec(desired, "spring-sale", "--report")
    items = await read_report(stats_client, spec, scenario_ids["spring-sale"], report_type, LAST7)
    assert [(item.key, item.figures.clicks, item.figures.uniques, item.figures.conversions,
             item.figures.value) for item in items] == expected


async def test_a_pixel_report_counts_views(
        scenario_ids: dict[str, int], stats_client: ClickMeterClient, desired: DesiredState) -> None:
    request = StatsRequest(mode="report", timeframe=LAST7, name="newsletter-open", report_type="browsers")
    data, meta = await collect_stats(stats_client, desired, request, datetime(2026, 11, 27).date())
    assert [(row["key"], row["clicks"]) for row in data.rows] == [("Chrome", 1), ("Firefox", 1)]
    assert data.totals == {"key": "total", "clicks": 2, "uniques": 2, "conversions": 0, "value": 0.0}
    assert meta == {"mode": "report", "timeframe": "last7", "datapoint": "newsletter-open",
                    "id": scenario_ids["newsletter-open"], "type": "browsers"}


async def test_a_datapoint_without_traffic_has_no_events_and_an_empty_report(
        scenario_ids: dict[str, int], stats_client: ClickMeterClient, desired: DesiredState) -> None:
    assert await read_hits(stats_client, scenario_ids["idle"], LAST7, None, limit=50) == []
    spec = declared_spec(desired, "idle", "--report")
    assert await read_report(stats_client, spec, scenario_ids["idle"], "referrers", LAST7) == []
