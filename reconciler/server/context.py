"""What every handler needs from the request: the caller's account, the store, the time.

`X-Clickmeter-AuthKey` names the account: a missing or unknown key is a 401.
Handlers call `account_of(request)` first and use the id in every query,
which is what isolates accounts from each other.
"""

from __future__ import annotations

from datetime import datetime

from starlette.requests import Request

from reconciler.apishapes import AUTH_HEADER, DATE_FORMAT
from reconciler.server.db import Store
from reconciler.server.responses import ApiError, failure
from reconciler.server.variant import ServiceVariant


def store_of(request: Request) -> Store:
    """The app's database."""
    store: Store = request.app.state.store
    return store


def variant_of(request: Request) -> ServiceVariant:
    """Which plausible live service the app is being."""
    variant: ServiceVariant = request.app.state.settings.variant
    return variant


def click_seed_of(request: Request) -> int | None:
    """The seed of the links' random draws (`serve --seed`), or None: not repeatable."""
    seed: int | None = request.app.state.settings.click_seed
    return seed


def now_of(request: Request) -> str:
    """The app clock's current time as YmdHis (creation dates)."""
    now: datetime = request.app.state.settings.clock()
    return now.strftime(DATE_FORMAT)


def account_of(request: Request) -> int:
    """The requesting account's id; 401 for a missing or unknown key."""
    key = request.headers.get(AUTH_HEADER)
    if not key:
        raise ApiError(401, [failure(AUTH_HEADER, f"the {AUTH_HEADER} header is required", "unauthorized")])
    account_id = store_of(request).account_for_key(key)
    if account_id is None:
        raise ApiError(401, [failure(AUTH_HEADER, "unknown API key", "unauthorized")])
    return account_id
