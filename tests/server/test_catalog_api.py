"""Domains, retargeting scripts and the account endpoints."""

from __future__ import annotations

import httpx
import pytest

from tests.server.helpers import counted, created_id, datapoint, link_body, listed_ids
from tests.server.openapi_check import checked, failing_properties, failures_of

pytestmark = pytest.mark.anyio


async def test_every_account_has_the_system_domain(asgi_client: httpx.AsyncClient) -> None:
    [system_id] = await listed_ids(asgi_client, "/domains")

    system = checked(await asgi_client.get(f"/domains/{system_id}"), "GET", "/domains/{id}")

    assert system == {"id": system_id, "name": "go.clickmeter.test"}


async def test_personal_domains(asgi_client: httpx.AsyncClient) -> None:
    domain_id = await created_id(asgi_client, "/domains", {"Name": "Go.Example.TEST",
                                                          "custom404": "https://example.com/404"})

    created = checked(await asgi_client.get(f"/domains/{domain_id}"), "GET", "/domains/{id}")
    assert created == {"id": domain_id, "name": "go.example.test",
                       "custom404": "https://example.com/404"}
    assert await listed_ids(asgi_client, "/domains", type="personal") == [domain_id]
    assert await listed_ids(asgi_client, "/domains", type="personal", name="nothing") == []
    assert await counted(asgi_client, "/domains/count", type="system") == 1
    assert failing_properties(await asgi_client.post("/domains", json={"name": "go.example.test"}),
                              403) == {"Name"}
    assert failing_properties(await asgi_client.post("/domains", json={"name": "no spaces.com"})) \
        == {"name"}
    # gem:domaintest_test_create sends "type": "system": accepted, a personal domain made
    system_typed = await created_id(asgi_client, "/domains", {"name": "sys.example.com", "type": "system"})
    assert system_typed in await listed_ids(asgi_client, "/domains", type="personal")
    failures_of(await asgi_client.get("/domains/999"), 404)


async def test_deleting_a_domain(asgi_client: httpx.AsyncClient) -> None:
    [system_id] = await listed_ids(asgi_client, "/domains")
    unused = await created_id(asgi_client, "/domains", {"name": "unused.example.com"})
    used = await created_id(asgi_client, "/domains", {"name": "used.example.com"})
    await created_id(asgi_client, "/datapoints", link_body("x", typeTL={"domainId": used}))

    assert (await asgi_client.delete(f"/domains/{unused}")).json() == {"id": unused, "uri": f"/domains/{unused}"}
    assert failing_properties(await asgi_client.delete(f"/domains/{used}")) == {"id"}
    assert failing_properties(await asgi_client.delete(f"/domains/{system_id}")) == {"id"}
    failures_of(await asgi_client.get(f"/domains/{unused}"), 404)


async def test_retargeting_crud_and_datapoints(asgi_client: httpx.AsyncClient) -> None:
    script_id = await created_id(asgi_client, "/retargeting", {"name": "site", "script": "<js/>"})
    other_id = await created_id(asgi_client, "/retargeting", {"name": "other"})
    linked = await created_id(asgi_client, "/datapoints", link_body(
        "l", typeTL={"scripts": [{"id": script_id}, {"name": "other"}]}))

    assert checked(await asgi_client.get(f"/retargeting/{script_id}"), "GET", "/retargeting/{id}") \
        == {"id": script_id, "name": "site", "script": "<js/>"}
    checked(await asgi_client.post(f"/retargeting/{script_id}", json={"name": "site", "script": "<v2/>"}),
            "POST", "/retargeting/{id}")
    assert (await asgi_client.get(f"/retargeting/{script_id}")).json()["script"] == "<v2/>"
    assert failing_properties(await asgi_client.post(f"/retargeting/{other_id}",
                                                     json={"name": "site"}), 403) == {"Name"}
    assert await listed_ids(asgi_client, "/retargeting") == [script_id, other_id]
    assert await counted(asgi_client, "/retargeting/count") == 2
    assert await listed_ids(asgi_client, f"/retargeting/{script_id}/datapoints",
                            "/retargeting/{id}/datapoints") == [linked]
    assert await counted(asgi_client, f"/retargeting/{other_id}/datapoints/count",
                         "/retargeting/{id}/datapoints/count") == 1

    checked(await asgi_client.delete(f"/retargeting/{script_id}"), "DELETE", "/retargeting/{id}")
    assert (await datapoint(asgi_client, linked))["typeTL"]["scripts"] == [
        {"id": other_id, "name": "other"}]
    failures_of(await asgi_client.get(f"/retargeting/{script_id}"), 404)
    failures_of(await asgi_client.get(f"/retargeting/{script_id}/datapoints"), 404)


@pytest.mark.parametrize("path", ["/account", "/me"])
async def test_account(asgi_client: httpx.AsyncClient, path: str) -> None:
    account = checked(await asgi_client.get(path), "GET", path)

    assert account["timezonename"] == "UTC"
    assert len(account["registrationDate"]) == 14
