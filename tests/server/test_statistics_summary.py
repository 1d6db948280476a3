"""The datapoints and groups summaries: paging, entityData as recorded, sorting, filters."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from reconciler.apishapes import AUTH_HEADER
from reconciler.server.db import register_account
from tests.server.helpers import SettableClock, clocked_client, created_id, datapoint, link_body, pixel_body, visit
from tests.server.openapi_check import checked, failing_properties, failures_of

pytestmark = pytest.mark.anyio
SUMMARY = "/aggregated/summary/datapoints"


async def summary(client: httpx.AsyncClient, path: str = SUMMARY, **params: Any) -> dict[str, Any]:
    response = await client.get(path, params={"timeFrame": "last30", **params})
    return checked(response, "GET", SUMMARY if path == SUMMARY else "/groups/{id}/aggregated/summary")


@pytest.fixture
async def client(db_path: Path, api_key: str) -> AsyncIterator[httpx.AsyncClient]:
    async with clocked_client(db_path, api_key, SettableClock("20260315120000")) as client:
        yield client


async def test_pages_cover_every_datapoint_once_with_its_full_body(client: httpx.AsyncClient) -> None:
    group = await created_id(client, "/groups", {"name": "spring"})
    signup = await created_id(client, "/conversions", {"name": "signup", "value": 3})
    ids = [await created_id(client, "/datapoints", link_body(
        f"link-{n:02d}", f"https://shop.example.com/{n}", groupId=group, tags=[{"name": f"t{n % 3}"}],
        firstConversionId=signup, typeTL={"password": "pw"} if n == 4 else {})) for n in range(23)]
    ids.append(await created_id(client, "/datapoints", pixel_body("opens")))

    pages = [await summary(client, offset=offset, limit=10) for offset in (0, 10, 20, 30)]

    assert [(p["count"], p["limit"], len(p["result"])) for p in pages] == \
        [(24, 10, 10), (24, 10, 10), (24, 10, 4), (24, 10, 0)]
    results = [item for page in pages for item in page["result"]]
    assert [int(item["entityId"]) for item in results] == ids
    for item in results:
        whole = await datapoint(client, int(item["entityId"]))
        assert item["entityData"] == summary_of(whole)
    assert all("pw" not in str(item) for item in results)


def summary_of(whole: dict[str, Any]) -> dict[str, Any]:
    """What gem:aggregatedstattest_test_datapoints_summary shows of a live datapoint."""
    expected = {"datapointId": whole["id"], "datapointName": whole["name"],
                "datapointTitle": whole.get("title"),
                "datapointType": ["TrackingLink", "TrackingPixel"][whole.get("type", 0)],
                "creationDate": whole["creationDate"], "tags": whole["tags"],
                "isPrivateShared": True, "trackingCode": whole["trackingCode"]}
    expected |= {key: whole[key] for key in ("groupId", "groupName", "notes") if key in whole}
    if "typeTL" in whole:
        expected["destinationUrl"] = whole["typeTL"]["url"]
    return expected


async def test_a_deleted_datapoints_summary_has_its_status_and_no_sharing(client: httpx.AsyncClient) -> None:
    gone = await created_id(client, "/datapoints", link_body("gone", notes="n"))
    await client.delete(f"/datapoints/{gone}")

    [row] = (await summary(client))["result"]

    assert set(row["entityData"]) == {"datapointId", "datapointName", "datapointTitle",
                                      "datapointType", "creationDate", "destinationUrl", "tags",
                                      "trackingCode", "status", "notes"}
    assert (row["entityData"]["status"], row["entityData"]["datapointType"]) == (3, "TrackingLink")


async def test_groups_summary_rows_as_recorded(client: httpx.AsyncClient) -> None:
    empty = await created_id(client, "/groups", {"name": "empty"})
    favourite = await created_id(client, "/groups", {"name": "fav", "preferred": True, "tags": ["t"]})
    await created_id(client, "/datapoints", link_body("in-fav", groupId=favourite))
    gone = await created_id(client, "/groups", {"name": "gone"})
    await client.delete(f"/groups/{gone}")

    answer = checked(await client.get("/aggregated/summary/groups", params={"timeFrame": "last7"}),
                     "GET", "/aggregated/summary/groups")

    assert (answer["count"], answer["limit"]) == (3, 20)
    rows = {row["entityData"]["groupName"]: row["entityData"] for row in answer["result"]}
    assert set(rows["empty"]) == {"groupId", "groupName", "creationDate", "tags", "isPrivateShared"}
    assert (rows["fav"]["linksCount"], rows["fav"]["groupFavourite"]) == (1, True)
    assert [tag["name"] for tag in rows["fav"]["tags"]] == ["t"]
    assert rows["gone"]["deleted"] is True and "isPrivateShared" not in rows["gone"]
    assert [row["entityId"] for row in answer["result"]] == [str(empty), str(favourite), str(gone)]


async def test_sorted_by_a_statistic_and_by_a_datapoint_field(client: httpx.AsyncClient) -> None:
    clicks = {"quiet": 0, "busy": 3, "medium": 2}
    ids = {name: await created_id(client, "/datapoints", link_body(name)) for name in clicks}
    for name, count in clicks.items():
        for n in range(count):
            await visit(client, f"/go.clickmeter.test/{name}", ip=f"198.51.100.{n}")

    by_clicks = await summary(client, sortBy="totalClicks", sortDirection="desc")
    by_uniques = await summary(client, sortBy="uniqueclicks", sortDirection="asc")
    by_name = await summary(client, sortBy="name")

    assert [(r["entityData"]["datapointName"], r["totalClicks"]) for r in by_clicks["result"]] == \
        [("busy", 3), ("medium", 2), ("quiet", 0)]
    assert [r["entityData"]["datapointName"] for r in by_uniques["result"]] == ["quiet", "medium", "busy"]
    assert [r["entityData"]["datapointName"] for r in by_name["result"]] == ["busy", "medium", "quiet"]
    assert by_clicks["result"][0]["entityId"] == str(ids["busy"])
    assert "lastHitDate" not in by_clicks["result"][2]
    assert failing_properties(await client.get(SUMMARY, params={
        "timeFrame": "last30", "sortBy": "colour"})) == {"sortBy"}


async def test_filters(client: httpx.AsyncClient) -> None:
    group = await created_id(client, "/groups", {"name": "spring"})
    grouped = await created_id(client, "/datapoints", link_body("grouped-sale", groupId=group))
    starred = await created_id(client, "/datapoints", link_body("starred", preferred=True,
                                                                tags=[{"name": "vip"}]))
    paused = await created_id(client, "/datapoints", link_body("resting", status=1))
    pixel = await created_id(client, "/datapoints", pixel_body("opens"))
    deleted = await created_id(client, "/datapoints", link_body("gone"))
    await client.delete(f"/datapoints/{deleted}")

    async def ids(path: str = SUMMARY, **params: Any) -> list[int]:
        return [int(r["entityId"]) for r in (await summary(client, path, **params))["result"]]

    assert await ids() == [grouped, starred, paused, pixel, deleted]
    assert await ids(status="all") == [grouped, starred, paused, pixel, deleted]
    assert await ids(type="tp") == [pixel]
    assert await ids(type="tl", status="paused") == [paused]
    assert await ids(status="deleted") == [deleted]
    assert await ids(favourite="true") == [starred]
    assert await ids(favourite="false") == [grouped, paused, pixel, deleted]
    assert await ids(tag="vip") == [starred]
    assert await ids(groupId=str(group)) == [grouped]
    assert await ids(textSearch="SALE") == [grouped]
    assert await ids(f"/groups/{group}/aggregated/summary") == [grouped]


async def test_statistics_of_the_window_only(client: httpx.AsyncClient) -> None:
    link = await created_id(client, "/datapoints", link_body("spring"))
    await visit(client, "/go.clickmeter.test/spring")

    today = (await summary(client, timeFrame="today"))["result"][0]
    last_year = (await summary(client, timeFrame="lastyear"))["result"][0]

    assert (today["entityId"], today["totalClicks"], today["uniqueClicks"]) == (str(link), 1, 1)
    assert (last_year["fromDay"], last_year["toDay"]) == ("20250101000000", "20251231235959")
    assert last_year["totalClicks"] == 0


async def test_other_accounts_see_nothing(client: httpx.AsyncClient, db_path: Path) -> None:
    group = await created_id(client, "/groups", {"name": "spring"})
    await created_id(client, "/datapoints", link_body("spring", groupId=group))
    register_account(db_path, "other-key")
    other = {AUTH_HEADER: "other-key"}

    mine = await client.get(SUMMARY, params={"timeFrame": "today"}, headers=other)
    foreign_group = await client.get(f"/groups/{group}/aggregated/summary",
                                     params={"timeFrame": "today"}, headers=other)

    assert (mine.json()["count"], mine.json()["result"]) == (0, [])
    failures_of(foreign_group, 404)


async def test_paging_limits(client: httpx.AsyncClient) -> None:
    for limit in ("0", "101"):
        assert failing_properties(await client.get(SUMMARY, params={
            "timeFrame": "today", "limit": limit})) == {"limit"}
