"""A datapoint's hits (paged by lastKey, filtered) and its top reports."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.server.helpers import (
    FIREFOX,
    GOOGLEBOT,
    SAFARI_IPHONE,
    SettableClock,
    clocked_client,
    created_id,
    link_body,
    visit_at,
)
from tests.server.openapi_check import assert_valid, checked, failing_properties

pytestmark = pytest.mark.anyio
NOW = "20260315120000"


@pytest.fixture
async def traffic(db_path: Path, api_key: str) -> AsyncIterator[tuple[httpx.AsyncClient, int]]:
    """A link with six hits today: repeats, other browsers and countries, a spider, a conversion."""
    clock = SettableClock(NOW)
    async with clocked_client(db_path, api_key, clock) as client:
        signup = await created_id(client, "/conversions", {"name": "signup", "value": 5})
        link = await created_id(client, "/datapoints", link_body("spring", firstConversionId=signup))
        path = "/go.clickmeter.test/spring"
        await visit_at(client, clock, "20260315080000", path, accept_language="en-GB",
                       referer="https://news.example/a")
        await visit_at(client, clock, "20260315081000", path, accept_language="en-GB")
        await visit_at(client, clock, "20260315090000", path, ip="198.51.100.2", agent=FIREFOX,
                       accept_language="de-DE", referer="https://news.example/b")
        await visit_at(client, clock, "20260315100000", path, ip="198.51.100.3", agent=SAFARI_IPHONE,
                       accept_language="it-IT", referer="https://social.example/")
        await visit_at(client, clock, "20260315103000", f"/conversion/{signup}", ip="198.51.100.3",
                       agent=SAFARI_IPHONE)
        await visit_at(client, clock, "20260315110000", path, ip="66.249.66.1", agent=GOOGLEBOT)
        await visit_at(client, clock, "20260301110000", path)  # outside "today"
        clock.at(NOW)
        yield client, link


async def hits_page(client: httpx.AsyncClient, link: int, **params: Any) -> dict[str, Any]:
    response = await client.get(f"/datapoints/{link}/hits", params={"timeframe": "today", **params})
    return checked(response, "GET", "/datapoints/{id}/hits")


async def report(client: httpx.AsyncClient, link: int, kind: str) -> dict[str, dict[str, Any]]:
    response = await client.get(f"/datapoints/{link}/reports", params={"type": kind, "timeframe": "today"})
    assert response.status_code == 200, response.text
    top = response.json()
    assert_valid(top, "Api.Core.Dto.Tops.Top")
    assert (top["key"], top["createdAt"]) == (kind, NOW)
    return {item["id"]: item for item in top["data"]}


async def test_pages_by_last_key_newest_first(traffic: tuple[httpx.AsyncClient, int]) -> None:
    client, link = traffic
    times, offset, pages = [], None, 0
    while True:
        page = await hits_page(client, link, limit=2, **({"offset": offset} if offset else {}))
        times += [hit["accessTime"] for hit in page["hits"]]
        pages += 1
        offset = page.get("lastKey")
        if offset is None:
            break

    assert pages == 3
    assert times == ["20260315110000", "20260315100000", "20260315090000", "20260315081000",
                     "20260315080000"]


async def test_filters(traffic: tuple[httpx.AsyncClient, int]) -> None:
    client, link = traffic

    async def times(kind: str) -> list[str]:
        return [hit["accessTime"][8:12] for hit in (await hits_page(client, link, filter=kind))["hits"]]

    assert await times("spiders") == ["1100"]
    assert await times("uniques") == ["1000", "0900", "0800"]
    assert await times("nonuniques") == ["0810"]
    assert await times("conversions") == ["1000"]
    converted = (await hits_page(client, link, filter="conversions"))["hits"][0]
    assert [(c["name"], c["value"], c["date"]) for c in converted["conversions"]] == \
        [("signup", 5.0, "20260315103000")]


async def test_bad_hits_parameters(traffic: tuple[httpx.AsyncClient, int]) -> None:
    client, link = traffic
    path = f"/datapoints/{link}/hits"
    for name, params in {"offset": {"offset": "page-2"}, "filter": {"filter": "robots"},
                         "limit": {"limit": "500"}}.items():
        response = await client.get(path, params={"timeframe": "today", **params})
        assert failing_properties(response) == {name}
    assert (await client.get("/datapoints/999/hits", params={"timeframe": "today"})).status_code == 404


async def test_reports_count_each_trait(traffic: tuple[httpx.AsyncClient, int]) -> None:
    client, link = traffic

    browsers = await report(client, link, "browsers")
    countries = await report(client, link, "countries")
    referrers = await report(client, link, "referrers")
    platforms = await report(client, link, "platforms")

    assert {key: (i["totalClicks"], i["uniqueClicks"]) for key, i in browsers.items()} == \
        {"Chrome": (2, 1), "Firefox": (1, 1), "Safari": (1, 1), "Other": (0, 0)}
    assert browsers["Other"]["spiderHits"] == 1
    assert (browsers["Safari"]["totalConversions"], browsers["Safari"]["totalConversionsValue"]) == (1, 5.0)
    assert {key: i["totalHits"] for key, i in countries.items()} == \
        {"GB": 2, "DE": 1, "IT": 1, "Other": 0}
    assert {key: i["totalHits"] for key, i in referrers.items()} == \
        {"news.example": 2, "social.example": 1, "Direct": 1}
    assert {key: i["totalHits"] for key, i in platforms.items()} == \
        {"Windows": 2, "Linux": 1, "iOS": 1, "Other": 0}
    assert next(iter(browsers)) == "Chrome"


async def test_report_type_is_required_and_checked(traffic: tuple[httpx.AsyncClient, int]) -> None:
    client, link = traffic
    for params in ({}, {"type": "planets"}):
        response = await client.get(f"/datapoints/{link}/reports", params={"timeframe": "today", **params})
        assert failing_properties(response) == {"type"}
