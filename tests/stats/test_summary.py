"""The summary against the local server: exact figures per timeframe, from recorded hits."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from reconciler.apishapes import MAX_BATCH, MAX_LIMIT
from reconciler.clickmeter.client import ClickMeterClient
from reconciler.model import DatapointSpec, DesiredState
from reconciler.stats.fetch import read_declared_stats
from reconciler.stats.options import Timeframe
from reconciler.stats.results import Figures, build_report, declared_in_scope

pytestmark = pytest.mark.anyio


async def figures_by_name(client: ClickMeterClient, desired: DesiredState,
                          timeframe: Timeframe) -> dict[str, tuple[int, int, int, float] | None]:
    rows, _ = await read_declared_stats(client, declared_in_scope(desired, None), timeframe)
    return {row.name: (astuple(row.figures) if row.live else None) for row in rows}


def astuple(figures: Figures) -> tuple[int, int, int, float]:
    return (figures.clicks, figures.uniques, figures.conversions, figures.value)


NOTHING = (0, 0, 0, 0.0)


@pytest.mark.parametrize(("timeframe", "spring", "old", "pixel"), [
    (Timeframe("today"), (3, 2, 1, 12.5), NOTHING, NOTHING),
    (Timeframe("yesterday"), (1, 1, 0, 0.0), NOTHING, NOTHING),
    (Timeframe("last7"), (4, 3, 1, 12.5), NOTHING, (2, 2, 0, 0.0)),
    (Timeframe("last30"), (5, 4, 1, 12.5), NOTHING, (2, 2, 0, 0.0)),
    (Timeframe("last90"), (6, 5, 1, 12.5), (1, 1, 0, 0.0), (2, 2, 0, 0.0)),
    (Timeframe("custom", date(2026, 10, 1), date(2026, 10, 31)), (1, 1, 0, 0.0), NOTHING, NOTHING),
    (Timeframe("custom", date(2026, 9, 1), date(2026, 9, 1)), NOTHING, (1, 1, 0, 0.0), NOTHING),
])
async def test_each_timeframe_counts_exactly_its_hits(
        scenario_ids: dict[str, int], stats_client: ClickMeterClient, desired: DesiredState,
        timeframe: Timeframe, spring: tuple, old: tuple, pixel: tuple) -> None:
    assert await figures_by_name(stats_client, desired, timeframe) == {
        "spring-sale": spring, "idle": NOTHING, "old-promo": old, "gone": None,
        "newsletter-open": pixel}


async def test_one_summary_page_per_declared_type_gives_every_figure(
        scenario_ids: dict[str, int], stats_client: ClickMeterClient, desired: DesiredState) -> None:
    rows, through = await read_declared_stats(stats_client, declared_in_scope(desired, None),
                                              Timeframe("last7"))
    report = build_report(rows, "clicks")
    assert [(row.name, row.id) for row in report.rows] == [
        ("spring-sale", scenario_ids["spring-sale"]), ("newsletter-open", scenario_ids["newsletter-open"]),
        ("idle", scenario_ids["idle"]), ("old-promo", scenario_ids["old-promo"]), ("gone", None)]
    assert report.rows[0].last_hit == datetime(2026, 11, 27, 12, 0)  # the spider at 13:00 is no hit
    assert report.totals == Figures(clicks=6, uniques=5, conversions=1, value=12.5)
    assert through == date(2026, 11, 27)
    assert dict(stats_client.calls) == {"summary_datapoints_page": 2}  # links, then pixels


async def test_a_group_narrows_to_its_declared_datapoints(
        scenario_ids: dict[str, int], stats_client: ClickMeterClient, desired: DesiredState) -> None:
    rows, _ = await read_declared_stats(stats_client, declared_in_scope(desired, "spring"),
                                        Timeframe("last30"))
    assert [(row.name, row.figures.clicks) for row in build_report(rows, "name").rows] == [
        ("idle", 0), ("spring-sale", 5)]
    assert dict(stats_client.calls) == {"summary_datapoints_page": 1}  # no pixel in the group


async def test_an_empty_account_lists_every_declared_datapoint_as_not_live(
        api_key: str, stats_client: ClickMeterClient, desired: DesiredState) -> None:
    rows, through = await read_declared_stats(stats_client, declared_in_scope(desired, None),
                                              Timeframe("last30"))
    report = build_report(rows)
    assert [row.live for row in report.rows] == [False] * 5
    assert report.totals == Figures() and through is None


async def test_the_summary_pages_through_every_live_datapoint(
        api_key: str, stats_client: ClickMeterClient) -> None:
    names = [f"bulk-{index:03d}" for index in range(MAX_LIMIT + 30)]
    for start in range(0, len(names), MAX_BATCH):
        await stats_client.create_datapoints_batch([
            {"type": 0, "name": name, "typeTL": {"url": f"https://shop.example.com/{name}"}}
            for name in names[start:start + MAX_BATCH]])
    specs = [DatapointSpec(name) for name in [*names, "bulk-missing"]]
    stats_client.calls.clear()
    rows, _ = await read_declared_stats(stats_client, specs, Timeframe("last7"))
    assert sum(row.live for row in rows) == len(names) and not rows[-1].live
    assert len({row.id for row in rows if row.live}) == len(names)
    assert dict(stats_client.calls) == {"summary_datapoints_page": 2}


async def test_a_deleted_datapoint_is_declared_but_not_live(
        scenario_ids: dict[str, int], stats_client: ClickMeterClient, desired: DesiredState) -> None:
    await stats_client.delete_datapoint(scenario_ids["old-promo"])
    figures = await figures_by_name(stats_client, desired, Timeframe("last90"))
    assert figures["old-promo"] is None
    assert figures["spring-sale"] == (6, 5, 1, 12.5)
