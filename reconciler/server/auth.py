"""Who is asking: the `X-Clickmeter-AuthKey` header names the account.

A missing or unknown key is a 401. Handlers call `account_of(request)` first
and use the id it returns in every query, which isolates accounts.
"""

from __future__ import annotations

from starlette.requests import Request

from reconciler.apishapes import AUTH_HEADER
from reconciler.server.db import Store
from reconciler.server.responses import ApiError, failure


def account_of(request: Request) -> int:
    """The requesting account's id; 401 for a missing or unknown key."""
    key = request.headers.get(AUTH_HEADER)
    if not key:
        raise ApiError(401, [failure(AUTH_HEADER, f"the {AUTH_HEADER} header is required",
                                     None, "unauthorized")])
    store: Store = request.app.state.store
    account_id = store.account_for_key(key)
    if account_id is None:
        raise ApiError(401, [failure(AUTH_HEADER, "unknown API key", None, "unauthorized")])
    return account_id
