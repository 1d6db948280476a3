"""Where the reconciler acts: the embedded local account, or a ClickMeter URL.

`local` runs the local server's app in-process (no server, no network, no key:
the database's default account). A URL target takes its key from
`CLICKMETER_API_KEY`, is rate-limited to 10 requests a second unless `--rate`
says otherwise, and is checked with one cheap call before any work, so that a
missing key, an unreachable host or a refused key each end in one clear line.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
from collections.abc import AsyncIterator, Coroutine
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlsplit

import httpx

from reconciler.clickmeter.client import ClickMeterClient
from reconciler.clickmeter.errors import (
    AuthenticationError,
    ServerError,
    TargetError,
    TransportError,
)

if TYPE_CHECKING:
    from reconciler.server.variant import ServiceVariant

LOCAL = "local"
API_KEY_VARIABLE = "CLICKMETER_API_KEY"
LOCAL_SERVICE_VARIABLE = "CLICKMETER_LOCAL_SERVICE"
"""Which plausible live service the local target imitates (`serve`'s switches as one token,
e.g. `no-expand,updates=merge`): to rehearse against each way the unknowns may fall."""
REMOTE_DEFAULT_RATE = 10.0
LOCAL_BASE_URL = "http://local"
LOCAL_TRACKING_BASE = "http://127.0.0.1:8765"  # `serve`'s default --host and --port
DROPPED_CONNECTION = ("RemoteProtocolError", "ReadError")
"""Transport failures after a connection was made: the service is there, only flaky."""


@dataclass(frozen=True)
class TargetOptions:
    """Where to act and how fast: the options that come before any command."""

    target: str
    local_db: str
    rate: float | None
    concurrency: int


Result = TypeVar("Result")


def run_for_result(main: Coroutine[Any, Any, Result]) -> Result:
    """`asyncio.run(main)`, its result kept out of the main task: on the way out, Python 3.11's
    `asyncio.run` formats that task's repr, result and all (3 times in an `apply` of 10,000
    creates: 0.27 s)."""
    results: list[Result] = []

    async def kept_apart() -> None:
        results.append(await main)

    asyncio.run(kept_apart())
    return results[0]


def describe_target(options: TargetOptions) -> str:
    """The line every command prints first, e.g. `target: local (.clickmeter/local.db)`."""
    if options.target == LOCAL:
        return f"target: local ({options.local_db})"
    return f"target: {_remote_url(options.target)}"


def tracking_base(options: TargetOptions) -> str:
    """Where visitors request the target's links and pixels: a URL target's own address;
    for the local target, where `serve` listens by default (nothing listens there until run)."""
    return LOCAL_TRACKING_BASE if options.target == LOCAL else _remote_url(options.target)


def saved_target(options: TargetOptions) -> str:
    """The target as a saved plan records it and `apply --plan` checks it.

    A local database is named by its absolute path: the same relative path run
    from another directory is another account, and must not take the plan.
    """
    if options.target == LOCAL:
        return f"target: local ({Path(options.local_db).resolve()})"
    return describe_target(options)


def _remote_url(target: str) -> str:
    """The target URL without a trailing slash; one line if it is not an http(s) URL."""
    parts = urlsplit(target)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise TargetError(f"--target: expected 'local' or an http(s) URL, got {target!r}")
    if parts.username or parts.password:
        raise TargetError("--target: put the API key in CLICKMETER_API_KEY, not in the URL")
    return target.rstrip("/")


@asynccontextmanager
async def open_client(options: TargetOptions, **client_options: Any) -> AsyncIterator[ClickMeterClient]:
    """A `ClickMeterClient` for the target `options` name, closed on exit.

    For a URL, one `GET /account` first proves that the target answers and
    takes the key, before any real work starts. `client_options` go to
    `ClickMeterClient` (retry and timeout settings, for tests and benchmarks).
    """
    if options.target == LOCAL:
        async with _local_client(options, **client_options) as client:
            yield client
        return
    async with _remote_client(options, **client_options) as client:
        await _check_reachable(client, describe_target(options))
        yield client


@asynccontextmanager
async def _local_client(options: TargetOptions, **client_options: Any) -> AsyncIterator[ClickMeterClient]:
    """The local server's app in-process, as the database's default account."""
    from reconciler.server.app import create_app  # the local target is the server itself
    from reconciler.server.db import default_account_key

    db_path = Path(options.local_db)
    variant = local_service_variant()
    try:
        _make_folder(db_path.parent)
        app = create_app(db_path, variant=variant)
        api_key = default_account_key(db_path)
    except (OSError, sqlite3.Error) as error:
        raise TargetError(f"--local-db {db_path}: cannot open the local account ({error})") from None
    client = ClickMeterClient(LOCAL_BASE_URL, api_key, rate=options.rate,
                              concurrency=options.concurrency,
                              transport=httpx.ASGITransport(app=app), **client_options)
    try:
        async with client:
            yield client
    finally:
        app.state.store.close()  # ASGITransport runs no lifespan, so close it here


def _make_folder(folder: Path) -> None:
    """The local database's folder; one this creates gets a `.gitignore` of `*`, so that
    `.clickmeter/local.db` never lands in the user's repository."""
    if folder.exists():
        return
    folder.mkdir(parents=True)
    (folder / ".gitignore").write_text("# the local target's database: not for Git\n*\n", encoding="utf-8")


def local_service_variant() -> ServiceVariant:
    """The local target's service variant, from `CLICKMETER_LOCAL_SERVICE` (default: the default service)."""
    from reconciler.server.variant import ServiceVariant, VariantError

    try:
        return ServiceVariant.parse(os.environ.get(LOCAL_SERVICE_VARIABLE, ""))
    except VariantError as error:
        raise TargetError(f"{LOCAL_SERVICE_VARIABLE}: {error}") from None


def _remote_client(options: TargetOptions, **client_options: Any) -> ClickMeterClient:
    url = _remote_url(options.target)
    api_key = os.environ.get(API_KEY_VARIABLE, "").strip()
    if not api_key:
        raise TargetError(f"target {url} needs an API key: set {API_KEY_VARIABLE}")
    if not all("!" <= char <= "~" for char in api_key):  # never echoed: not one character of it
        raise TargetError(f"target {url}: {API_KEY_VARIABLE} holds characters an HTTP header cannot carry "
                          "(a key is printable ASCII without spaces); check the variable")
    return ClickMeterClient(url, api_key, rate=options.rate or REMOTE_DEFAULT_RATE,
                            concurrency=options.concurrency, **client_options)


async def _check_reachable(client: ClickMeterClient, target: str) -> None:
    """Turn the first call's failure into a line that names the target."""
    try:
        await _first_call(client)
    except AuthenticationError as error:
        raise TargetError(f"{target}: the API key in {API_KEY_VARIABLE} was refused "
                          f"({error.method} {error.path} -> 401)") from None
    except TransportError as error:
        if error.message in ("ReadTimeout", "WriteTimeout"):  # connected: reachable, but too slow
            raise TargetError(f"{target}: the service did not answer in time ({error.message})") from None
        raise TargetError(f"{target}: cannot reach the service ({error.message})") from None


async def _first_call(client: ClickMeterClient) -> None:
    """`GET /account`: a host that refuses or times out fails fast (one retry); a service that
    answers but fails (5xx, a dropped connection) gets the usual retries, as every later call."""
    try:
        await client.call("get_account", "GET", "/account", max_retries=1)
    except (ServerError, TransportError) as error:
        if isinstance(error, TransportError) and error.message not in DROPPED_CONNECTION:
            raise
        await client.call("get_account", "GET", "/account")
