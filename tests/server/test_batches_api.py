"""Batches answer item by item; an invalid item never blocks or half-writes anything."""

from __future__ import annotations

import httpx
import pytest

from reconciler.apishapes import MAX_BATCH
from reconciler.server.variant import ServiceVariant
from tests.server.helpers import counted, created_id, datapoint, link_body, listed_ids, pixel_body
from tests.server.openapi_check import checked_batch, failing_properties

pytestmark = pytest.mark.anyio


async def test_create_batch_with_mixed_items(asgi_client: httpx.AsyncClient) -> None:
    conversion_id = await created_id(asgi_client, "/conversions", {"name": "c"})
    items = [
        link_body("ok-1", tags=["fresh"], firstConversionId=conversion_id),
        link_body("bad-url", "not a url"),
        pixel_body("ok-2"),
        # valid except for its conversion: its new tag must not survive either
        link_body("bad-conversion", tags=["orphan"], firstConversionId=999),
        link_body("ok-1"),
    ]

    results = checked_batch(await asgi_client.put("/datapoints/batch", json={"List": items}))

    assert [r["status"] for r in results] == ["Ok", "Error", "Ok", "Error", "Error"]
    assert results[0]["entityData"] == await datapoint(asgi_client, results[0]["result"]["id"])
    assert results[0]["entityData"]["firstConversionId"] == conversion_id
    assert {f["property"] for f in results[1]["errors"]} == {"typeTL.url"}
    assert {f["property"] for f in results[3]["errors"]} == {"firstConversionId"}
    assert {f["property"] for f in results[4]["errors"]} == {"Name"}
    assert all("result" not in r and "entityData" not in r for r in results if r["status"] == "Error")
    assert await counted(asgi_client, "/datapoints/count") == 2
    assert await counted(asgi_client, "/tags/count") == 1


@pytest.mark.parametrize("service_variant", [ServiceVariant.parse("updates=merge")])
async def test_update_batch_item_by_item(asgi_client: httpx.AsyncClient) -> None:
    first = await created_id(asgi_client, "/datapoints", link_body("first"))
    second = await created_id(asgi_client, "/datapoints", link_body("second"))
    items = [{"id": first, "title": "renamed", "status": 1},
             {"id": second, "name": "first"},
             {"id": 12345, "title": "nobody"},
             {"title": "no id"},
             {"id": second, "preferred": True}]

    results = checked_batch(await asgi_client.post("/datapoints/batch", json={"list": items}))

    assert [r["status"] for r in results] == ["Ok", "Error", "Error", "Error", "Ok"]
    assert results[0]["entityData"]["title"] == "renamed"
    assert results[0]["entityData"]["status"] == 1
    assert {f["property"] for f in results[1]["errors"]} == {"Name"}
    assert results[2]["errors"] == results[3]["errors"] == [{
        "property": "Id", "errorMessage": "Specified datapoint does not exist.", "code": "0013"}]
    assert (await datapoint(asgi_client, second))["name"] == "second"
    assert (await datapoint(asgi_client, second))["preferred"] is True


@pytest.mark.parametrize("service_variant", [ServiceVariant.parse("updates=merge")])
async def test_a_datapoint_written_twice_in_a_batch_is_answered_as_each_write_left_it(
        asgi_client: httpx.AsyncClient) -> None:
    first = await created_id(asgi_client, "/datapoints", link_body("first"))
    items = [{"id": first, "title": "one"}, {"id": first, "title": "two"}, {"id": first, "notes": "three"}]

    results = checked_batch(await asgi_client.post("/datapoints/batch", json={"list": items}))

    assert [r["entityData"].get("title") for r in results] == ["one", "two", "two"]
    assert [r["entityData"].get("notes") for r in results] == [None, None, "three"]
    assert results[2]["entityData"] == await datapoint(asgi_client, first)


async def test_delete_batch(asgi_client: httpx.AsyncClient) -> None:
    kept = await created_id(asgi_client, "/datapoints", link_body("kept"))
    gone = await created_id(asgi_client, "/datapoints", link_body("gone"))

    results = checked_batch(await asgi_client.request(
        "DELETE", "/datapoints/batch", json={"Entities": [{"id": gone}, {"id": gone}, {"id": 0}]}))

    assert [r["status"] for r in results] == ["Ok", "Error", "Error"]
    assert results[0]["entityData"]["status"] == 3
    assert await listed_ids(asgi_client, "/datapoints", status="active") == [kept]


@pytest.mark.parametrize("method, body, prop", [
    ("PUT", {"List": []}, "List"),
    ("PUT", {"Items": [{}]}, "List"),
    ("PUT", {"List": [link_body(f"n{i}") for i in range(MAX_BATCH + 1)]}, "List"),
    ("POST", {"List": {"id": 1}}, "List"),
    ("DELETE", {"Entities": "all"}, "Entities"),
])
async def test_malformed_batches_are_refused_whole(asgi_client: httpx.AsyncClient, method: str,
                                                   body: dict, prop: str) -> None:
    response = await asgi_client.request(method, "/datapoints/batch", json=body)

    assert failing_properties(response) == {prop}
    assert await counted(asgi_client, "/datapoints/count") == 0


async def test_the_recorded_update_batch_of_a_new_item_is_refused(asgi_client: httpx.AsyncClient) -> None:
    """gem:datapointtest_test_create_batch: POST updates, so an item without an id is an error."""
    results = checked_batch(await asgi_client.post("/datapoints/batch", json={"list": [link_body("new")]}))

    assert results == [{"status": "Error", "errors": [{
        "property": "Id", "errorMessage": "Specified datapoint does not exist.", "code": "0013"}]}]
    assert await counted(asgi_client, "/datapoints/count") == 0


async def test_create_batch_ignores_an_id(asgi_client: httpx.AsyncClient) -> None:
    """gem:datapointtest_test_save_batch: PUT creates, even for an item carrying an existing id."""
    first = await created_id(asgi_client, "/datapoints", link_body("first"))

    [result] = checked_batch(await asgi_client.put("/datapoints/batch", json={
        "list": [{**link_body("second"), "id": first}]}))

    assert result["status"] == "Ok" and result["result"]["id"] != first
    assert set(result) == {"status", "entityData", "result"}
    assert result["entityData"]["name"] == "second"


async def test_a_full_batch_is_accepted(asgi_client: httpx.AsyncClient) -> None:
    items = [link_body(f"n{i}") for i in range(MAX_BATCH)]

    results = checked_batch(await asgi_client.put("/datapoints/batch", json={"List": items}))

    assert {r["status"] for r in results} == {"Ok"}
    assert await counted(asgi_client, "/datapoints/count") == MAX_BATCH
