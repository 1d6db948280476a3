"""Datapoint lists and counts: every filter, sorting and the paging edges."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest
from starlette.applications import Starlette

from reconciler.apishapes import AUTH_HEADER, MAX_BATCH, MAX_LIMIT
from reconciler.server.app import create_app
from tests.server.helpers import counted, created_id, link_body, listed_ids, pixel_body
from tests.server.openapi_check import failing_properties

pytestmark = pytest.mark.anyio


@pytest.fixture
async def catalogue(asgi_client: httpx.AsyncClient) -> dict[str, int]:
    """Three links and a pixel with distinct tags, titles and flags."""
    return {
        "alpha": await created_id(asgi_client, "/datapoints", link_body(
            "alpha", title="Summer offer", tags=["sale", "email"], preferred=True)),
        "beta": await created_id(asgi_client, "/datapoints", link_body(
            "beta", "https://docs.example.com/", tags=["sale"], status=1)),
        "gamma": await created_id(asgi_client, "/datapoints", link_body("gamma", notes="50% off")),
        "pixel": await created_id(asgi_client, "/datapoints", pixel_body("pixel", tags=["email"])),
    }


async def test_filters(asgi_client: httpx.AsyncClient, catalogue: dict[str, int]) -> None:
    ids = catalogue

    async def both(**params: str) -> list[int]:
        found = await listed_ids(asgi_client, "/datapoints", **params)
        assert await counted(asgi_client, "/datapoints/count", **params) == len(found)
        return found

    assert await both() == [ids["alpha"], ids["beta"], ids["gamma"], ids["pixel"]]
    assert await both(type="tp") == [ids["pixel"]]
    assert await both(type="TL") == [ids["alpha"], ids["beta"], ids["gamma"]]
    assert await both(status="paused") == [ids["beta"]]
    assert await both(status="active") == [ids["alpha"], ids["gamma"], ids["pixel"]]
    assert await both(tags="sale") == [ids["alpha"], ids["beta"]]
    assert await both(tags="sale,email") == [ids["alpha"]]
    assert await both(tags="unknown") == []
    assert await both(textSearch="SUMMER") == [ids["alpha"]]
    assert await both(textSearch="docs.example") == [ids["beta"]]
    assert await both(textSearch="50%") == [ids["gamma"]]
    assert await both(onlyFavorites="true") == [ids["alpha"]]
    assert await both(onlyFavorites="false") == [ids["alpha"], ids["beta"], ids["gamma"], ids["pixel"]]


async def test_sorting(asgi_client: httpx.AsyncClient, catalogue: dict[str, int]) -> None:
    by_name_desc = await listed_ids(asgi_client, "/datapoints", sortBy="name", sortDirection="desc")

    assert by_name_desc == [catalogue[n] for n in ("pixel", "gamma", "beta", "alpha")]
    assert failing_properties(await asgi_client.get("/datapoints", params={"sortBy": "colour"})) \
        == {"sortBy"}
    assert failing_properties(await asgi_client.get("/datapoints", params={"sortDirection": "up"})) \
        == {"sortDirection"}


async def test_created_after_and_before(db_path, api_key: str) -> None:
    moments = iter([datetime(2026, 1, 10, 12, tzinfo=UTC),
                    datetime(2026, 3, 5, 8, tzinfo=UTC)])
    app: Starlette = create_app(db_path, clock=lambda: next(moments))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://local",
                                 headers={AUTH_HEADER: api_key}) as client:
        january = await created_id(client, "/datapoints", link_body("january"))
        march = await created_id(client, "/datapoints", link_body("march"))

        assert await listed_ids(client, "/datapoints", createdAfter="20260201") == [march]
        assert await listed_ids(client, "/datapoints", createdBefore="20260110") == [january]
        assert await listed_ids(client, "/datapoints", createdAfter="20260110",
                                createdBefore="20260305") == [january, march]
        assert failing_properties(await client.get("/datapoints", params={"createdAfter": "Jan"})) \
            == {"createdAfter"}


async def test_paging_edges(asgi_client: httpx.AsyncClient) -> None:
    for start in range(0, MAX_LIMIT, MAX_BATCH):
        batch = {"List": [link_body(f"link-{n:03}") for n in range(start, start + MAX_BATCH)]}
        await asgi_client.put("/datapoints/batch", json=batch)
    await created_id(asgi_client, "/datapoints", link_body("last"))
    everything = await listed_ids(asgi_client, "/datapoints", limit=MAX_LIMIT)

    assert len(await listed_ids(asgi_client, "/datapoints")) == 20
    assert len(everything) == MAX_LIMIT
    assert await listed_ids(asgi_client, "/datapoints", offset=MAX_LIMIT) == [MAX_LIMIT + 1]
    assert await listed_ids(asgi_client, "/datapoints", offset=500) == []
    assert await listed_ids(asgi_client, "/datapoints", offset=95, limit=10) == [*everything[95:], MAX_LIMIT + 1]
    for params, prop in (({"limit": 0}, "limit"), ({"limit": MAX_LIMIT + 1}, "limit"),
                         ({"limit": "ten"}, "limit"), ({"offset": -1}, "offset")):
        assert failing_properties(await asgi_client.get("/datapoints", params=params)) == {prop}


async def test_bad_filter_values_name_the_parameter(asgi_client: httpx.AsyncClient) -> None:
    for params in ({"type": "banner"}, {"status": "gone"}, {"onlyFavorites": "maybe"}):
        assert failing_properties(await asgi_client.get("/datapoints/count", params=params)) \
            == set(params)
