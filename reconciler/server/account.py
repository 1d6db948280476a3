"""`GET /account` and `GET /me`: the caller's account (`Api.Core.Dto.Accounting.User`)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.routing import BaseRoute, Route

from reconciler.server.context import account_of, store_of
from reconciler.server.responses import JSONAnswer


async def get_account(request: Request) -> JSONAnswer:
    account_id = account_of(request)
    with store_of(request).transaction() as db:
        registered = db.execute("SELECT registration_date FROM accounts WHERE id = ?",
                                (account_id,)).fetchone()["registration_date"]
    return JSONAnswer({
        "firstName": "Local", "lastName": f"Account {account_id}",
        "email": f"account{account_id}@local.clickmeter.test", "companyName": "",
        "registrationDate": registered, "timeframeMinDate": registered,
        "timezone": 0, "timezonename": "UTC", "redirectOnly": False, "bonusClicks": 0,
    })


def account_routes() -> list[BaseRoute]:
    """`/account` and its alias `/me`."""
    return [Route("/account", get_account, methods=["GET"]),
            Route("/me", get_account, methods=["GET"])]
