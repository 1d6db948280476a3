"""Conversions: CRUD and their datapoints (list, count, patch, batch patch, five slots)."""

from __future__ import annotations

import httpx
import pytest

from reconciler.apishapes import CONVERSION_ID_FIELDS
from tests.server.helpers import counted, created_id, datapoint, link_body, listed_ids
from tests.server.openapi_check import checked, checked_batch, failing_properties, failures_of

pytestmark = pytest.mark.anyio


async def conversion(client: httpx.AsyncClient, conversion_id: int) -> dict:
    return checked(await client.get(f"/conversions/{conversion_id}"), "GET",
                   "/conversions/{conversionId}")


async def test_conversion_crud(asgi_client: httpx.AsyncClient) -> None:
    conversion_id = await created_id(asgi_client, "/conversions", {
        "name": "signup", "value": 12.5, "protocol": 1, "description": "Account created"})

    created = await conversion(asgi_client, conversion_id)
    assert {k: created[k] for k in ("name", "value", "protocol", "description")} == \
        {"name": "signup", "value": 12.5, "protocol": 1, "description": "Account created"}
    assert "deleted" not in created and len(created["code"]) == 32

    checked(await asgi_client.post(f"/conversions/{conversion_id}", json={"name": "signup", "value": 3}),
            "POST", "/conversions/{conversionId}")
    updated = await conversion(asgi_client, conversion_id)
    assert set(updated) == {"id", "name", "code", "creationDate", "value"}  # the rest reset
    assert (updated["value"], updated["name"], updated["code"]) == (3.0, "signup", created["code"])

    assert failing_properties(await asgi_client.post("/conversions", json={"name": "signup"}), 403) \
        == {"Name"}
    assert failing_properties(await asgi_client.post("/conversions", json={
        "name": "x", "value": "lots", "protocol": "ftp"})) == {"value", "protocol"}
    assert await listed_ids(asgi_client, "/conversions", textSearch="sign") == [conversion_id]
    assert await counted(asgi_client, "/conversions/count") == 1


async def test_deleting_a_conversion_frees_its_slots(asgi_client: httpx.AsyncClient) -> None:
    conversion_id = await created_id(asgi_client, "/conversions", {"name": "c"})
    linked = await created_id(asgi_client, "/datapoints", link_body("l", firstConversionId=conversion_id))

    checked(await asgi_client.delete(f"/conversions/{conversion_id}"), "DELETE",
            "/conversions/{conversionId}")

    assert (await conversion(asgi_client, conversion_id))["deleted"] is True
    assert "firstConversionId" not in await datapoint(asgi_client, linked)
    assert await listed_ids(asgi_client, "/conversions") == [conversion_id]
    assert await listed_ids(asgi_client, "/conversions", status="active") == []
    assert await listed_ids(asgi_client, "/conversions", status="deleted") == [conversion_id]
    failures_of(await asgi_client.post(f"/conversions/{conversion_id}", json={"name": "c"}), 404)
    await created_id(asgi_client, "/conversions", {"name": "c"})


async def test_patch_fills_free_slots_up_to_five(asgi_client: httpx.AsyncClient) -> None:
    conversions = [await created_id(asgi_client, "/conversions", {"name": f"c{n}"}) for n in range(6)]
    datapoint_id = await created_id(asgi_client, "/datapoints", link_body("busy"))

    for conversion_id in conversions[:5]:
        checked(await asgi_client.put(f"/conversions/{conversion_id}/datapoints/patch",
                                      json={"Action": "add", "Id": datapoint_id}),
                "PUT", "/conversions/{conversionId}/datapoints/patch")
    full = await asgi_client.put(f"/conversions/{conversions[5]}/datapoints/patch",
                                 json={"Action": "add", "Id": datapoint_id})

    assert failing_properties(full) == {"Id"}
    stored = await datapoint(asgi_client, datapoint_id)
    assert [stored[field] for field in CONVERSION_ID_FIELDS] == conversions[:5]

    await asgi_client.put(f"/conversions/{conversions[1]}/datapoints/patch",
                          json={"Action": "remove", "Id": datapoint_id})
    await asgi_client.put(f"/conversions/{conversions[5]}/datapoints/patch",
                          json={"Action": "add", "Id": datapoint_id})
    refilled = await datapoint(asgi_client, datapoint_id)
    assert refilled["secondConversionId"] == conversions[5]
    assert await listed_ids(asgi_client, f"/conversions/{conversions[5]}/datapoints",
                            "/conversions/{conversionId}/datapoints") == [datapoint_id]
    assert await counted(asgi_client, f"/conversions/{conversions[1]}/datapoints/count",
                         "/conversions/{conversionId}/datapoints/count") == 0


async def test_patch_replace_id_takes_the_replaced_slot(asgi_client: httpx.AsyncClient) -> None:
    old = await created_id(asgi_client, "/conversions", {"name": "old"})
    new = await created_id(asgi_client, "/conversions", {"name": "new"})
    datapoint_id = await created_id(asgi_client, "/datapoints", link_body("d", firstConversionId=old))

    await asgi_client.put(f"/conversions/{new}/datapoints/patch",
                          json={"Action": "add", "Id": datapoint_id, "ReplaceId": old})

    stored = await datapoint(asgi_client, datapoint_id)
    assert (stored["firstConversionId"], stored["firstConversionName"]) == (new, "new")


async def test_batch_patch_item_by_item(asgi_client: httpx.AsyncClient) -> None:
    conversion_id = await created_id(asgi_client, "/conversions", {"name": "c"})
    first = await created_id(asgi_client, "/datapoints", link_body("a"))
    second = await created_id(asgi_client, "/datapoints", link_body("b"))
    requests = [{"Action": "add", "Id": first}, {"Action": "add", "Id": 999},
                {"Action": "jump", "Id": second}, {"Action": "add", "Id": second}, "junk"]

    results = checked_batch(await asgi_client.put(
        f"/conversions/{conversion_id}/datapoints/batch/patch", json={"PatchRequests": requests}))

    assert [r["status"] for r in results] == ["Ok", "Error", "Error", "Ok", "Error"]
    assert results[0]["result"] == {"id": first, "uri": f"/datapoints/{first}"}
    assert await listed_ids(asgi_client, f"/conversions/{conversion_id}/datapoints",
                            "/conversions/{conversionId}/datapoints") == [first, second]
    assert failing_properties(await asgi_client.put(
        f"/conversions/{conversion_id}/datapoints/batch/patch", json={"PatchRequests": []})) \
        == {"PatchRequests"}
    failures_of(await asgi_client.put("/conversions/999/datapoints/batch/patch",
                                      json={"PatchRequests": [{"Action": "add", "Id": first}]}), 404)
