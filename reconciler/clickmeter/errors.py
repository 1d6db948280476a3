"""Typed API failures, each one line: `METHOD /path -> STATUS: service message`.

The line never holds the API key: the key travels only in a request header,
nothing here formats a header, a URL with credentials or a request body, and
a service message that echoes the key has it masked.
"""

from __future__ import annotations

from typing import Any

from reconciler.clickmeter.wire import error_message, is_name_clash
from reconciler.errors import ReconcilerError


class ApiError(ReconcilerError):
    """The service answered a call with an error status (or, subclasses, not at all)."""

    def __init__(self, method: str, path: str, status: int | None, message: str = "") -> None:
        self.method = method
        self.path = path
        self.status = status
        self.message = " ".join(message.split())
        super().__init__(f"{method} {path} -> {self.outcome()}")

    def outcome(self) -> str:
        """What came back, after the arrow of the one-line message."""
        return f"{self.status}: {self.message}" if self.message else str(self.status)


class BadRequestError(ApiError):
    """400: the service rejected the body or a parameter."""


class AuthenticationError(ApiError):
    """401: the key is missing or unknown to the service."""

    def __init__(self, method: str, path: str, status: int | None, message: str = "") -> None:
        super().__init__(method, path, status,
                         f"{message or 'unauthorized'} (check CLICKMETER_API_KEY)")


class NotFoundError(ApiError):
    """404: no such entity in this account (or it is deleted)."""


class NameUsedError(ApiError):
    """403 with a `Name` failure: the name is taken (or was, by a deleted datapoint).

    Not an authentication failure: the key worked, the service refused the name.
    """


class ConflictError(ApiError):
    """409: the entity changed or clashes with another."""


class RateLimitedError(ApiError):
    """429 answered again and again, beyond the retry budget."""


class ServerError(ApiError):
    """5xx after every retry an idempotent call is allowed."""


class AmbiguousWriteError(ApiError):
    """A non-idempotent call failed in a way that leaves unknown whether it happened.

    The client never repeats such a call by itself: a second create could make a
    duplicate. The caller re-reads the account to learn the outcome.
    """

    def __init__(self, method: str, path: str, cause: str) -> None:
        super().__init__(method, path, None, cause)

    def outcome(self) -> str:
        return (f"no answer ({self.message}); it may or may not have been applied: "
                "re-read the account before trying again")


class TransportError(ApiError):
    """The service could not be reached, or kept failing, beyond the retry budget."""

    def __init__(self, method: str, path: str, cause: str) -> None:
        super().__init__(method, path, None, cause)

    def outcome(self) -> str:
        return f"no answer ({self.message})"


class TargetError(ReconcilerError):
    """The target is misconfigured (no key for a URL, a URL that is not http(s))."""


STATUS_ERRORS: dict[int, type[ApiError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    404: NotFoundError,
    409: ConflictError,
    429: RateLimitedError,
}


def error_for_status(method: str, path: str, status: int, body: Any, *, secret: str = "") -> ApiError:
    """The typed error for an error answer; 5xx are `ServerError`, others `ApiError`.

    `secret` (the API key) is masked should the service ever echo it back.
    """
    kind = STATUS_ERRORS.get(status, ServerError if status >= 500 else ApiError)
    if is_name_clash(status, body):
        kind = NameUsedError
    message = error_message(body)
    if secret:
        message = message.replace(secret, "(sensitive)")
    return kind(method, path, status, message)
