"""Apply's verification reads only what apply wrote, and still sees what the service did."""

from __future__ import annotations

import dataclasses
import io
import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from reconciler.apply.executor import Outcome
from reconciler.apply.run import execute_plan
from reconciler.clickmeter.client import ClickMeterClient
from reconciler.model import ConversionSpec, DatapointSpec
from reconciler.plan.document import Plan
from reconciler.plan.run import read_and_plan
from reconciler.server.app import create_app
from reconciler.server.variant import ServiceVariant
from reconciler.target import local_service_variant
from tests.apply.helpers import ENVIRON, TARGET, account, apply_desired, desired_state, plan_for, rows

pytestmark = pytest.mark.anyio

LINKS = 250  # three expanded pages: a whole re-read would list them
CHANGED = range(0, LINKS, 5)  # 50 updates: more than pages, so a read of them would list the pages


def links(changed: int | None = None, title: str = "new") -> list[DatapointSpec]:
    return [DatapointSpec(f"link-{n}", url=f"https://shop.example.com/{n}",
                          title=title if n == changed else "old") for n in range(LINKS)]


class Rewritten:
    """ASGI wrapper: requests `method` to a path ending in `path_end` reach the service with
    `"key": "old"` in their body made `"key": "new"` (as a service with its own rules might
    store something else, or silently do nothing), so only a verification that looks can tell."""

    def __init__(self, app: Any, method: str, path_end: str, key: str, old: str, new: str) -> None:
        self.app, self.method, self.path_end = app, method, path_end
        self.pairs = [(f'"{key}"{colon}"{old}"'.encode(), f'"{key}"{colon}"{new}"'.encode()) for colon in (": ", ":")]

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["method"] != self.method or not scope["path"].endswith(self.path_end):
            await self.app(scope, receive, send)
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        for old, new in self.pairs:
            body = body.replace(old, new)
        sent = False

        async def replay() -> dict[str, Any]:
            nonlocal sent
            if sent:
                return {"type": "http.disconnect"}
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        headers = [(k, str(len(body)).encode() if k == b"content-length" else v) for k, v in scope["headers"]]
        await self.app({**scope, "headers": headers}, replay, send)


def swapped(changed: range = range(0)) -> list[DatapointSpec]:
    """Links converting on `signup`; those in `changed` get a new title and `lead` instead."""
    return [DatapointSpec(f"link-{n}", url=f"https://shop.example.com/{n}", title="new" if n in changed else "old",
                          conversions=frozenset({"lead" if n in changed else "signup"})) for n in range(LINKS)]


def conversions_of(db_path: Path) -> dict[str, set[str]]:
    """Datapoint name -> its conversions' names, as the server stores them."""
    found: dict[str, set[str]] = {}
    for row in rows(db_path, "SELECT d.name, c.name FROM datapoint_conversions dc JOIN datapoints d "
                             "ON d.id = dc.datapoint_id JOIN conversions c ON c.id = dc.conversion_id"):
        found.setdefault(row[0], set()).add(row[1])
    return found


async def with_rewriting(db_path: Path, api_key: str, plan: Plan, *rewrite: str) -> Outcome:
    """`plan` executed against the service behind `Rewritten(*rewrite)`."""
    app = create_app(db_path, variant=local_service_variant())
    try:
        async with ClickMeterClient("http://local", api_key, transport=httpx.ASGITransport(
                app=Rewritten(app, *rewrite)), backoff=0.001) as client:
            return await execute_plan(client, plan, saved=False, stream=io.StringIO(), environ=ENVIRON)
    finally:
        app.state.store.close()


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
    outcome = await with_rewriting(db_path, api_key, plan, "POST", "/datapoints/batch", "title", "new", "other")
    assert outcome.verified
    assert any("title is 'other', expected 'new'" in residual for residual in outcome.residuals), (
        json.dumps(outcome.residuals))


async def test_updates_after_conversion_patches_are_verified_from_their_answers(db_path: Path, api_key: str) -> None:
    conversions = [ConversionSpec("signup"), ConversionSpec("lead")]
    async with account(db_path, api_key) as client:
        assert (await apply_desired(client, desired_state(swapped(), conversions=conversions))).succeeded
        plan = await read_and_plan(client, desired_state(swapped(CHANGED), conversions=conversions), keep_fetched=True)
        client.calls.clear()
        outcome = await execute_plan(client, dataclasses.replace(plan, target=TARGET), saved=False,
                                     stream=io.StringIO(), environ=ENVIRON)
        during = dict(client.calls)
    order = [operation.path for operation in plan.operations]
    assert order.index("/datapoints/batch") > max(i for i, path in enumerate(order) if path.startswith("/conversions/"))
    assert outcome.succeeded, outcome.residuals
    assert not {"list_datapoints", "get_datapoint", "summary_datapoints_page"} & set(during), during
    stored = conversions_of(db_path)
    assert all(stored[f"link-{n}"] == ({"lead"} if n in CHANGED else {"signup"}) for n in range(LINKS))


async def test_a_conversion_added_in_silence_is_a_residual_unless_the_update_wrote_it(
        db_path: Path, api_key: str, service_variant: ServiceVariant) -> None:
    conversions = [ConversionSpec("signup"), ConversionSpec("lead")]
    async with account(db_path, api_key) as client:
        await apply_desired(client, desired_state(swapped(), conversions=conversions))
        plan = await plan_for(client, desired_state(swapped(CHANGED), conversions=conversions))

    outcome = await with_rewriting(db_path, api_key, plan, "PUT", "/datapoints/batch/patch", "action", "add", "remove")

    stored = conversions_of(db_path)
    assert outcome.verified
    if service_variant.update_slots:  # the update's slots did what the patch did not
        assert not outcome.residuals and all(stored.get(f"link-{n}") == {"lead"} for n in CHANGED)
    else:
        assert all(f"link-{n}" not in stored for n in CHANGED)
        assert sum("lacks conversion lead" in residual for residual in outcome.residuals) == len(CHANGED)
        assert all("lead" in residual for residual in outcome.residuals), outcome.residuals
