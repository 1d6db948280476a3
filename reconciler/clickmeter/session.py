"""The transport under every API call: rate limit, bounded concurrency, retries, counting.

Politeness is speed here: the public service throttles to about 10 requests a
second, so the session spaces its own requests (`TokenBucket`), bounds how many
are in flight, retries what is safe to retry and counts every request by
operation so that a plan can say what it cost.

Safety rules for retries:
- idempotent calls (reads, updates, deletes, patches) are retried with
  exponential backoff and full jitter on 5xx and dropped connections;
- a 429 is retried for every call (the service did nothing), after its
  `Retry-After`, during which the whole session pauses;
- a non-idempotent call (a create, the favourite toggle) that got no clear
  answer raises `AmbiguousWriteError` instead: the caller re-reads.
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any, Self, TypeVar

import httpx

from reconciler.apishapes import AUTH_HEADER, MAX_LIMIT
from reconciler.clickmeter.errors import (
    AmbiguousWriteError,
    TransportError,
    error_for_status,
)
from reconciler.clickmeter.ratelimit import TokenBucket

T = TypeVar("T")
R = TypeVar("R")
Json = Any
QueryValue = str | int | float | bool | None

DEFAULT_TIMEOUT = httpx.Timeout(connect=5.0, read=30.0, write=30.0, pool=None)
NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
"""Transport failures that happen before a request leaves: safe to repeat any call."""


def _query(filters: dict[str, QueryValue]) -> dict[str, str | int | float]:
    """Drop unset filters and spell booleans as the service does."""
    return {name: (str(value).lower() if isinstance(value, bool) else value)
            for name, value in filters.items() if value is not None}


def _retry_after(response: httpx.Response, fallback: float) -> float:
    try:
        return max(0.0, float(response.headers.get("Retry-After", "")))
    except ValueError:
        return fallback


@dataclass
class _Tries:
    """How often one call has failed so far, by kind."""

    retry_budget: int
    failures: int = 0  # 5xx and lost connections
    throttled: int = 0  # 429s


class ApiSession:
    """Sends API calls over an `httpx.AsyncClient`, politely.

    `rate` is requests per second (None: unlimited); `concurrency` bounds the
    requests in flight. `calls` counts the requests sent, by operation name
    (retries included: they cost as much as the first try).
    """

    def __init__(self, base_url: str, api_key: str, *, rate: float | None = None,
                 concurrency: int = 4, transport: httpx.AsyncBaseTransport | None = None,
                 timeout: httpx.Timeout = DEFAULT_TIMEOUT, max_retries: int = 5,
                 backoff: float = 0.25, max_backoff: float = 8.0, max_rate_limited: int = 10,
                 jitter: random.Random | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.limiter = TokenBucket(rate)
        self.concurrency = concurrency
        self.max_retries = max_retries
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.max_rate_limited = max_rate_limited
        self.calls: Counter[str] = Counter()
        self.retries: Counter[str] = Counter()
        self.rate_limited: Counter[str] = Counter()
        self._jitter = jitter or random.Random()
        self._in_flight = asyncio.Semaphore(concurrency)
        self._http = httpx.AsyncClient(base_url=self.base_url, headers={AUTH_HEADER: api_key},
                                       transport=transport, timeout=timeout)

    def __repr__(self) -> str:
        return (f"{type(self).__name__}({self.base_url!r}, rate={self.limiter.rate},"
                f" concurrency={self.concurrency}, requests={self.total_calls})")

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    @property
    def total_calls(self) -> int:
        return sum(self.calls.values())

    async def call(self, operation: str, method: str, path: str, *, params: dict[str, QueryValue] | None = None,
                   body: Json = None, idempotent: bool = True, max_retries: int | None = None) -> Json:
        """Send one API call, retrying what is safe; the parsed JSON answer."""
        tries = _Tries(retry_budget=self.max_retries if max_retries is None else max_retries)
        async with self._in_flight:  # held across retries: a retried call goes first, not last
            while True:
                await self.limiter.acquire()
                self.calls[operation] += 1
                try:
                    response = await self._http.request(method, path, params=_query(params or {}), json=body)
                except httpx.TransportError as error:
                    delay = self._after_lost_answer(method, path, idempotent, tries, error)
                else:
                    if response.is_success:
                        return response.json() if response.content else None
                    if response.status_code == 404 and tries.failures and method == "DELETE":
                        return None  # an earlier try went through; only its answer was lost
                    delay = self._after_error_answer(operation, method, path, idempotent, tries, response)
                self.retries[operation] += 1
                await asyncio.sleep(delay)

    def _after_lost_answer(self, method: str, path: str, idempotent: bool, tries: _Tries,
                           error: httpx.TransportError) -> float:
        """The delay before trying again after no answer came, or the error to give up with."""
        cause = type(error).__name__
        if not idempotent and not isinstance(error, NOT_SENT):
            raise AmbiguousWriteError(method, path, cause) from None
        if tries.failures >= tries.retry_budget:
            raise TransportError(method, path, cause) from None
        tries.failures += 1
        return self._backoff(tries.failures - 1)

    def _after_error_answer(self, operation: str, method: str, path: str, idempotent: bool, tries: _Tries,
                            response: httpx.Response) -> float:
        """The delay before trying again after an error status, or the error to give up with."""
        status = response.status_code
        if status == 429 and tries.throttled < self.max_rate_limited:
            tries.throttled += 1
            self.rate_limited[operation] += 1
            delay = _retry_after(response, self._backoff(tries.throttled))
            self.limiter.pause(delay)
            return delay
        if status >= 500 and not idempotent:
            raise AmbiguousWriteError(method, path, str(status))
        if status >= 500 and tries.failures < tries.retry_budget:
            tries.failures += 1
            return self._backoff(tries.failures - 1)
        raise error_for_status(method, path, status, _json_or_text(response),
                               secret=self._http.headers[AUTH_HEADER])

    def _backoff(self, failures: int) -> float:
        """Full jitter: uniform in [0, backoff * 2**failures], capped."""
        return self._jitter.uniform(0, min(self.max_backoff, self.backoff * 2 ** failures))

    async def map_concurrently(self, function: Callable[[T], Awaitable[R]], items: Iterable[T]) -> list[R]:
        """`function` over `items` with at most `concurrency` running; results in order."""
        pending = list(enumerate(items))
        results: list[Any] = [None] * len(pending)
        queue = iter(pending)

        async def worker() -> None:
            for index, item in queue:
                results[index] = await function(item)

        await asyncio.gather(*(worker() for _ in range(min(self.concurrency, len(pending)) or 1)))
        return results

    async def iter_pages(self, list_page: Callable[..., Awaitable[list[T]]], *args: Any,
                         **filters: QueryValue) -> AsyncIterator[T]:
        """Every item of a paged list, `MAX_LIMIT` at a time, e.g. `iter_pages(client.list_groups)`."""
        offset = 0
        while True:
            page = await list_page(*args, offset=offset, limit=MAX_LIMIT, **filters)
            for item in page:
                yield item
            if len(page) < MAX_LIMIT:
                return
            offset += len(page)

    async def _entities(self, operation: str, path: str, offset: int, limit: int,
                        filters: dict[str, QueryValue]) -> list[dict[str, Any]]:
        answer = await self.call(operation, "GET", path,
                                 params={"offset": offset, "limit": limit, **filters})
        return list(answer.get("entities") or [])

    async def _count(self, operation: str, path: str, filters: dict[str, QueryValue]) -> int:
        answer = await self.call(operation, "GET", path, params=filters)
        return int(answer["count"])


def _json_or_text(response: httpx.Response) -> Json:
    try:
        return response.json()
    except ValueError:
        return [{"errorMessage": response.text[:200]}]
