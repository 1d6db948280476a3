"""The ClickMeter v2 API client.

`target.open_client(options)` gives a `ClickMeterClient` for the local account
or a URL; `session.ApiSession` under it limits, retries and counts; `wire`
reads and writes the service's JSON; the errors are typed, one-line failures.
"""

from reconciler.clickmeter import wire
from reconciler.clickmeter.client import ClickMeterClient
from reconciler.clickmeter.errors import (
    AmbiguousWriteError,
    ApiError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    NameUsedError,
    NotFoundError,
    RateLimitedError,
    ServerError,
    TargetError,
    TransportError,
)
from reconciler.clickmeter.wire import BatchResult, WireError

__all__ = [
    "AmbiguousWriteError",
    "ApiError",
    "AuthenticationError",
    "BadRequestError",
    "BatchResult",
    "ClickMeterClient",
    "ConflictError",
    "NameUsedError",
    "NotFoundError",
    "RateLimitedError",
    "ServerError",
    "TargetError",
    "TransportError",
    "WireError",
    "wire",
]
