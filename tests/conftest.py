"""Shared fixtures: a fresh local-server database, its app, an in-process client, a live server.

Async tests use anyio's pytest plugin (shipped with anyio): mark them
`@pytest.mark.anyio` (or `pytestmark = pytest.mark.anyio` per module); the
`anyio_backend` fixture below pins asyncio.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette

from reconciler.apishapes import AUTH_HEADER
from reconciler.server.app import create_app
from reconciler.server.db import register_account
from reconciler.server.variant import ServiceVariant
from reconciler.target import LOCAL_SERVICE_VARIABLE, local_service_variant
from tests.helpers import SERVICE_VARIANTS, TEST_API_KEY, serving_app


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    """A fresh SQLite file for the local server (created on first use)."""
    return tmp_path / "local.db"


@pytest.fixture
def api_key(db_path: Path) -> str:
    """An API key registered in `db_path`."""
    register_account(db_path, TEST_API_KEY)
    return TEST_API_KEY


@pytest.fixture(params=SERVICE_VARIANTS)
def local_service(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> ServiceVariant:
    """One of `SERVICE_VARIANTS`, for the local target (`CLICKMETER_LOCAL_SERVICE`) and for the
    apps that tests make (`local_service_variant()`). A folder's conftest makes it autouse."""
    monkeypatch.setenv(LOCAL_SERVICE_VARIABLE, request.param)
    return ServiceVariant.parse(request.param)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked `default_service_only` (the long fault runs: the suite's time) run on the
    default service alone; every other end-to-end test covers each of `SERVICE_VARIANTS`."""
    keep, drop = [], []
    for item in items:
        callspec = getattr(item, "callspec", None)
        variant = callspec.params.get("local_service", "default") if callspec else "default"
        other = variant != "default" and item.get_closest_marker("default_service_only")
        (drop if other else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


@pytest.fixture
def service_variant() -> ServiceVariant:
    """Which plausible live service `app` is: the default one (parametrize to choose another,
    e.g. `@pytest.mark.parametrize("service_variant", [ServiceVariant.parse("no-expand")])`)."""
    return ServiceVariant()


@pytest.fixture
def app(db_path: Path, api_key: str, service_variant: ServiceVariant) -> Starlette:
    """The server app on `db_path` (no throttling, latency or faults)."""
    return create_app(db_path, variant=service_variant)


@pytest.fixture
async def asgi_client(app: Starlette, api_key: str) -> AsyncIterator[httpx.AsyncClient]:
    """An in-process client of `app`, authenticated as `api_key`."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://local",
                                 headers={AUTH_HEADER: api_key}) as client:
        yield client


@pytest.fixture
def live_server(db_path: Path, api_key: str) -> Iterator[str]:
    """A real uvicorn server for `db_path` on 127.0.0.1 in a thread; yields its base URL."""
    with serving_app(create_app(db_path, variant=local_service_variant())) as url:
        yield url
