"""The scenario account (see `helpers.py`) on a fresh database, and clients of it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette

from reconciler.clickmeter.client import ClickMeterClient
from reconciler.manifests import load_manifests
from reconciler.model import DesiredState
from reconciler.server.app import create_app
from reconciler.server.variant import ServiceVariant
from reconciler.target import local_service_variant
from tests.helpers import serving_app
from tests.server.helpers import SettableClock
from tests.stats.helpers import MANIFEST, TODAY_NOON, seed_scenario


@pytest.fixture
def clock() -> SettableClock:
    return SettableClock(TODAY_NOON)


@pytest.fixture
def clocked_app(db_path: Path, api_key: str, clock: SettableClock) -> Starlette:
    """The server on `db_path` with the fake clock (the tracking paths record at its time)."""
    return create_app(db_path, clock=clock, variant=local_service_variant())


@pytest.fixture
def scenario_ids(clocked_app: Starlette, clock: SettableClock, api_key: str) -> dict[str, int]:
    """The scenario recorded in `db_path`; the datapoint ids by name."""
    return asyncio.run(seed_scenario(clocked_app, clock, api_key))


@pytest.fixture
def manifests(tmp_path: Path) -> Path:
    folder = tmp_path / "manifests"
    folder.mkdir()
    (folder / "links.yaml").write_text(MANIFEST)
    return folder


@pytest.fixture
def desired(manifests: Path) -> DesiredState:
    return load_manifests([str(manifests)])


@pytest.fixture
async def stats_client(clocked_app: Starlette, api_key: str) -> AsyncIterator[ClickMeterClient]:
    """A client of the clocked app, counting its calls."""
    async with ClickMeterClient("http://local", api_key,
                                transport=httpx.ASGITransport(app=clocked_app)) as client:
        yield client


@pytest.fixture
def clocked_server(clocked_app: Starlette) -> Iterator[str]:
    """The clocked app served by uvicorn on 127.0.0.1, for the CLI's URL target; no lifespan, so
    the in-process fixtures may keep using its database afterwards."""
    with serving_app(clocked_app, lifespan="off") as url:
        yield url


@pytest.fixture(autouse=True)
def service_variant(local_service: ServiceVariant) -> ServiceVariant:
    """Every test here runs against each plausible live service (`SERVICE_VARIANTS`)."""
    return local_service
