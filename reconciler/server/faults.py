"""Throttling, latency and injected failures, for testing clients. All off by default.

They apply to the API only; the tracking paths (`traffic.py`) are never
throttled, delayed or failed.

* Rate limiting (`rate`, requests per second): a token bucket per API key
  (the `X-Clickmeter-AuthKey` value; no key shares one bucket), holding up to
  `max(1, rate)` requests. A request finding it empty gets 429 with
  `Retry-After` (whole seconds until one would pass, at least 1) and a
  ValidationFailure list. Time is the app's clock, so a test can advance it.
* Latency (`latency_ms`): every API request waits that long first.
* Faults (`fault_rate`, 0..1): that share of API requests fails; half of the
  failures answer 500, 502 or 503 with an `{"errors": [...]}` body, the other
  half drop the connection: the status line goes out, then the server closes
  the connection (over HTTP the client sees the peer disconnect mid-answer;
  in-process, `DroppedConnection`, an `httpx.RemoteProtocolError`, is raised
  through `httpx.ASGITransport`, as httpx raises over the wire).
  The draws come from `random.Random(fault_seed)`: a seeded run is repeatable.
"""

from __future__ import annotations

import asyncio
import logging
import math
import random
from collections.abc import Callable
from datetime import datetime

import httpx
from starlette.routing import Match
from starlette.types import ASGIApp, Receive, Scope, Send

from reconciler.apishapes import AUTH_HEADER
from reconciler.server.responses import JSONAnswer, errors_body, failure
from reconciler.server.traffic import TRACKING_ROUTE_NAMES

FAULT_STATUSES = (500, 502, 503)
AUTH_HEADER_BYTES = AUTH_HEADER.lower().encode("latin-1")


class DroppedConnection(httpx.RemoteProtocolError):
    """An injected dropped connection (what httpx raises when a server hangs up mid-answer)."""


class QuietDroppedConnections(logging.Filter):
    """Drop uvicorn's traceback for an injected dropped connection (it is not a bug)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.exc_info and isinstance(record.exc_info[1], DroppedConnection))


class TokenBuckets:
    """One token bucket per key: `rate` tokens a second, at most `max(1, rate)` saved."""

    def __init__(self, rate: float) -> None:
        self.rate = rate
        self.capacity = max(1.0, rate)
        self.buckets: dict[bytes, tuple[float, float]] = {}

    def wait_for(self, key: bytes, now: float) -> float:
        """Take a token for `key` at `now` (seconds): 0 if granted, else the seconds to wait."""
        tokens, then = self.buckets.get(key, (self.capacity, now))
        tokens = min(self.capacity, tokens + max(0.0, now - then) * self.rate)
        if tokens >= 1:
            self.buckets[key] = (tokens - 1, now)
            return 0.0
        self.buckets[key] = (tokens, now)
        return (1 - tokens) / self.rate


class FaultInjection:
    """ASGI middleware applying the rate limit, latency and faults to API requests."""

    def __init__(self, app: ASGIApp, *, rate: float | None, latency_ms: int, fault_rate: float,
                 fault_seed: int | None, clock: Callable[[], datetime]) -> None:
        self.app = app
        self.buckets = TokenBuckets(rate) if rate else None
        self.latency = latency_ms / 1000
        self.fault_rate = fault_rate
        self.random = random.Random(fault_seed)
        self.clock = clock

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        active = self.buckets is not None or self.latency > 0 or self.fault_rate > 0
        if scope["type"] != "http" or not active or _is_tracking(scope):
            await self.app(scope, receive, send)
            return
        if self.buckets is not None:
            key = dict(scope["headers"]).get(AUTH_HEADER_BYTES, b"")
            wait = self.buckets.wait_for(key, self.clock().timestamp())
            if wait > 0:
                retry_after = str(max(1, math.ceil(wait)))
                message = f"too many requests: retry after {retry_after} s"
                answer = JSONAnswer(errors_body([failure(None, message, "too_many_requests")]),
                                    status_code=429, headers={"Retry-After": retry_after})
                await answer(scope, receive, send)
                return
        if self.latency > 0:
            await asyncio.sleep(self.latency)
        if self.fault_rate > 0 and self.random.random() < self.fault_rate:
            await self._fail(scope, receive, send)
            return
        await self.app(scope, receive, send)

    async def _fail(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.random.random() < 0.5:
            status = self.random.choice(FAULT_STATUSES)
            answer = JSONAnswer(errors_body([failure(None, f"injected fault: {status}", "injected_fault")]),
                                status_code=status)
            await answer(scope, receive, send)
            return
        await send({"type": "http.response.start", "status": 500,
                    "headers": [(b"content-type", b"application/json")]})
        raise DroppedConnection("injected fault: connection dropped")


def _is_tracking(scope: Scope) -> bool:
    """Whether the route that will serve this request is a tracking path (first full match wins)."""
    for route in scope["app"].router.routes:
        match, _ = route.matches(scope)
        if match is Match.FULL:
            return getattr(route, "name", None) in TRACKING_ROUTE_NAMES
    return False
