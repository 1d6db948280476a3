"""Clients of the real local server: in-process, over loopback, and through `serve`."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from starlette.applications import Starlette

from reconciler.clickmeter.client import ClickMeterClient


@pytest.fixture
async def client(app: Starlette, api_key: str) -> AsyncIterator[ClickMeterClient]:
    """The client on the in-process app, with short retry delays."""
    async with ClickMeterClient("http://local", api_key, transport=httpx.ASGITransport(app=app),
                                backoff=0.01) as cm:
        yield cm


@pytest.fixture
async def live_client(live_server: str, api_key: str) -> AsyncIterator[ClickMeterClient]:
    """The client over loopback HTTP to a live uvicorn server."""
    async with ClickMeterClient(live_server, api_key, backoff=0.01) as cm:
        yield cm
