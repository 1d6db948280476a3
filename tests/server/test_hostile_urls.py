"""One URL rule on the server too (issue 15, item 2): a url `apishapes.url_problem` refuses is a 400
naming `typeTL.url`, never a 500, and in a batch it fails its own item only."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette

from reconciler.apishapes import AUTH_HEADER, url_problem
from tests.helpers import serving_app
from tests.server.helpers import counted, created_id, link_body
from tests.server.openapi_check import checked_batch, failing_properties, failures_of

BAD_URLS = ["http://[::1/", "http://x]/", "http://[zz]/", "http://shop.example.com:99999/",
            "http://shop.example.com/\x1b[2J", "http://shop.example.com/\x9b", "http://shop .example.com/"]
GOOD_NAMES = [f"good{index}" for index in range(5)]


@pytest.mark.anyio
@pytest.mark.parametrize("url", BAD_URLS)
async def test_a_bad_url_is_a_400_naming_it(asgi_client: httpx.AsyncClient, url: str) -> None:
    response = await asgi_client.post("/datapoints", json=link_body("spring", url))

    [failure] = failures_of(response, 400)
    assert failure["property"] == "typeTL.url"
    assert failure["errorMessage"] == f"typeTL.url {url_problem(url)}"
    assert await counted(asgi_client, "/datapoints/count") == 0


@pytest.mark.anyio
@pytest.mark.parametrize("url", BAD_URLS)
async def test_updating_to_a_bad_url_is_a_400(asgi_client: httpx.AsyncClient, url: str) -> None:
    datapoint_id = await created_id(asgi_client, "/datapoints", link_body("spring"))

    response = await asgi_client.post(f"/datapoints/{datapoint_id}", json={"typeTL": {"url": url}})

    assert failing_properties(response) == {"typeTL.url"}


def _batch(bad_url: str) -> dict[str, list[dict[str, object]]]:
    items = [link_body(name) for name in GOOD_NAMES]
    items.insert(3, link_body("bad", bad_url))
    return {"list": items}


def _created_and_failed(response: httpx.Response) -> tuple[list[str], list[set[str | None]]]:
    results = checked_batch(response)
    assert [item["status"] for item in results] == ["Ok"] * 3 + ["Error"] + ["Ok"] * 2
    return ([item["entityData"]["name"] for item in results if item["status"] == "Ok"],
            [{error["property"] for error in item["errors"]} for item in results if item["status"] == "Error"])


@pytest.mark.anyio
@pytest.mark.parametrize("url", BAD_URLS[:3])
async def test_a_bad_url_fails_its_batch_item_alone(asgi_client: httpx.AsyncClient, url: str) -> None:
    created, failed = _created_and_failed(await asgi_client.put("/datapoints/batch", json=_batch(url)))

    assert created == GOOD_NAMES
    assert failed == [{"typeTL.url"}]
    assert await counted(asgi_client, "/datapoints/count") == 5


@pytest.mark.anyio
async def test_a_bad_url_fails_its_update_item_alone(asgi_client: httpx.AsyncClient) -> None:
    ids = [await created_id(asgi_client, "/datapoints", link_body(name)) for name in ("a", "b")]
    body = {"list": [{"id": ids[0], **link_body("a", "http://[::1/")},
                     {"id": ids[1], **link_body("b", "https://b.example.com/")}]}

    results = checked_batch(await asgi_client.post("/datapoints/batch", json=body))

    assert [item["status"] for item in results] == ["Error", "Ok"]
    assert results[0]["errors"][0]["property"] == "typeTL.url"
    assert results[1]["entityData"]["typeTL"]["url"] == "https://b.example.com/"


def test_over_serve_five_good_links_and_one_bad_create_five(app: Starlette, api_key: str, db_path: Path) -> None:
    with serving_app(app) as url, httpx.Client(base_url=url, headers={AUTH_HEADER: api_key}) as client:
        created, failed = _created_and_failed(client.put("/datapoints/batch", json=_batch("http://[::1/")))
        assert client.get("/datapoints/count").json() == {"count": 5}

    assert created == GOOD_NAMES
    assert failed == [{"typeTL.url"}]
