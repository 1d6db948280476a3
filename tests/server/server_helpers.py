"""Small builders shared by the server tests: bodies and "create, check, return the id"."""

from __future__ import annotations

from typing import Any

import httpx
from openapi_check import checked


def link_body(name: str, url: str = "https://shop.example.com/", **fields: Any) -> dict[str, Any]:
    """A tracking-link body as every published client sends it (numeric enums)."""
    link = {"url": url, **fields.pop("typeTL", {})}
    return {"type": 0, "name": name, "typeTL": link, **fields}


def pixel_body(name: str, **fields: Any) -> dict[str, Any]:
    """A tracking-pixel body."""
    return {"type": 1, "name": name, **fields}


async def created_id(client: httpx.AsyncClient, path: str, body: dict[str, Any],
                     openapi_path: str | None = None, collection: str | None = None) -> int:
    """POST `body` to a create endpoint, check the `{id, uri}` answer, return the id."""
    answer = checked(await client.post(path, json=body), "POST", openapi_path or path)
    assert answer["uri"] == f"/{collection or path.strip('/')}/{answer['id']}"
    return answer["id"]


async def datapoint(client: httpx.AsyncClient, datapoint_id: int) -> dict[str, Any]:
    """`GET /datapoints/{id}`, checked against the documented Datapoint."""
    return checked(await client.get(f"/datapoints/{datapoint_id}"), "GET", "/datapoints/{id}")


async def listed_ids(client: httpx.AsyncClient, path: str, openapi_path: str | None = None,
                     **params: Any) -> list[int]:
    """The ids a list endpoint answers, its body checked against the documented list."""
    body = checked(await client.get(path, params=params), "GET", openapi_path or path)
    return [entity["id"] for entity in body["entities"]]


async def counted(client: httpx.AsyncClient, path: str, openapi_path: str | None = None,
                  **params: Any) -> int:
    """The `count` a count endpoint answers, checked."""
    return checked(await client.get(path, params=params), "GET", openapi_path or path)["count"]
