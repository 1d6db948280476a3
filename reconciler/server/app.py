"""The local ClickMeter-compatible server: a Starlette app over one SQLite file.

`create_app` wires three kinds of parts:

* CRUD routes (datapoints, groups, tags, conversions, domains, retargeting,
  account), from `crud_routes()`;
* routes added by other modules (traffic: the links' short paths; statistics:
  aggregated/summary/hits/reports): extend `routes` in `create_app` with their
  `routes()` list. Path order matters: a catch-all such as `/{domain}/{name}`
  must come *after* the CRUD routes. CRUD routes use `{id:int}` converters, so
  `/datapoints/aggregated` never matches `/datapoints/{id:int}`;
* middleware added by other modules (rate limiting, latency, faults): add
  `Middleware(...)` entries to `middleware` in `create_app`; they see every
  request after the trailing slash is stripped. The settings they need are on
  `app.state.settings` (`ServerSettings`), the database on `app.state.store`.

Handlers raise `responses.ApiError` for any error answer; the app turns it into
the documented list-of-ValidationFailure body. `context.account_of(request)`
gives the caller's account id (401 otherwise).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Receive, Scope, Send

from reconciler.server.account import account_routes
from reconciler.server.conversions import conversion_routes
from reconciler.server.datapoints import datapoint_routes
from reconciler.server.db import Store
from reconciler.server.domains import domain_routes
from reconciler.server.groups import group_routes
from reconciler.server.retargeting import retargeting_routes
from reconciler.server.tags import tag_routes
from reconciler.server.responses import ApiError, JSONAnswer, error_answer, failure


def utc_now() -> datetime:
    """The default clock: the current time, timezone-aware UTC."""
    return datetime.now(timezone.utc)


@dataclass(frozen=True)
class ServerSettings:
    """What `create_app` was asked for, for the middleware and handlers that need it."""

    rate: float | None  # requests per second per key; None is unlimited
    latency_ms: int  # added to every answer
    fault_rate: float  # share of requests failing with a 5xx or a dropped connection
    clock: Callable[[], datetime]  # now, timezone-aware UTC (tests pass a fake one)


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
    return JSONAnswer([failure(None, message, request.url.path, "http_error")],
                      status_code=error.status_code)


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
               fault_rate: float = 0.0, clock: Callable[[], datetime] | None = None) -> Starlette:
    """The server app for the SQLite file at `db_path` (created if missing)."""
    store = Store(db_path)
    routes: list[BaseRoute] = [*crud_routes()]
    middleware: list[Middleware] = [Middleware(StripTrailingSlash)]
    app = Starlette(
        routes=routes,
        middleware=middleware,
        exception_handlers={ApiError: _api_error, HTTPException: _http_error},
        lifespan=_closes(store),
    )
    app.state.store = store
    app.state.settings = ServerSettings(rate=rate, latency_ms=latency_ms,
                                        fault_rate=fault_rate, clock=clock or utc_now)
    return app
