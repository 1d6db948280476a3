"""Tracking paths against the real app: redirects, pixels, conversions, and the hits they record."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import httpx
import pytest

from reconciler.apishapes import AUTH_HEADER
from reconciler.server.db import register_account
from tests.server.helpers import (
    FIREFOX,
    GOOGLEBOT,
    SettableClock,
    clocked_client,
    created_id,
    link_body,
    pixel_body,
    visit,
    visit_at,
)
from tests.server.openapi_check import checked, failing_properties, failures_of

pytestmark = pytest.mark.anyio
NOW = "20260315120000"


async def today_stats(client: httpx.AsyncClient, datapoint_id: int) -> dict[str, Any]:
    response = await client.get(f"/datapoints/{datapoint_id}/aggregated", params={"timeFrame": "today"})
    return checked(response, "GET", "/datapoints/{id}/aggregated")


async def today_hits(client: httpx.AsyncClient, datapoint_id: int) -> list[dict[str, Any]]:
    response = await client.get(f"/datapoints/{datapoint_id}/hits", params={"timeframe": "today"})
    return checked(response, "GET", "/datapoints/{id}/hits")["hits"]


async def test_a_link_redirects_per_its_type_and_records_the_click(db_path: Path, api_key: str) -> None:
    clock = SettableClock(NOW)
    async with clocked_client(db_path, api_key, clock) as client:
        temporary = await created_id(client, "/datapoints", link_body("spring", "https://shop.example.com/a"))
        permanent = await created_id(client, "/datapoints", link_body(
            "summer", "https://shop.example.com/b", typeTL={"redirectType": 301}))

        first = await visit(client, "/go.clickmeter.test/spring?utm=mail", referer="https://news.example/x",
                            accept_language="en-GB,en;q=0.8")
        second = await visit(client, "/go.clickmeter.test/summer")

        assert (first.status_code, first.headers["location"]) == (307, "https://shop.example.com/a")
        assert (second.status_code, second.headers["location"]) == (301, "https://shop.example.com/b")
        [hit] = await today_hits(client, temporary)
        assert (hit["accessTime"], hit["type"], hit["ip"]) == (NOW, "click", "203.0.113.7")
        assert (hit["referer"], hit["clientLanguage"], hit["queryParams"]) == \
            ("https://news.example/x", "en-GB", "utm=mail")
        assert (hit["browser"]["name"], hit["os"]["name"], hit["location"]["country"]) == \
            ("Chrome", "Windows", "GB")
        assert hit["realDestinationUrl"] == "https://shop.example.com/a"
        assert (hit["entity"]["datapointId"], hit["entity"]["datapointName"]) == (temporary, "spring")
        assert (await today_stats(client, permanent))["totalClicks"] == 1


async def test_the_domain_id_works_as_the_domain_name_does(db_path: Path, api_key: str) -> None:
    async with clocked_client(db_path, api_key, SettableClock(NOW)) as client:
        link = await created_id(client, "/datapoints", link_body("spring", "https://shop.example.com/a"))
        domain_id = (await client.get(f"/datapoints/{link}")).json()["typeTL"]["domainId"]

        response = await visit(client, f"/{domain_id}/spring")

        assert response.status_code == 307
        assert (await today_stats(client, link))["totalClicks"] == 1


async def test_paused_deleted_and_unknown_links_answer_404_and_record_nothing(
        db_path: Path, api_key: str) -> None:
    async with clocked_client(db_path, api_key, SettableClock(NOW)) as client:
        paused = await created_id(client, "/datapoints", link_body("paused", status=1))
        deleted = await created_id(client, "/datapoints", link_body("gone"))
        assert (await client.delete(f"/datapoints/{deleted}")).status_code == 200

        answers = [await visit(client, path) for path in
                   ("/go.clickmeter.test/paused", "/go.clickmeter.test/gone",
                    "/go.clickmeter.test/never", "/other.example/paused")]

        assert [answer.status_code for answer in answers] == [404, 404, 404, 404]
        assert (await today_stats(client, paused))["totalClicks"] == 0
        assert (await today_stats(client, deleted))["totalClicks"] == 0


async def test_a_protected_link_wants_its_password_by_query_or_basic_auth(
        db_path: Path, api_key: str) -> None:
    async with clocked_client(db_path, api_key, SettableClock(NOW)) as client:
        link = await created_id(client, "/datapoints", link_body(
            "secret", "https://shop.example.com/vip", typeTL={"password": "s3cret"}))
        path = "/go.clickmeter.test/secret"
        wrong_basic = "Basic " + base64.b64encode(b"anyone:nope").decode()
        right_basic = "Basic " + base64.b64encode(b"anyone:s3cret").decode()

        missing = await visit(client, path)
        wrong = await visit(client, f"{path}?password=nope")
        wrong_auth = await visit(client, path, authorization=wrong_basic)
        by_query = await visit(client, f"{path}?password=s3cret&ref=x")
        by_basic = await visit(client, path, authorization=right_basic)

        for refused in (missing, wrong, wrong_auth):
            assert failing_properties(refused, 401) == {"password"}
            assert refused.headers["www-authenticate"].startswith("Basic")
            assert "s3cret" not in refused.text and "nope" not in refused.text
        assert (by_query.status_code, by_basic.status_code) == (307, 307)
        hits = await today_hits(client, link)
        assert len(hits) == 2
        assert [hit.get("queryParams") for hit in hits] == [None, "ref=x"]


async def test_a_pixel_answers_a_gif_and_records_a_view(db_path: Path, api_key: str) -> None:
    async with clocked_client(db_path, api_key, SettableClock(NOW)) as client:
        pixel = await created_id(client, "/datapoints", pixel_body("open-tracker"))
        paused = await created_id(client, "/datapoints", pixel_body("paused-tracker", status=1))
        link = await created_id(client, "/datapoints", link_body("a-link"))

        answer = await visit(client, f"/pixel/{pixel}")
        refused = [(await visit(client, f"/pixel/{other}")).status_code for other in (paused, link, 999)]

        assert answer.status_code == 200 and answer.headers["content-type"] == "image/gif"
        assert answer.content.startswith(b"GIF89a") and answer.content[6:10] == b"\x01\x00\x01\x00"
        assert refused == [404, 404, 404]
        stats = await today_stats(client, pixel)
        assert (stats["totalViews"], stats["uniqueViews"], stats["totalClicks"]) == (1, 1, 0)
        [hit] = await today_hits(client, pixel)
        assert hit["type"] == "view"


async def test_a_visitor_is_unique_once_a_day_per_datapoint(db_path: Path, api_key: str) -> None:
    clock = SettableClock(NOW)
    async with clocked_client(db_path, api_key, clock) as client:
        link = await created_id(client, "/datapoints", link_body("spring"))
        other = await created_id(client, "/datapoints", link_body("summer"))
        path = "/go.clickmeter.test/spring"
        await visit_at(client, clock, "20260314230000", path)  # yesterday
        await visit_at(client, clock, "20260315080000", path)  # first today
        await visit_at(client, clock, "20260315090000", path)  # again today
        await visit_at(client, clock, "20260315100000", path, agent=FIREFOX)  # same IP, other browser
        await visit_at(client, clock, "20260315110000", path, ip="198.51.100.1")  # other IP
        await visit_at(client, clock, "20260315120000", "/go.clickmeter.test/summer")  # other link

        stats = await today_stats(client, link)

        assert (stats["totalClicks"], stats["uniqueClicks"]) == (4, 3)
        assert stats["lastHitDate"] == "20260315110000"
        assert [hit["isUnique"] for hit in await today_hits(client, link)] == \
            ["true", "true", "false", "true"]
        assert (await today_stats(client, other))["uniqueClicks"] == 1


async def test_spiders_are_counted_apart(db_path: Path, api_key: str) -> None:
    async with clocked_client(db_path, api_key, SettableClock(NOW)) as client:
        link = await created_id(client, "/datapoints", link_body("spring"))
        await visit(client, "/go.clickmeter.test/spring", agent=GOOGLEBOT)
        await visit(client, "/go.clickmeter.test/spring")

        stats = await today_stats(client, link)

        assert (stats["totalClicks"], stats["spiderHitsCount"]) == (1, 1)
        assert [hit["isSpider"] for hit in await today_hits(client, link)] == ["false", "true"]


async def test_a_conversion_credits_the_visitors_last_click_on_a_link_holding_it(
        db_path: Path, api_key: str) -> None:
    clock = SettableClock(NOW)
    async with clocked_client(db_path, api_key, clock) as client:
        signup = await created_id(client, "/conversions", {"name": "signup", "value": 12.5})
        newsletter = await created_id(client, "/conversions", {"name": "newsletter", "value": 1})
        early = await created_id(client, "/datapoints", link_body("early", firstConversionId=signup))
        late = await created_id(client, "/datapoints", link_body("late", firstConversionId=signup))
        await visit_at(client, clock, "20260315080000", "/go.clickmeter.test/early")
        await visit_at(client, clock, "20260315090000", "/go.clickmeter.test/late")

        await visit_at(client, clock, "20260315100000", f"/conversion/{signup}")  # default value
        await visit_at(client, clock, "20260315100500", f"/conversion/{signup}?value=7.5&param=order-9")
        await visit_at(client, clock, "20260315101000", f"/conversion/{signup}", ip="198.51.100.1")
        gif = await visit_at(client, clock, "20260315101500", f"/conversion/{newsletter}")

        assert gif.status_code == 200 and gif.headers["content-type"] == "image/gif"
        late_stats = await today_stats(client, late)
        assert (late_stats["convertedClicks"], late_stats["uniqueConversions"],
                late_stats["conversionsValue"]) == (1, 1, 20.0)
        assert (await today_stats(client, early))["convertedClicks"] == 0
        [click] = await today_hits(client, late)
        assert [(c["id"], c["name"], c["value"], c.get("parameter")) for c in click["conversions"]] == \
            [(signup, "signup", 12.5, None), (signup, "signup", 7.5, "order-9")]


async def test_conversion_pixel_errors(db_path: Path, api_key: str) -> None:
    async with clocked_client(db_path, api_key, SettableClock(NOW)) as client:
        signup = await created_id(client, "/conversions", {"name": "signup"})

        unknown = await visit(client, "/conversion/999")
        bad_value = await visit(client, f"/conversion/{signup}?value=lots")

        failures_of(unknown, 404)
        assert failing_properties(bad_value) == {"value"}


async def test_a_shared_domain_name_is_ambiguous_across_accounts(db_path: Path, api_key: str) -> None:
    register_account(db_path, "second-account-key")
    async with clocked_client(db_path, api_key, SettableClock(NOW)) as client:
        await created_id(client, "/datapoints", link_body("spring", "https://one.example/"))
        await client.post("/datapoints", json=link_body("spring", "https://two.example/"),
                          headers={AUTH_HEADER: "second-account-key"})
        second_domain = (await client.get("/domains", headers={AUTH_HEADER: "second-account-key"}))
        domain_id = second_domain.json()["entities"][0]["id"]

        by_name = await visit(client, "/go.clickmeter.test/spring")
        by_id = await visit(client, f"/{domain_id}/spring")

        assert failing_properties(by_name, 409) == {"domain"}
        assert (by_id.status_code, by_id.headers["location"]) == (307, "https://two.example/")


async def test_tracking_paths_need_no_api_key(db_path: Path, api_key: str) -> None:
    async with clocked_client(db_path, api_key, SettableClock(NOW)) as client:
        pixel = await created_id(client, "/datapoints", pixel_body("open-tracker"))
        await created_id(client, "/datapoints", link_body("spring"))
        client.headers.pop(AUTH_HEADER)

        assert (await visit(client, "/go.clickmeter.test/spring")).status_code == 307
        assert (await visit(client, f"/pixel/{pixel}")).status_code == 200
        assert (await client.get("/datapoints/aggregated", params={"timeFrame": "today"})).status_code == 401
