"""Talking to the real local server from planner tests.

`in_account` runs a coroutine against the in-process app for a database and key;
`run_operations` sends a plan's operations through the executor, and requires
every item to succeed, which proves the operations work against the server,
and sets up accounts for the tests.
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

import httpx

from reconciler.apply.executor import DONE, Executor
from reconciler.apply.progress import Progress
from reconciler.clickmeter.client import ClickMeterClient
from reconciler.clickmeter.wire import whole_update
from reconciler.plan.document import Plan
from reconciler.server.app import create_app
from reconciler.target import local_service_variant
from tests.apply.helpers import account
from tests.server.helpers import visit

T = TypeVar("T")


def in_account(db_path: Path, api_key: str, work: Callable[[ClickMeterClient], Awaitable[T]]) -> T:
    """`work(client)` against the local server on `db_path`, from synchronous test code."""
    async def run() -> T:
        async with account(db_path, api_key) as client:
            return await work(client)
    return asyncio.run(run())


async def run_operations(client: ClickMeterClient, plan: Plan, environ: Mapping[str, str] = {}) -> dict[str, int]:
    """Every operation in order through the executor (placeholders filled, updates sent whole);
    each item must succeed. Returns `kind:name -> new id`."""
    progress = Progress(total_calls=len(plan.operations), total_items=sum(len(op.items) for op in plan.operations),
                        stream=io.StringIO(), is_terminal=False)
    executor = Executor(client, plan, progress, environ)
    outcome = await executor.run()
    assert all(item.status == DONE for item in outcome.items), [
        (item.key, item.status, item.cause) for item in outcome.items if item.status != DONE]
    return executor.ids


async def edit_datapoint(client: ClickMeterClient, datapoint_id: int, changes: dict[str, Any]) -> None:
    """An out-of-band edit of some fields, as a user would make it: the whole datapoint re-sent
    (the service may replace it whole), `changes` laid over it."""
    await client.update_datapoint(datapoint_id, whole_update(await client.get_datapoint(datapoint_id), changes))


def record_clicks(db_path: Path, path: str, clicks: int) -> None:
    """Visit a link's short path (`/{domain}/{name}`) on the local server as a browser would."""
    async def visit_all() -> None:
        app = create_app(db_path, variant=local_service_variant())
        try:
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://local") as web:
                for visit_number in range(clicks):
                    response = await visit(web, path, ip=f"10.0.0.{visit_number + 1}",
                                           agent=f"browser-{visit_number}")
                    assert response.status_code in (301, 307), response.text
        finally:
            app.state.store.close()
    asyncio.run(visit_all())


TWIN_MANIFEST = """\
datapoints:
  - name: sale
    id: {first}
    url: https://shop.example.com/sale/1
    notes: first
    tags: [news]
  - name: sale
    id: {second}
    url: https://shop.example.com/sale/2
    domain: go.example.test
    notes: second
    tags: [news]
"""


def seed_twin_links(db_path: Path, api_key: str, manifests: Path) -> tuple[int, int]:
    """Two live links named 'sale' (on the system domain and on go.example.test), as
    `manifests/twins.yaml` declares them with their `id:` pins; returns their ids."""
    async def seed(client: ClickMeterClient) -> tuple[int, int]:
        domain = (await client.create_domain({"name": "go.example.test"}))["id"]
        ids = []
        for number, where in ((1, {}), (2, {"domainId": domain})):
            made = await client.create_datapoint({
                "type": 0, "name": "sale", "notes": ("first", "second")[number - 1],
                "tags": [{"name": "news"}], "typeTL": {"url": f"https://shop.example.com/sale/{number}", **where}})
            ids.append(made["id"])
        return ids[0], ids[1]
    first, second = in_account(db_path, api_key, seed)
    manifests.mkdir(exist_ok=True)
    (manifests / "twins.yaml").write_text(TWIN_MANIFEST.format(first=first, second=second))
    return first, second


def drift_one_twin(db_path: Path, api_key: str, datapoint_id: int) -> None:
    """Edit one twin out of band: new notes, and its tag 'news' taken away."""
    async def drift(client: ClickMeterClient) -> None:
        await edit_datapoint(client, datapoint_id, {"notes": "edited"})
        (news,) = await client.list_tags()  # the account's only tag
        assert (await client.get_tag(news["id"]))["name"] == "news"
        await client.patch_tag_datapoint(news["id"], "remove", datapoint_id)
    in_account(db_path, api_key, drift)
