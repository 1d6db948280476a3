"""Apply's verification reads only what apply wrote, and still sees what the service did."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from reconciler.apply.run import execute_plan
from reconciler.clickmeter.client import ClickMeterClient
from reconciler.model import DatapointSpec
from reconciler.server.app import create_app
from reconciler.target import local_service_variant
from tests.apply.helpers import ENVIRON, account, apply_desired, desired_state, plan_for

pytestmark = pytest.mark.anyio

LINKS = 250  # three expanded pages: a whole re-read would list them


def links(changed: int | None = None, title: str = "new") -> list[DatapointSpec]:
    return [DatapointSpec(f"link-{n}", url=f"https://shop.example.com/{n}",
                          title=title if n == changed else "old") for n in range(LINKS)]


class TitlesRewritten:
    """ASGI wrapper: the service stores another title than a batch update asks for (as a
    service with its own rules might), so only a verification that looks can tell."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or scope["path"] != "/datapoints/batch":
            await self.app(scope, receive, send)
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        rewritten = body.replace(b'"title": "new"', b'"title": "other"').replace(b'"title":"new"', b'"title":"other"')
        sent = False

        async def replay() -> dict[str, Any]:
            nonlocal sent
            if sent:
                return {"type": "http.disconnect"}
            sent = True
            return {"type": "http.request", "body": rewritten, "more_body": False}

        headers = [(k, str(len(rewritten)).encode() if k == b"content-length" else v) for k, v in scope["headers"]]
        await self.app({**scope, "headers": headers}, replay, send)


async def test_one_update_is_verified_without_listing_the_account(db_path: Path, api_key: str) -> None:
    async with account(db_path, api_key) as client:
        assert (await apply_desired(client, desired_state(links()))).verified
        plan = await plan_for(client, desired_state(links(changed=7)))
        before = dict(client.calls)
        outcome = await execute_plan(client, plan, saved=False, stream=io.StringIO(), environ=ENVIRON)
        during = {name: count - before.get(name, 0) for name, count in client.calls.items()}
    assert outcome.verified and not outcome.residuals
    assert during.get("list_datapoints", 0) == 0 and during.get("summary_datapoints_page", 0) == 0, during


async def test_what_the_service_did_instead_is_a_residual(db_path: Path, api_key: str) -> None:
    async with account(db_path, api_key) as client:
        await apply_desired(client, desired_state(links()))
        plan = await plan_for(client, desired_state(links(changed=7)))
    app = create_app(db_path, variant=local_service_variant())
    try:
        async with ClickMeterClient("http://local", api_key, transport=httpx.ASGITransport(app=TitlesRewritten(app)),
                                    backoff=0.001) as client:
            outcome = await execute_plan(client, plan, saved=False, stream=io.StringIO(), environ=ENVIRON)
    finally:
        app.state.store.close()
    assert outcome.verified
    assert any("title is 'other', expected 'new'" in residual for residual in outcome.residuals), (
        json.dumps(outcome.residuals))
