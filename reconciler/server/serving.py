"""`clickmeter-reconciler serve`: the local server over HTTP, with uvicorn.

The listening socket is bound here, before uvicorn starts, so a busy port is
one clear error line and `--port 0` can print the port it got.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import sqlite3
from collections.abc import Callable, Sequence
from pathlib import Path

import uvicorn

from reconciler.apishapes import AUTH_HEADER
from reconciler.errors import ReconcilerError
from reconciler.server.app import create_app
from reconciler.server.db import default_account_key, register_account
from reconciler.server.faults import QuietDroppedConnections
from reconciler.server.variant import ServiceVariant


class ServeError(ReconcilerError):
    """The server cannot start: the address is taken or the database cannot be opened."""


def serve_http(db_path: str | Path, *, host: str, port: int, api_keys: Sequence[str],
               rate: float | None, latency_ms: int, fault_rate: float, fault_seed: int | None,
               variant: ServiceVariant, echo: Callable[[str], None], click_seed: int | None = None) -> None:
    """Listen, print where (first) and with which key, then serve until SIGINT/SIGTERM."""
    listener = _listen(host, port)
    url = f"http://{f'[{host}]' if ':' in host else host}:{listener.getsockname()[1]}"
    echo(f"target: {url} (database {db_path})")
    key_line = _prepare_accounts(db_path, api_keys)
    echo(key_line)
    echo(f"tracking: links {url}/{{domain}}/{{name}}, pixels {url}/pixel/{{id}}, "
         f"conversions {url}/conversion/{{id}}?value=V")
    if rate or latency_ms or fault_rate:
        echo(f"testing modes: rate {rate or 'unlimited'}/s per key, latency {latency_ms} ms, "
             f"fault rate {fault_rate}")
    if click_seed is not None:
        echo(f"links' random draws seeded with {click_seed}")
    if variant != ServiceVariant():
        echo(f"service variant: {variant.describe()}")
    app = create_app(db_path, rate=rate, latency_ms=latency_ms, fault_rate=fault_rate,
                     fault_seed=fault_seed, variant=variant, click_seed=click_seed)
    logging.getLogger("uvicorn.error").addFilter(QuietDroppedConnections())
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    _run_until_stopped(server, listener)
    echo("stopped")


def _run_until_stopped(server: uvicorn.Server, listener: socket.socket) -> None:
    """Serve until SIGINT or SIGTERM, then shut down gracefully and return.

    uvicorn re-raises the stopping signal to the handler it found; a no-op
    one here makes a requested stop a normal exit (status 0).
    """
    stop_signals = (signal.SIGINT, signal.SIGTERM)
    previous = {sig: signal.signal(sig, lambda *_: None) for sig in stop_signals}
    try:
        server.run(sockets=[listener])
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _listen(host: str, port: int) -> socket.socket:
    """The listening socket, with Nagle's algorithm off for the connections it accepts.

    `create_server` leaves the socket's protocol 0, and asyncio turns Nagle off
    only on sockets that name TCP; with it on, each keep-alive answer written in
    two parts waits for the client's delayed ACK (~40 ms). Accepted connections
    inherit the option from the listener.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        listener = socket.create_server((host, port), family=family)
    except OSError as error:
        reason = os.strerror(error.errno) if error.errno else str(error)
        raise ServeError(f"cannot listen on {host}:{port}: {reason}") from None
    listener.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return listener


def _prepare_accounts(db_path: str | Path, api_keys: Sequence[str]) -> str:
    """Register the given keys, or find/create the default one; the line to print about them."""
    try:
        for key in api_keys:
            register_account(db_path, key)
        if api_keys:
            return f"accounts: {len(set(api_keys))} API key(s) from --api-key ({AUTH_HEADER} header)"
        return f"API key: {default_account_key(db_path)} (send it as the {AUTH_HEADER} header)"
    except (sqlite3.Error, OSError) as error:
        raise ServeError(f"cannot open the database {db_path}: {error}") from None
