"""Clicking through every destination mode and behaviour setting of a link over the real app:
where each click goes, what the answer is, and what the recorded hit holds."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest

from reconciler.server.db import register_account
from reconciler.server.link_routing import SPILLOVER_CLICKS
from tests.server.helpers import (
    CHROME,
    GOOGLEBOT,
    SAFARI_IPHONE,
    SettableClock,
    clocked_client,
    created_id,
    link_body,
    visit,
)
from tests.server.openapi_check import checked

pytestmark = pytest.mark.anyio
NOW = "20260315120000"
A, B, C = "https://shop.example.com/a", "https://shop.example.com/b", "https://shop.example.com/c"
HOME = "https://shop.example.com/"
GMAIL_PROXY = "Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)"
OUTLOOK = "Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.4266; Pro)"


def items(*urls: str) -> list[dict[str, str]]:
    return [{"url": url} for url in urls]


async def make_link(client: httpx.AsyncClient, name: str, url: str = HOME, **fields: Any) -> int:
    return await created_id(client, "/datapoints", link_body(name, url, **fields))


async def clicks(client: httpx.AsyncClient, name: str, times: int, **visitor: Any) -> list[str]:
    """Where `times` clicks on the link went (each a redirect)."""
    found = []
    for _ in range(times):
        response = await visit(client, f"/go.clickmeter.test/{name}", **visitor)
        assert response.status_code == 307, response.text
        found.append(response.headers["location"])
    return found


async def hits(client: httpx.AsyncClient, link: int) -> list[dict[str, Any]]:
    response = await client.get(f"/datapoints/{link}/hits", params={"timeframe": "today", "limit": 100})
    return checked(response, "GET", "/datapoints/{id}/hits")["hits"]


async def destination_counts(client: httpx.AsyncClient, link: int) -> dict[str, int]:
    """The `destinations` report: clicks per url actually used."""
    response = await client.get(f"/datapoints/{link}/reports", params={"type": "destinations", "timeframe": "today"})
    assert response.status_code == 200, response.text
    return {row["id"]: row["totalClicks"] for row in response.json()["data"]}


async def seeded_weighted_clicks(tmp_path: Path, name: str, seed: int) -> tuple[list[str], dict[str, int]]:
    db_path = tmp_path / f"{name}.db"
    register_account(db_path, "key")
    async with clocked_client(db_path, "key", SettableClock(NOW), click_seed=seed) as client:
        link = await make_link(client, "ab", A, typeTL={"destinationMode": 9, "weightedDestinationItems": [
            {"url": A, "weight": 70}, {"url": B, "weight": 20}, {"url": C, "weight": 10}]})
        went = await clicks(client, "ab", 300)
        return went, await destination_counts(client, link)


async def test_weighted_rotation_is_repeatable_under_a_seed_and_counted_per_url(tmp_path: Path) -> None:
    first, counted = await seeded_weighted_clicks(tmp_path, "one", seed=7)
    again, _ = await seeded_weighted_clicks(tmp_path, "two", seed=7)
    other, _ = await seeded_weighted_clicks(tmp_path, "three", seed=8)

    assert first == again and first != other
    assert counted == dict(Counter(first))
    assert 180 <= counted[A] <= 240 and 35 <= counted[B] <= 85 and 10 <= counted[C] <= 50


async def test_random_rotation_uses_every_url(asgi_client: httpx.AsyncClient) -> None:
    await make_link(asgi_client, "ab", A, typeTL={"destinationMode": 1, "randomDestinationItems": items(A, B)})

    assert set(await clicks(asgi_client, "ab", 40)) == {A, B}


async def test_a_sequence_goes_round_the_urls(asgi_client: httpx.AsyncClient) -> None:
    await make_link(asgi_client, "seq", A, typeTL={"destinationMode": 8, "sequentialDestinationItems": items(A, B, C)})

    assert await clicks(asgi_client, "seq", 7) == [A, B, C, A, B, C, A]


async def test_spillover_moves_on_every_spillover_clicks_then_stays_on_the_last(
        asgi_client: httpx.AsyncClient) -> None:
    await make_link(asgi_client, "spill", A, typeTL={"destinationMode": 3, "spilloverDestinationItems": items(A, B, C)})

    went = await clicks(asgi_client, "spill", 3 * SPILLOVER_CLICKS + 4)

    assert went == [A] * SPILLOVER_CLICKS + [B] * SPILLOVER_CLICKS + [C] * (SPILLOVER_CLICKS + 4)


@pytest.mark.parametrize(("header", "expected"), [
    ("de-CH", A), ("en-GB,fr;q=0.9,de;q=0.8", B), ("de;q=0.2, FR-ca;q=0.7", B), ("de;q=0, en", HOME),
    ("*", HOME), ("", HOME), ("es;q=abc,de", A),
])
async def test_by_language_follows_accept_language_by_q_value(
        asgi_client: httpx.AsyncClient, header: str, expected: str) -> None:
    await make_link(asgi_client, "lang", HOME, typeTL={"destinationMode": 2, "urlsByLanguage": [
        {"languageCode": "de", "url": A}, {"languageCode": "fr", "url": B}]})

    assert await clicks(asgi_client, "lang", 1, accept_language=header) == [expected]


async def test_by_country_follows_the_x_country_header(asgi_client: httpx.AsyncClient) -> None:
    await make_link(asgi_client, "nation", HOME, typeTL={"destinationMode": 6, "urlsByNation": [
        {"nation": "IT", "url": A}, {"nation": "FR", "url": B}]})

    went = [(await visit(asgi_client, "/go.clickmeter.test/nation", **header)).headers["location"]
            for header in ({"x_country": "it"}, {"x_country": "FR"}, {"x_country": "DE"}, {})]

    assert went == [A, B, HOME, HOME]


@pytest.mark.parametrize(("agent", "expected"), [
    (SAFARI_IPHONE, A), (GMAIL_PROXY, B), (OUTLOOK, B), (GOOGLEBOT, C), (CHROME, HOME)])
async def test_by_device_follows_the_user_agent(asgi_client: httpx.AsyncClient, agent: str, expected: str) -> None:
    await make_link(asgi_client, "dev", HOME, typeTL={"destinationMode": 5, "browserDestinationItem": {
        "mobileDestinationUrl": A, "emailDestinationUrl": B, "spidersDestinationUrl": C}})

    assert await clicks(asgi_client, "dev", 1, agent=agent) == [expected]


async def test_by_device_without_a_url_for_the_class_goes_to_the_default(asgi_client: httpx.AsyncClient) -> None:
    await make_link(asgi_client, "dev", HOME, typeTL={"destinationMode": 5,
                                                      "browserDestinationItem": {"mobileDestinationUrl": A}})

    assert await clicks(asgi_client, "dev", 2, agent=GOOGLEBOT) == [HOME, HOME]


async def test_first_click_sends_each_visitor_to_first_once(asgi_client: httpx.AsyncClient) -> None:
    link = await make_link(asgi_client, "welcome", HOME, typeTL={
        "destinationMode": 7, "uniqueDestinationItem": {"firstDestinationUrl": A}})

    went = [*await clicks(asgi_client, "welcome", 2), *await clicks(asgi_client, "welcome", 2, ip="198.51.100.9")]

    assert went == [A, HOME, A, HOME]
    assert [hit["realDestinationUrl"] for hit in await hits(asgi_client, link)] == [HOME, A, HOME, A]


async def test_expiry_after_clicks_pauses_or_sends_to_the_fallback(asgi_client: httpx.AsyncClient) -> None:
    paused = await make_link(asgi_client, "short", A,
                             typeTL={"expirationClicks": 2, "pauseAfterClicksExpiration": True})
    await make_link(asgi_client, "moved", A, typeTL={"expirationClicks": 2, "urlAfterClicksExpiration": B})

    answers = [(await visit(asgi_client, "/go.clickmeter.test/short")).status_code for _ in range(3)]
    went = await clicks(asgi_client, "moved", 4)

    assert answers == [307, 307, 404]
    assert len(await hits(asgi_client, paused)) == 2
    assert went == [A, A, B, B]


async def test_expiry_on_a_date_pauses_or_sends_to_the_fallback(db_path: Path, api_key: str) -> None:
    clock = SettableClock("20270629235959")
    async with clocked_client(db_path, api_key, clock) as client:
        await make_link(client, "dated", A,
                        typeTL={"expirationDate": "20270630000000", "pauseAfterDateExpiration": True})
        await make_link(client, "later", A, typeTL={"expirationDate": "20270630", "urlAfterDateExpiration": B})
        before = [(await visit(client, f"/go.clickmeter.test/{name}")).headers["location"]
                  for name in ("dated", "later")]
        clock.at("20270630000000")
        paused = await visit(client, "/go.clickmeter.test/dated")
        moved = await clicks(client, "later", 1)

    assert before == [A, A]
    assert paused.status_code == 404
    assert moved == [B]


async def test_forward_query_merges_the_request_query_into_the_destination(asgi_client: httpx.AsyncClient) -> None:
    await make_link(asgi_client, "fwd", "https://shop.example.com/p?a=1&b=2#top", typeTL={
        "appendQuery": True, "password": "pw"})
    await make_link(asgi_client, "plain", "https://shop.example.com/p?a=1")

    merged = await visit(asgi_client, "/go.clickmeter.test/fwd?b=9&c=x+y&password=pw")
    bare = await visit(asgi_client, "/go.clickmeter.test/fwd?password=pw")
    unforwarded = await visit(asgi_client, "/go.clickmeter.test/plain?c=3")

    assert merged.headers["location"] == "https://shop.example.com/p?a=1&b=9&c=x+y#top"
    assert bare.headers["location"] == "https://shop.example.com/p?a=1&b=2#top"
    assert unforwarded.headers["location"] == "https://shop.example.com/p?a=1"


async def test_encode_url_sends_the_destination_strictly_encoded(asgi_client: httpx.AsyncClient) -> None:
    raw = "https://bücher.example/a(b)/é?q=it's&r=[x]#f(1)"
    await make_link(asgi_client, "enc", raw, typeTL={"encodeUrl": True})
    await make_link(asgi_client, "raw", raw)

    encoded = await clicks(asgi_client, "enc", 1)
    as_written = await clicks(asgi_client, "raw", 1)

    assert encoded == ["https://xn--bcher-kva.example/a%28b%29/%C3%A9?q=it%27s&r=%5Bx%5D#f%281%29"]
    assert as_written[0].endswith("/a(b)/%C3%A9?q=it's&r=[x]#f(1)")


async def test_a_cloaked_link_frames_its_destination_under_its_title_escaped(asgi_client: httpx.AsyncClient) -> None:
    url = 'https://shop.example.com/?q="><script>alert(1)</script>'
    link = await make_link(asgi_client, "cloaked", url, typeTL={
        "hideUrl": True, "hideUrlTitle": "Sale </title><script>alert('t')</script> & more"})
    await make_link(asgi_client, "untitled", HOME, title="Spring & co", typeTL={"hideUrl": True})

    page = await visit(asgi_client, "/go.clickmeter.test/cloaked")
    untitled = await visit(asgi_client, "/go.clickmeter.test/untitled")

    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "<script>" not in page.text
    assert "<title>Sale &lt;/title&gt;&lt;script&gt;alert(&#x27;t&#x27;)&lt;/script&gt; &amp; more</title>" in page.text
    assert 'src="https://shop.example.com/?q=&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"' in page.text
    assert "<title>Spring &amp; co</title>" in untitled.text and f'<iframe src="{HOME}"' in untitled.text
    assert [hit["realDestinationUrl"] for hit in await hits(asgi_client, link)] == [url]


async def test_referrer_clean_and_myself(asgi_client: httpx.AsyncClient) -> None:
    await make_link(asgi_client, "clean", A, typeTL={"referrerClean": 1})
    await make_link(asgi_client, "myself", 'https://shop.example.com/?a=1&b="2"', typeTL={"referrerClean": 2})
    await make_link(asgi_client, "keep", A)

    clean = await visit(asgi_client, "/go.clickmeter.test/clean")
    myself = await visit(asgi_client, "/go.clickmeter.test/myself")
    keep = await visit(asgi_client, "/go.clickmeter.test/keep")

    assert (clean.status_code, clean.headers["location"], clean.headers["referrer-policy"]) == (307, A, "no-referrer")
    assert (myself.status_code, myself.headers["referrer-policy"]) == (200, "unsafe-url")
    assert '<meta http-equiv="refresh" content="0; url=https://shop.example.com/?a=1&amp;b=&quot;2&quot;">' \
        in myself.text
    assert keep.status_code == 307 and "referrer-policy" not in keep.headers


async def test_redirect_only_records_no_hit_but_still_rotates(asgi_client: httpx.AsyncClient) -> None:
    link = await make_link(asgi_client, "quiet", A, redirectOnly=True, typeTL={
        "destinationMode": 8, "sequentialDestinationItems": items(A, B)})

    went = await clicks(asgi_client, "quiet", 3)

    assert went == [A, B, A]
    assert await hits(asgi_client, link) == []


async def test_anonymise_ip_zeroes_the_stored_address_and_first_click_still_knows_the_visitor(
        asgi_client: httpx.AsyncClient) -> None:
    v4 = await make_link(asgi_client, "anon", A, encodeIp=True, typeTL={
        "destinationMode": 7, "uniqueDestinationItem": {"firstDestinationUrl": B}})
    v6 = await make_link(asgi_client, "anon6", A, encodeIp=True)

    went = await clicks(asgi_client, "anon", 2, ip="203.0.113.77")
    await clicks(asgi_client, "anon6", 1, ip="2001:db8:1:2:3:4:5:6")

    assert went == [B, A]
    assert {hit["ip"] for hit in await hits(asgi_client, v4)} == {"203.0.113.0"}
    assert [hit["ip"] for hit in await hits(asgi_client, v6)] == ["2001:db8:1::"]


async def test_a_conversion_is_credited_to_an_anonymised_click(asgi_client: httpx.AsyncClient) -> None:
    conversion = await created_id(asgi_client, "/conversions", {"name": "order", "value": 5})
    link = await make_link(asgi_client, "anon", A, encodeIp=True, firstConversionId=conversion)

    await clicks(asgi_client, "anon", 1)
    await visit(asgi_client, f"/conversion/{conversion}")

    [hit] = await hits(asgi_client, link)
    assert len(hit["conversions"]) == 1


async def test_light_tracking_keeps_no_referrer_language_or_query(asgi_client: httpx.AsyncClient) -> None:
    light = await make_link(asgi_client, "light", A, lightTracking=True)
    full = await make_link(asgi_client, "full", A)
    visitor = {"referer": "https://news.example/x", "accept_language": "de-DE"}

    await visit(asgi_client, "/go.clickmeter.test/light?utm=mail", **visitor)
    await visit(asgi_client, "/go.clickmeter.test/full?utm=mail", **visitor)

    [light_hit], [full_hit] = await hits(asgi_client, light), await hits(asgi_client, full)
    recorded = ("referer", "clientLanguage", "queryParams")
    assert not set(recorded) & set(light_hit)
    assert [full_hit[key] for key in recorded] == ["https://news.example/x", "de-DE", "utm=mail"]
    assert light_hit["realDestinationUrl"] == A
