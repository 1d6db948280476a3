"""Groups: CRUD, their datapoints (list, count, create in group), deletion."""

from __future__ import annotations

import httpx
import pytest

from reconciler.server.variant import ServiceVariant
from tests.server.helpers import counted, created_id, datapoint, link_body, listed_ids, pixel_body
from tests.server.openapi_check import checked, failing_properties, failures_of

pytestmark = pytest.mark.anyio


async def group(client: httpx.AsyncClient, group_id: int) -> dict:
    return checked(await client.get(f"/groups/{group_id}"), "GET", "/groups/{id}")


async def test_group_crud(asgi_client: httpx.AsyncClient) -> None:
    group_id = await created_id(asgi_client, "/groups", {"Name": "spring", "notes": "n",
                                                        "tags": ["seasonal", {"name": "q2"}]})
    created = await group(asgi_client, group_id)
    assert set(created) == {"id", "name", "notes", "creationDate", "tags"}
    assert (created["name"], created["notes"]) == ("spring", "n")
    assert sorted(tag["name"] for tag in created["tags"]) == ["q2", "seasonal"]

    checked(await asgi_client.post(f"/groups/{group_id}", json={
        "name": "spring", "notes": "n", "preferred": True, "tags": []}), "POST", "/groups/{id}")
    updated = await group(asgi_client, group_id)
    assert (updated["name"], updated["notes"], updated["preferred"]) == ("spring", "n", True)
    assert len(updated["tags"]) == 2

    assert await listed_ids(asgi_client, "/groups") == [group_id]
    assert await counted(asgi_client, "/groups/count") == 1
    assert await listed_ids(asgi_client, "/groups", tags="q2", textSearch="SPR") == [group_id]
    assert await listed_ids(asgi_client, "/groups", tags="other") == []


async def test_replacing_update_resets_notes_and_favourite(asgi_client: httpx.AsyncClient) -> None:
    group_id = await created_id(asgi_client, "/groups", {"name": "g", "notes": "n", "preferred": True})

    checked(await asgi_client.post(f"/groups/{group_id}", json={"name": "h"}), "POST", "/groups/{id}")

    assert set(await group(asgi_client, group_id)) == {"id", "name", "creationDate", "tags"}


@pytest.mark.parametrize("service_variant", [ServiceVariant.parse("updates=merge")])
async def test_merging_update_keeps_notes_and_favourite(asgi_client: httpx.AsyncClient) -> None:
    group_id = await created_id(asgi_client, "/groups", {"name": "g", "notes": "n", "preferred": True})

    checked(await asgi_client.post(f"/groups/{group_id}", json={"name": "h"}), "POST", "/groups/{id}")

    assert (await group(asgi_client, group_id)) | {"creationDate": "-"} == {
        "id": group_id, "name": "h", "notes": "n", "preferred": True, "tags": [], "creationDate": "-"}


async def test_group_names_are_unique_among_live_groups(asgi_client: httpx.AsyncClient) -> None:
    first = await created_id(asgi_client, "/groups", {"name": "dup"})
    other = await created_id(asgi_client, "/groups", {"name": "other"})

    assert failing_properties(await asgi_client.post("/groups", json={"name": "dup"}), 403) == {"Name"}
    assert failing_properties(await asgi_client.post(f"/groups/{other}", json={"name": "dup"}),
                              403) == {"Name"}
    checked(await asgi_client.delete(f"/groups/{first}"), "DELETE", "/groups/{id}")
    await created_id(asgi_client, "/groups", {"name": "dup"})


async def test_group_datapoints(asgi_client: httpx.AsyncClient) -> None:
    group_id = await created_id(asgi_client, "/groups", {"name": "g"})
    inside = await created_id(asgi_client, f"/groups/{group_id}/datapoints", link_body("in"),
                              "/groups/{id}/datapoints", "datapoints")
    pixel = await created_id(asgi_client, f"/groups/{group_id}/datapoints", pixel_body("px"),
                             "/groups/{id}/datapoints", "datapoints")
    await created_id(asgi_client, "/datapoints", link_body("outside"))

    assert (await datapoint(asgi_client, inside))["groupId"] == group_id
    assert await listed_ids(asgi_client, f"/groups/{group_id}/datapoints",
                            "/groups/{id}/datapoints") == [inside, pixel]
    assert await listed_ids(asgi_client, f"/groups/{group_id}/datapoints",
                            "/groups/{id}/datapoints", type="tp") == [pixel]
    assert await counted(asgi_client, f"/groups/{group_id}/datapoints/count",
                         "/groups/{id}/datapoints/count") == 2


async def test_deleting_a_group_deletes_its_datapoints(asgi_client: httpx.AsyncClient) -> None:
    group_id = await created_id(asgi_client, "/groups", {"name": "short-lived"})
    member = await created_id(asgi_client, "/datapoints", link_body("member", groupId=group_id))

    checked(await asgi_client.delete(f"/groups/{group_id}"), "DELETE", "/groups/{id}")

    assert (await group(asgi_client, group_id))["deleted"] is True
    deleted_member = await datapoint(asgi_client, member)
    assert (deleted_member["status"], deleted_member["groupId"]) == (3, group_id)
    assert await listed_ids(asgi_client, "/groups") == [group_id]
    assert await listed_ids(asgi_client, "/groups", status="active") == []
    assert await listed_ids(asgi_client, "/groups", status="deleted") == [group_id]
    for response in (await asgi_client.post(f"/groups/{group_id}", json={"name": "x"}),
                     await asgi_client.delete(f"/groups/{group_id}"),
                     await asgi_client.post(f"/groups/{group_id}/datapoints", json=link_body("x"))):
        failures_of(response, 404)
    assert failing_properties(await asgi_client.post("/datapoints", json=link_body(
        "late", groupId=group_id))) == {"groupId"}


async def test_unknown_group_is_404(asgi_client: httpx.AsyncClient) -> None:
    for response in (await asgi_client.get("/groups/5"),
                     await asgi_client.get("/groups/5/datapoints"),
                     await asgi_client.get("/groups/5/datapoints/count"),
                     await asgi_client.post("/groups/5/datapoints", json=link_body("x"))):
        failures_of(response, 404)
