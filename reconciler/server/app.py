"""The local ClickMeter-compatible server: a Starlette app over one SQLite file.

`create_app` wires three kinds of parts, in this order:

* CRUD routes (datapoints, groups, tags, conversions, domains, retargeting,
  account), from `crud_routes()`;
* the statistics, clickstream and traffic routes (`statistics.py`,
  `clickstream.py`, `traffic.py`). Path order matters: the traffic catch-all
  `/{domain}/{name}` comes last. CRUD routes use `{id:id}` converters (Int64
  ids, `requests.IdConvertor`), so `/datapoints/aggregated` never matches
  `/datapoints/{id:id}`. A new part
  adds its `..._routes()` to the `routes` list in `create_app`;
* middleware: `StripTrailingSlash`, then throttling, latency and faults
  (`faults.FaultInjection`). A new one adds its `Middleware(...)` to the
  `middleware` list. The settings are on `app.state.settings`
  (`ServerSettings`), the database on `app.state.store`.

Handlers raise `responses.ApiError` for any error answer; the app turns it into
the recorded `{"errors": [...]}` body. `context.account_of(request)`
gives the caller's account id (401 otherwise).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from starlette.applications import Starlette
from starlette.convertors import register_url_convertor
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Receive, Scope, Send

from reconciler.server.account import account_routes
from reconciler.server.clickstream import clickstream_routes
from reconciler.server.conversions import conversion_routes
from reconciler.server.datapoints import datapoint_routes
from reconciler.server.db import Store
from reconciler.server.domains import domain_routes
from reconciler.server.faults import FaultInjection
from reconciler.server.groups import group_routes
from reconciler.server.requests import IdConvertor
from reconciler.server.responses import ApiError, JSONAnswer, error_answer, errors_body, failure
from reconciler.server.retargeting import retargeting_routes
from reconciler.server.statistics import statistics_routes
from reconciler.server.tags import tag_routes
from reconciler.server.traffic import traffic_routes
from reconciler.server.variant import ServiceVariant

register_url_convertor("id", IdConvertor())  # before any route is built: ids in paths are `{id:id}`


def utc_now() -> datetime:
    """The default clock: the current time, timezone-aware UTC."""
    return datetime.now(UTC)


@dataclass(frozen=True)
class ServerSettings:
    """What `create_app` was asked for, for the middleware and handlers that need it."""

    rate: float | None  # requests per second per key; None is unlimited
    latency_ms: int  # added to every answer
    fault_rate: float  # share of requests failing with a 5xx or a dropped connection
    clock: Callable[[], datetime]  # now, timezone-aware UTC (tests pass a fake one)
    variant: ServiceVariant  # which plausible live service to be (`variant.py`)
    click_seed: int | None = None  # seeds the links' random draws (`link_routing.py`); None: unseeded


class StripTrailingSlash:
    """Serve `/groups/` as `/groups`, as the real service does (no redirect)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] == "http" and len(path) > 1 and path.endswith("/"):
            scope = {**scope, "path": path.rstrip("/") or "/"}
        await self.app(scope, receive, send)


async def _api_error(request: Request, error: Exception) -> JSONAnswer:
    assert isinstance(error, ApiError)
    return error_answer(error)


async def _http_error(request: Request, error: Exception) -> JSONAnswer:
    assert isinstance(error, HTTPException)
    message = "no such resource" if error.status_code == 404 else error.detail
    return JSONAnswer(errors_body([failure(None, message, "http_error")]),
                      status_code=error.status_code)


async def _internal_error(request: Request, error: Exception) -> JSONAnswer:
    """A bug still answers in the documented error shape (uvicorn logs the traceback)."""
    return JSONAnswer(errors_body([failure(None, "internal server error", "internal_error")]),
                      status_code=500)


def _closes(store: Store) -> Callable[[Starlette], AbstractAsyncContextManager[None]]:
    """A lifespan that closes the database when the server stops."""

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        store.close()

    return lifespan


def crud_routes() -> list[BaseRoute]:
    """Every CRUD route, in matching order."""
    return [*account_routes(), *datapoint_routes(), *group_routes(), *tag_routes(),
            *conversion_routes(), *domain_routes(), *retargeting_routes()]


def create_app(db_path: str | Path, *, rate: float | None = None, latency_ms: int = 0,
               fault_rate: float = 0.0, clock: Callable[[], datetime] | None = None,
               fault_seed: int | None = None, variant: ServiceVariant | None = None,
               click_seed: int | None = None) -> Starlette:
    """The server app for the SQLite file at `db_path` (created if missing)."""
    store = Store(db_path)
    settings = ServerSettings(rate=rate, latency_ms=latency_ms, fault_rate=fault_rate,
                              clock=clock or utc_now, variant=variant or ServiceVariant(),
                              click_seed=click_seed)
    routes: list[BaseRoute] = [*crud_routes(), *statistics_routes(), *clickstream_routes(),
                               *traffic_routes()]
    middleware: list[Middleware] = [
        Middleware(StripTrailingSlash),
        Middleware(FaultInjection, rate=rate, latency_ms=latency_ms, fault_rate=fault_rate,
                   fault_seed=fault_seed, clock=settings.clock),
    ]
    app = Starlette(
        routes=routes,
        middleware=middleware,
        exception_handlers={ApiError: _api_error, HTTPException: _http_error,
                            Exception: _internal_error},
        lifespan=_closes(store),
    )
    app.state.store = store
    app.state.settings = settings
    return app
