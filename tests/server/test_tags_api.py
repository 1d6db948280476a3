"""Tags: CRUD, rename, and their links to datapoints and groups."""

from __future__ import annotations

import httpx
import pytest

from tests.server.helpers import counted, created_id, datapoint, link_body, listed_ids
from tests.server.openapi_check import assert_valid, checked, failing_properties, failures_of

pytestmark = pytest.mark.anyio


async def tag(client: httpx.AsyncClient, tag_id: int) -> dict:
    return checked(await client.get(f"/tags/{tag_id}"), "GET", "/tags/{tagId}")


async def test_tag_crud_and_rename(asgi_client: httpx.AsyncClient) -> None:
    tag_id = await created_id(asgi_client, "/tags", {"name": "promo"})
    other = await created_id(asgi_client, "/tags", {"name": "other"})

    assert await tag(asgi_client, tag_id) == {"id": tag_id, "name": "promo", "datapoints": [],
                                              "groups": []}
    assert failing_properties(await asgi_client.post("/tags", json={"name": "promo"}), 403) == {"Name"}
    checked(await asgi_client.put(f"/tags/{tag_id}/name", json={"Text": "deal"}),
            "PUT", "/tags/{tagId}/name")
    assert (await tag(asgi_client, tag_id))["name"] == "deal"
    assert failing_properties(await asgi_client.put(f"/tags/{other}/name", json={"Text": "deal"}),
                              403) == {"Name"}
    assert failing_properties(await asgi_client.put(f"/tags/{other}/name", json={"Text": " "})) \
        == {"Text"}

    assert await listed_ids(asgi_client, "/tags") == [tag_id, other]
    assert await listed_ids(asgi_client, "/tags", name="DEA") == [tag_id]
    count = checked(await asgi_client.get("/tags/count"), "GET", "/tags/count")
    assert_valid(count, "Api.Core.Responses.CountResponce")
    assert count == {"count": 2}

    checked(await asgi_client.delete(f"/tags/{other}"), "DELETE", "/tags/{tagId}")
    failures_of(await asgi_client.get(f"/tags/{other}"), 404)


async def test_tag_datapoint_patch_list_count_and_clear(asgi_client: httpx.AsyncClient) -> None:
    tag_id = await created_id(asgi_client, "/tags", {"name": "t"})
    first = await created_id(asgi_client, "/datapoints", link_body("one"))
    second = await created_id(asgi_client, "/datapoints", link_body("two"))
    patch = f"/tags/{tag_id}/datapoints/patch"

    for datapoint_id in (first, second, second):
        checked(await asgi_client.put(patch, json={"Action": "add", "Id": datapoint_id}),
                "PUT", "/tags/{tagId}/datapoints/patch")

    assert await listed_ids(asgi_client, f"/tags/{tag_id}/datapoints",
                            "/tags/{tagId}/datapoints") == [first, second]
    assert await counted(asgi_client, f"/tags/{tag_id}/datapoints/count",
                         "/tags/{tagId}/datapoints/count") == 2
    assert (await tag(asgi_client, tag_id))["datapoints"] == [first, second]
    assert [t["name"] for t in (await datapoint(asgi_client, first))["tags"]] == ["t"]

    await asgi_client.put(patch, json={"action": "REMOVE", "id": first})
    assert await listed_ids(asgi_client, f"/tags/{tag_id}/datapoints",
                            "/tags/{tagId}/datapoints") == [second]

    checked(await asgi_client.delete(f"/tags/{tag_id}/datapoints"), "DELETE",
            "/tags/{tagId}/datapoints")
    assert (await datapoint(asgi_client, second))["tags"] == []


async def test_tag_patch_errors(asgi_client: httpx.AsyncClient) -> None:
    tag_id = await created_id(asgi_client, "/tags", {"name": "t"})
    patch = f"/tags/{tag_id}/datapoints/patch"

    assert failing_properties(await asgi_client.put(patch, json={"Action": "toggle", "Id": "x"})) \
        == {"Action", "Id"}
    failures_of(await asgi_client.put(patch, json={"Action": "add", "Id": 404}), 404)
    failures_of(await asgi_client.put("/tags/999/datapoints/patch",
                                      json={"Action": "add", "Id": 1}), 404)
    failures_of(await asgi_client.get("/tags/999/datapoints"), 404)


async def test_tag_group_patch(asgi_client: httpx.AsyncClient) -> None:
    tag_id = await created_id(asgi_client, "/tags", {"name": "t"})
    group_id = await created_id(asgi_client, "/groups", {"name": "g"})
    patch = f"/tags/{tag_id}/groups/patch"

    checked(await asgi_client.put(patch, json={"Action": "add", "Id": group_id}),
            "PUT", "/tags/{tagId}/groups/patch")
    linked = checked(await asgi_client.get(f"/groups/{group_id}"), "GET", "/groups/{id}")
    assert [t["name"] for t in linked["tags"]] == ["t"]
    assert (await tag(asgi_client, tag_id))["groups"] == [group_id]
    assert await listed_ids(asgi_client, "/tags", groups=str(group_id)) == [tag_id]

    checked(await asgi_client.put(patch, json={"Action": "remove", "Id": group_id}),
            "PUT", "/tags/{tagId}/groups/patch")
    assert (await tag(asgi_client, tag_id))["groups"] == []
    failures_of(await asgi_client.put(patch, json={"Action": "add", "Id": 999}), 404)

    await asgi_client.put(patch, json={"Action": "add", "Id": group_id})
    checked(await asgi_client.delete(f"/tags/{tag_id}/groups"), "DELETE", "/tags/{tagId}/groups")
    assert (await tag(asgi_client, tag_id))["groups"] == []


async def test_tag_list_filters(asgi_client: httpx.AsyncClient) -> None:
    on_link = await created_id(asgi_client, "/tags", {"name": "on-link"})
    on_pixel = await created_id(asgi_client, "/tags", {"name": "on-pixel"})
    link = await created_id(asgi_client, "/datapoints", link_body("l", tags=[{"id": on_link}]))
    await created_id(asgi_client, "/datapoints", {"type": 1, "name": "p",
                                                 "tags": [{"id": on_pixel}]})

    assert await listed_ids(asgi_client, "/tags", datapoints=str(link)) == [on_link]
    assert await listed_ids(asgi_client, "/tags", type="tp") == [on_pixel]
    assert failing_properties(await asgi_client.get("/tags", params={"datapoints": "x"})) \
        == {"datapoints"}


async def test_deleting_a_tag_unmarks_everything(asgi_client: httpx.AsyncClient) -> None:
    tag_id = await created_id(asgi_client, "/tags", {"name": "t"})
    marked = await created_id(asgi_client, "/datapoints", link_body("m", tags=[{"id": tag_id}]))

    checked(await asgi_client.delete(f"/tags/{tag_id}"), "DELETE", "/tags/{tagId}")

    assert (await datapoint(asgi_client, marked))["tags"] == []
    assert await listed_ids(asgi_client, "/datapoints", tags="t") == []
