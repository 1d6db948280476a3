"""Shared by the traffic, statistics and faults tests: a settable clock, an app on it, visits."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from reconciler.apishapes import AUTH_HEADER, DATE_FORMAT
from reconciler.server.app import create_app

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
