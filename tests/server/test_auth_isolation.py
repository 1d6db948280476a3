"""Auth and account isolation: a key is an account; other accounts' ids are 404, never visible."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from starlette.applications import Starlette

from reconciler.apishapes import AUTH_HEADER
from reconciler.server.db import register_account
from tests.server.helpers import counted, created_id, datapoint, link_body, listed_ids
from tests.server.openapi_check import failing_properties, failures_of

pytestmark = pytest.mark.anyio

OTHER_KEY = "the-other-account-key"


@pytest.fixture
async def other_client(app: Starlette, db_path) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the same app as a second account."""
    register_account(db_path, OTHER_KEY)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://local",
                                 headers={AUTH_HEADER: OTHER_KEY}) as client:
        yield client


@pytest.mark.parametrize("headers", [{}, {AUTH_HEADER: "not-a-registered-key"}, {AUTH_HEADER: ""}])
async def test_missing_or_unknown_key_is_401(app: Starlette, headers: dict[str, str]) -> None:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://local", headers=headers) as client:
        for response in (await client.get("/datapoints"), await client.get("/account"),
                         await client.post("/groups", json={"name": "x"})):
            assert failing_properties(response, 401) == {AUTH_HEADER}


async def test_key_never_echoed_in_errors(app: Starlette) -> None:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://local",
                                 headers={AUTH_HEADER: "secret-guess-123"}) as client:
        response = await client.get("/datapoints")
    assert failing_properties(response, 401) == {AUTH_HEADER}
    assert "secret-guess-123" not in response.text


async def test_accounts_are_isolated(asgi_client: httpx.AsyncClient,
                                     other_client: httpx.AsyncClient) -> None:
    group_id = await created_id(asgi_client, "/groups", {"name": "mine"})
    tag_id = await created_id(asgi_client, "/tags", {"name": "mine"})
    conversion_id = await created_id(asgi_client, "/conversions", {"name": "mine"})
    script_id = await created_id(asgi_client, "/retargeting", {"name": "mine"})
    datapoint_id = await created_id(asgi_client, "/datapoints", link_body("mine", groupId=group_id))

    for path in ("/datapoints", "/groups", "/tags", "/conversions", "/retargeting"):
        assert await listed_ids(other_client, path) == []
    assert await counted(other_client, "/datapoints/count") == 0
    for response in (
            await other_client.get(f"/datapoints/{datapoint_id}"),
            await other_client.post(f"/datapoints/{datapoint_id}", json={"title": "x"}),
            await other_client.delete(f"/datapoints/{datapoint_id}"),
            await other_client.get(f"/groups/{group_id}"),
            await other_client.get(f"/groups/{group_id}/datapoints"),
            await other_client.get(f"/tags/{tag_id}"),
            await other_client.put(f"/tags/{tag_id}/name", json={"Text": "x"}),
            await other_client.get(f"/conversions/{conversion_id}"),
            await other_client.get(f"/retargeting/{script_id}"),
            await other_client.get("/domains/1")):
        failures_of(response, 404)
    assert (await other_client.request("DELETE", "/datapoints/batch", json={
        "Entities": [{"id": datapoint_id}]})).json()["results"][0]["status"] == "Error"


async def test_same_names_in_two_accounts(asgi_client: httpx.AsyncClient,
                                          other_client: httpx.AsyncClient) -> None:
    created = [(await created_id(client, "/groups", {"name": "shared"}),
                await created_id(client, "/datapoints", link_body("shared")))
               for client in (asgi_client, other_client)]
    for client, (group_id, datapoint_id) in zip((asgi_client, other_client), created, strict=True):
        assert await listed_ids(client, "/groups") == [group_id]
        assert await listed_ids(client, "/datapoints") == [datapoint_id]
        assert (await datapoint(client, datapoint_id))["name"] == "shared"


async def test_references_to_another_accounts_entities_are_refused(
        asgi_client: httpx.AsyncClient, other_client: httpx.AsyncClient) -> None:
    foreign_group = await created_id(other_client, "/groups", {"name": "theirs"})
    foreign_tag = await created_id(other_client, "/tags", {"name": "theirs"})
    foreign_datapoint = await created_id(other_client, "/datapoints", link_body("theirs"))
    [foreign_domain] = await listed_ids(other_client, "/domains")
    mine = await created_id(asgi_client, "/tags", {"name": "mine"})

    response = await asgi_client.post("/datapoints", json=link_body(
        "x", groupId=foreign_group, tags=[{"id": foreign_tag}], typeTL={"domainId": foreign_domain}))

    assert failing_properties(response) == {"groupId", "tags[0].id", "typeTL.domainId"}
    failures_of(await asgi_client.put(f"/tags/{mine}/datapoints/patch",
                                      json={"Action": "add", "Id": foreign_datapoint}), 404)
