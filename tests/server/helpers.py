"""Server test helpers: request bodies, ids and counts read back, and visitors on a settable clock."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from reconciler.apishapes import AUTH_HEADER, DATE_FORMAT
from reconciler.server.app import create_app
from tests.server.openapi_check import checked


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


CHROME = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/120.0 Safari/537.36"
FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0"
SAFARI_IPHONE = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
                 "Version/17.0 Mobile/15E148 Safari/604.1")
GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"


class SettableClock:
    """The app's clock, set by the test: `clock.at("20260315120000")`."""

    def __init__(self, stamp: str) -> None:
        self.now = _parse(stamp)

    def __call__(self) -> datetime:
        return self.now

    def at(self, stamp: str) -> None:
        self.now = _parse(stamp)

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@asynccontextmanager
async def clocked_client(db_path: Path, api_key: str, clock: SettableClock,
                         **settings: Any) -> AsyncIterator[httpx.AsyncClient]:
    """An in-process client of an app on `clock` (and any other `create_app` settings)."""
    app = create_app(db_path, clock=clock, **settings)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://local",
                                 headers={AUTH_HEADER: api_key}) as client:
        yield client


async def visit(client: httpx.AsyncClient, path: str, *, ip: str = "203.0.113.7",
                agent: str = CHROME, **headers: str) -> httpx.Response:
    """A visitor's GET of a tracking path (`X-Forwarded-For` sets their address)."""
    sent = {"x-forwarded-for": ip, "user-agent": agent,
            **{name.replace("_", "-"): value for name, value in headers.items()}}
    return await client.get(path, headers=sent)


async def visit_at(client: httpx.AsyncClient, clock: SettableClock, stamp: str, path: str,
                   **visitor: Any) -> httpx.Response:
    """`visit` with the clock set to `stamp` (YmdHis) first."""
    clock.at(stamp)
    return await visit(client, path, **visitor)


def _parse(stamp: str) -> datetime:
    return datetime.strptime(stamp, DATE_FORMAT).replace(tzinfo=UTC)
