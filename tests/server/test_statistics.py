"""Aggregated statistics from hits recorded at known times: every timeframe, days/weeks/months, hours."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from reconciler.apishapes import AUTH_HEADER, TIMEFRAMES
from reconciler.server.db import register_account
from tests.server.helpers import SettableClock, clocked_client, created_id, link_body, pixel_body, visit_at
from tests.server.openapi_check import checked, failing_properties, failures_of

pytestmark = pytest.mark.anyio

NOW = "20260315120000"  # a Sunday
# One visitor's clicks; two on the 15th, so today has 2 clicks and 1 unique.
CLICK_TIMES = ("20250315090000", "20250316090000", "20251231090000", "20260214090000",
               "20260220090000", "20260301090000", "20260309090000", "20260314090000",
               "20260315080000", "20260315100000")
CLICKS_PER_TIMEFRAME = {
    "today": 2, "yesterday": 1, "last7": 4, "last30": 7, "lastmonth": 6, "currentmonth": 5,
    "previousmonth": 2, "last90": 8, "last120": 8, "last180": 8, "last12months": 9,
    "lastyear": 3, "currentyear": 7, "beginning": 10,
}
WINDOWS = {"today": ("20260315", "20260315"), "lastmonth": ("20260216", "20260315"),
           "previousmonth": ("20260201", "20260228"), "last12months": ("20250316", "20260315"),
           "beginning": ("20250315", "20260315")}


@pytest.fixture
async def traffic(db_path: Path, api_key: str) -> AsyncIterator[tuple[httpx.AsyncClient, int]]:
    """A client on a clock at NOW, and a link clicked at CLICK_TIMES."""
    clock = SettableClock(NOW)
    async with clocked_client(db_path, api_key, clock) as client:
        link = await created_id(client, "/datapoints", link_body("spring"))
        for stamp in CLICK_TIMES:
            assert (await visit_at(client, clock, stamp, "/go.clickmeter.test/spring")).status_code == 307
        clock.at(NOW)
        yield client, link


async def aggregated(client: httpx.AsyncClient, link: int, **params: Any) -> dict[str, Any]:
    response = await client.get(f"/datapoints/{link}/aggregated", params=params)
    return checked(response, "GET", "/datapoints/{id}/aggregated")


async def listed(client: httpx.AsyncClient, link: int, **params: Any) -> list[dict[str, Any]]:
    response = await client.get(f"/datapoints/{link}/aggregated/list", params=params)
    return checked(response, "GET", "/datapoints/{id}/aggregated/list")["entities"]


def test_every_timeframe_is_covered() -> None:
    assert set(CLICKS_PER_TIMEFRAME) | {"custom"} == set(TIMEFRAMES)


@pytest.mark.parametrize(("timeframe", "clicks"), sorted(CLICKS_PER_TIMEFRAME.items()))
async def test_clicks_per_timeframe(traffic: tuple[httpx.AsyncClient, int], timeframe: str,
                                    clicks: int) -> None:
    client, link = traffic

    answer = await aggregated(client, link, timeFrame=timeframe)

    assert answer["totalClicks"] == clicks
    assert answer["entityId"] == str(link)
    if timeframe in WINDOWS:
        first, last = WINDOWS[timeframe]
        assert (answer["fromDay"], answer["toDay"]) == (f"{first}000000", f"{last}235959")


async def test_custom_window_and_uniques(traffic: tuple[httpx.AsyncClient, int]) -> None:
    client, link = traffic

    custom = await aggregated(client, link, timeFrame="custom", fromDay="20250315", toDay="20250316")
    today = await aggregated(client, link, timeFrame="TODAY")

    assert (custom["totalClicks"], custom["uniqueClicks"]) == (2, 2)
    assert (custom["fromDay"], custom["toDay"]) == ("20250315000000", "20250316235959")
    assert (today["totalClicks"], today["uniqueClicks"], today["lastHitDate"]) == \
        (2, 1, "20260315100000")


async def test_days_of_last7_include_the_empty_ones(traffic: tuple[httpx.AsyncClient, int]) -> None:
    client, link = traffic

    days = await listed(client, link, timeFrame="last7")

    assert [day["activityDay"] for day in days] == [f"202603{d:02d}000000" for d in range(9, 16)]
    assert [day["totalClicks"] for day in days] == [1, 0, 0, 0, 0, 1, 2]
    assert {day["entityId"] for day in days} == {str(link)}


async def test_weeks_run_monday_to_sunday_clipped_to_the_window(
        traffic: tuple[httpx.AsyncClient, int]) -> None:
    client, link = traffic

    weeks = await listed(client, link, timeFrame="last30", groupBy="week")

    assert [(w["fromDay"][:8], w["toDay"][:8], w["totalClicks"]) for w in weeks] == [
        ("20260214", "20260215", 1), ("20260216", "20260222", 1), ("20260223", "20260301", 1),
        ("20260302", "20260308", 0), ("20260309", "20260315", 4)]


async def test_months_of_the_last_twelve(traffic: tuple[httpx.AsyncClient, int]) -> None:
    client, link = traffic

    months = await listed(client, link, timeFrame="last12months", groupBy="month")

    assert [m["activityDay"][:8] for m in months][:2] == ["20250316", "20250401"]
    assert len(months) == 13
    assert {m["activityDay"][:6]: m["totalClicks"] for m in months if m["totalClicks"]} == \
        {"202503": 1, "202512": 1, "202602": 2, "202603": 5}


async def test_beginning_lists_from_the_first_hit(traffic: tuple[httpx.AsyncClient, int]) -> None:
    client, link = traffic

    months = await listed(client, link, timeFrame="beginning", groupBy="month")

    assert months[0]["activityDay"] == "20250315000000"
    assert sum(m["totalClicks"] for m in months) == len(CLICK_TIMES)


async def test_hourly_breakdown_of_today(traffic: tuple[httpx.AsyncClient, int]) -> None:
    client, link = traffic

    answer = await aggregated(client, link, timeFrame="today", hourly="true")

    hours = answer["hourlyBreakDown"]
    assert sorted(hours) == [f"{hour:02d}" for hour in range(24)]
    assert {hour: h["totalClicks"] for hour, h in hours.items() if h["totalClicks"]} == \
        {"08": 1, "10": 1}
    assert hours["10"]["activityDay"] == "20260315100000"


async def test_bad_statistics_parameters_are_400s_naming_them(
        traffic: tuple[httpx.AsyncClient, int]) -> None:
    client, link = traffic
    path = f"/datapoints/{link}/aggregated"
    cases = {
        "timeFrame": {},
        "fromDay": {"timeFrame": "custom"},
        "toDay": {"timeFrame": "custom", "fromDay": "20260310", "toDay": "20260301"},
        "hourly": {"timeFrame": "last7", "hourly": "true"},
    }
    for name, params in cases.items():
        assert failing_properties(await client.get(path, params=params)) == {name}, name
    assert failing_properties(await client.get(f"{path}/list", params={
        "timeFrame": "last7", "groupBy": "year"})) == {"groupBy"}
    assert failing_properties(await client.get(path, params={"timeFrame": "someday"})) == {"timeFrame"}


async def test_another_accounts_datapoint_is_404(traffic: tuple[httpx.AsyncClient, int],
                                                 db_path: Path) -> None:
    client, link = traffic
    register_account(db_path, "other-key")

    for path in (f"/datapoints/{link}/aggregated", f"/datapoints/{link}/aggregated/list"):
        answer = await client.get(path, params={"timeFrame": "today"},
                                  headers={AUTH_HEADER: "other-key"})
        failures_of(answer, 404)


async def test_account_statistics_filter_datapoints(db_path: Path, api_key: str) -> None:
    clock = SettableClock(NOW)
    async with clocked_client(db_path, api_key, clock) as client:
        await created_id(client, "/datapoints", link_body("plain"))
        await created_id(client, "/datapoints", link_body("starred", preferred=True,
                                                          tags=[{"name": "vip"}]))
        pixel = await created_id(client, "/datapoints", pixel_body("opens"))
        for path in ("/go.clickmeter.test/plain", "/go.clickmeter.test/starred",
                     "/go.clickmeter.test/starred", f"/pixel/{pixel}"):
            await visit_at(client, clock, NOW, path)

        async def clicks_and_views(**params: Any) -> tuple[int, int]:
            answer = checked(await client.get("/datapoints/aggregated", params={
                "timeFrame": "today", **params}), "GET", "/datapoints/aggregated")
            return answer["totalClicks"], answer["totalViews"]

        assert await clicks_and_views() == (3, 1)
        assert await clicks_and_views(type="tl") == (3, 0)
        assert await clicks_and_views(type="tp") == (0, 1)
        assert await clicks_and_views(favourite="true") == (2, 0)
        assert await clicks_and_views(tag="vip") == (2, 0)
        assert await clicks_and_views(status="paused") == (0, 0)
        days = checked(await client.get("/datapoints/aggregated/list", params={
            "timeFrame": "last7", "type": "tl"}), "GET", "/datapoints/aggregated/list")["entities"]
        assert [day["totalClicks"] for day in days] == [0, 0, 0, 0, 0, 0, 3]


async def test_group_statistics_cover_its_datapoints_only(db_path: Path, api_key: str) -> None:
    clock = SettableClock(NOW)
    async with clocked_client(db_path, api_key, clock) as client:
        group = await created_id(client, "/groups", {"name": "spring"})
        await created_id(client, "/datapoints", link_body("inside", groupId=group))
        await created_id(client, "/datapoints", link_body("outside"))
        for path in ("/go.clickmeter.test/inside", "/go.clickmeter.test/inside",
                     "/go.clickmeter.test/outside"):
            await visit_at(client, clock, NOW, path)

        total = checked(await client.get(f"/groups/{group}/aggregated", params={"timeFrame": "today"}),
                        "GET", "/groups/{id}/aggregated")
        days = checked(await client.get(f"/groups/{group}/aggregated/list", params={
            "timeFrame": "last7"}), "GET", "/groups/{id}/aggregated/list")["entities"]
        missing = await client.get("/groups/999/aggregated", params={"timeFrame": "today"})

    assert (total["entityId"], total["totalClicks"], total["uniqueClicks"]) == (str(group), 2, 1)
    assert [day["totalClicks"] for day in days] == [0, 0, 0, 0, 0, 0, 2]
    failures_of(missing, 404)


async def test_a_datapoint_without_traffic_has_zeros_and_no_last_hit(db_path: Path, api_key: str) -> None:
    async with clocked_client(db_path, api_key, SettableClock(NOW)) as client:
        link = await created_id(client, "/datapoints", link_body("quiet"))

        total = await aggregated(client, link, timeFrame="beginning")
        days = await listed(client, link, timeFrame="beginning")

    assert (total["fromDay"], total["toDay"]) == ("20260315000000", "20260315235959")
    assert (total["totalClicks"], total["uniqueClicks"], total["conversionsValue"]) == (0, 0, 0.0)
    assert "lastHitDate" not in total
    assert [(day["activityDay"], day["totalClicks"]) for day in days] == [("20260315000000", 0)]
