"""A client-side token bucket, so a polite client is never throttled at all.

The public service throttles to about 10 requests per second. Spacing our own
requests costs nothing and saves the round trip (and the wait) of a 429; when
one still comes, `pause` holds every caller until its `Retry-After` has passed
so that no request is answered 429 twice in a row.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable


class TokenBucket:
    """`rate` tokens a second, at most `burst` saved up; `acquire` takes one.

    With `rate=None` there is no limit, but `pause` still holds every caller.
    """

    def __init__(self, rate: float | None, burst: float = 1.0, *,
                 clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        if (rate is not None and rate <= 0) or burst < 1:
            raise ValueError("rate must be > 0 and burst >= 1")
        self.rate = rate
        self.burst = burst
        self._clock = clock
        self._sleep = sleep
        self._tokens = burst
        self._updated = clock()
        self._paused_until = 0.0
        self._lock = asyncio.Lock()

    def __repr__(self) -> str:
        return f"TokenBucket(rate={self.rate}, burst={self.burst:g})"

    async def acquire(self) -> None:
        """Wait for a token; callers are served in arrival order."""
        async with self._lock:
            now = self._clock()
            if now < self._paused_until:
                await self._sleep(self._paused_until - now)
                now = self._clock()
            if self.rate is None:
                return
            self._tokens = min(self.burst, self._tokens + (now - self._updated) * self.rate)
            self._updated = now
            if self._tokens < 1:
                wait = (1 - self._tokens) / self.rate
                await self._sleep(wait)
                self._updated = now + wait
                self._tokens = 1.0
            self._tokens -= 1

    def pause(self, seconds: float) -> None:
        """Hold every caller for `seconds` (a 429's `Retry-After`), then start empty."""
        until = self._clock() + seconds
        if until > self._paused_until:
            self._paused_until = until
            self._tokens = 0.0
            self._updated = until
