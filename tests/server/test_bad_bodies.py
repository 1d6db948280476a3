"""Every kind of bad body gets a 400 with ValidationFailures naming the property; nothing is written."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.server.helpers import counted, link_body
from tests.server.openapi_check import failing_properties, failures_of

pytestmark = pytest.mark.anyio

CREATE_PATHS = ["/datapoints", "/groups", "/tags", "/conversions", "/domains", "/retargeting"]


@pytest.mark.parametrize("path", CREATE_PATHS)
@pytest.mark.parametrize("raw", [b"", b"   ", b"{not json", b"[1, 2]", b'"text"', b"null",
                                 b"\xff\xfe"])
async def test_non_object_bodies(asgi_client: httpx.AsyncClient, path: str, raw: bytes) -> None:
    response = await asgi_client.post(path, content=raw, headers={"Content-Type": "application/json"})

    assert failing_properties(response) == {None}


@pytest.mark.parametrize("path", CREATE_PATHS)
async def test_missing_or_blank_name(asgi_client: httpx.AsyncClient, path: str) -> None:
    body: dict[str, Any] = {"type": 1} if path == "/datapoints" else {}
    assert "name" in failing_properties(await asgi_client.post(path, json=body))
    assert "name" in failing_properties(await asgi_client.post(path, json={**body, "name": "  "}))
    assert "name" in failing_properties(await asgi_client.post(path, json={**body, "name": 42}))


@pytest.mark.parametrize("body, properties", [
    ({"name": "x", "typeTL": {"url": "https://a.example"}}, {"type"}),
    ({"type": "Banner", "name": "x"}, {"type"}),
    ({"type": 7, "name": "x"}, {"type"}),
    ({"type": 0, "name": "x"}, {"typeTL.url"}),
    ({"type": 0, "name": "x", "typeTL": "https://a.example"}, {"typeTL"}),
    (link_body("x", "mailto:someone@example.com"), {"typeTL.url"}),
    (link_body("x", typeTL={"redirectType": 302}), {"typeTL.redirectType"}),
    (link_body("x", typeTL={"domainId": "first"}), {"typeTL.domainId"}),
    (link_body("x", typeTL={"password": 1234}), {"typeTL.password"}),
    (link_body("x", typeTL={"scripts": "all"}), {"typeTL.scripts"}),
    (link_body("a/b"), {"name"}),
    (link_body("has space"), {"name"}),
    (link_body("x", title=["t"]), {"title"}),
    (link_body("x", notes="n" * 5000), {"notes"}),
    (link_body("x", preferred="often"), {"preferred"}),
    (link_body("x", status=3), {"status"}),
    (link_body("x", groupId=-3), {"groupId"}),
    (link_body("x", groupId=True), {"groupId"}),
    (link_body("x", tags="sale"), {"tags"}),
    (link_body("x", tags=[{"colour": "red"}]), {"tags[0]"}),
    (link_body("x", fifthConversionId="c"), {"fifthConversionId"}),
    ({"type": "Banner", "name": "", "preferred": "x"}, {"type", "name", "preferred"}),
])
async def test_bad_datapoint_fields(asgi_client: httpx.AsyncClient, body: dict[str, Any],
                                    properties: set[str]) -> None:
    response = await asgi_client.post("/datapoints", json=body)

    assert failing_properties(response) == properties
    assert await counted(asgi_client, "/datapoints/count") == 0


@pytest.mark.parametrize("path, body, properties", [
    ("/groups", {"name": "g", "preferred": "yes please"}, {"preferred"}),
    ("/groups", {"name": "g", "tags": "one"}, {"tags"}),
    ("/conversions", {"name": "c", "value": -1}, {"value"}),
    ("/conversions", {"name": "c", "protocol": "gopher"}, {"protocol"}),
    ("/domains", {"name": "example"}, {"name"}),
    ("/retargeting", {"name": "r", "script": {"src": "x"}}, {"script"}),
])
async def test_bad_fields_of_other_entities(asgi_client: httpx.AsyncClient, path: str,
                                            body: dict[str, Any], properties: set[str]) -> None:
    assert failing_properties(await asgi_client.post(path, json=body)) == properties


async def test_a_bad_password_is_never_echoed(asgi_client: httpx.AsyncClient) -> None:
    secret = "correct-horse-battery-staple-" * 10

    response = await asgi_client.post("/datapoints", json=link_body("x", typeTL={"password": secret}))

    assert failing_properties(response) == {"typeTL.password"}
    assert "correct-horse" not in response.text


async def test_unknown_route_and_wrong_method_answer_failure_lists(
        asgi_client: httpx.AsyncClient) -> None:
    failures_of(await asgi_client.get("/no/such/route"), 404)
    failures_of(await asgi_client.patch("/datapoints"), 405)
