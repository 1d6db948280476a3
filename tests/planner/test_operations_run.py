"""A plan's operations, sent as written to the real local server, converge the account."""

from __future__ import annotations

from pathlib import Path

from reconciler.live.reader import read_live_state
from reconciler.model import (
    PIXEL,
    ConversionSpec,
    DatapointSpec,
    DesiredState,
    GroupSpec,
    Secret,
    Settings,
)
from reconciler.plan.document import Plan
from reconciler.plan.planner import plan_changes
from tests.helpers import desired_state
from tests.planner.helpers import in_account, run_operations

ENVIRON = {"SALE_PASSWORD": "open-sesame"}


def plan_and_run(db_path: Path, api_key: str, desired: DesiredState) -> tuple[Plan, Plan]:
    """Plan, send the operations, and plan again: (first plan, plan after)."""
    async def work(client):
        plan = plan_changes(desired, await read_live_state(client))
        await run_operations(client, plan, ENVIRON)
        return plan, plan_changes(desired, await read_live_state(client))
    return in_account(db_path, api_key, work)


def campaign(**overrides) -> DesiredState:
    sale = dict(url="https://shop.example.com/sale", title="Sale", group="spring", redirect="permanent",
                tags=frozenset({"news", "spring"}), conversions=frozenset({"signup", "buy"}),
                favourite=True, notes="April", status="active",
                password=Secret(ENVIRON["SALE_PASSWORD"], env="SALE_PASSWORD"))
    sale.update(overrides)
    return desired_state(
        [DatapointSpec("sale", **sale), DatapointSpec("open-pixel", type=PIXEL, group="spring",
                                                      tags=frozenset({"news"}), conversions=frozenset({"buy"})),
         DatapointSpec("plain", url="https://shop.example.com/plain")],
        groups=[GroupSpec("spring", notes="Spring", favourite=True, tags=frozenset({"seasonal"}), prune=True),
                GroupSpec("autumn")],
        conversions=[ConversionSpec("signup", value=12.5, protocol="https", description="Account"),
                     ConversionSpec("buy", value=3.0), ConversionSpec("extra", value=1.0)],
        settings=Settings(default_domain="go.clickmeter.test"))


def test_everything_created_from_an_empty_account_converges(db_path: Path, api_key: str) -> None:
    first, after = plan_and_run(db_path, api_key, campaign())
    assert first.summary()["create"] == 11 and first.summary()["calls"] == 6
    assert after.changes == () and after.operations == ()


def test_every_kind_of_change_to_a_converged_account_converges(db_path: Path, api_key: str) -> None:
    plan_and_run(db_path, api_key, campaign())
    changed = campaign(url="https://shop.example.com/new", title="New", group="autumn", redirect="temporary",
                       tags=frozenset({"spring", "fresh"}), conversions=frozenset({"extra", "buy"}),
                       favourite=False, notes="May", status="paused",
                       password=Secret("other-password", env="SALE_PASSWORD"))
    changed.datapoints["renamed"] = DatapointSpec("renamed", url="https://shop.example.com/plain",
                                                  renamed_from=("plain",))
    del changed.datapoints["plain"], changed.datapoints["open-pixel"]
    changed.groups["spring"].notes = "Still spring"
    changed.groups["autumn"].tags = frozenset({"fresh", "news"})
    changed.conversions["buy"].value = 4.0
    ENVIRON["SALE_PASSWORD"] = "other-password"
    try:
        plan, after = plan_and_run(db_path, api_key, changed)
    finally:
        ENVIRON["SALE_PASSWORD"] = "open-sesame"
    assert [(c.kind, c.action, c.name) for c in plan.changes] == [
        ("tag", "create", "fresh"), ("group", "update", "autumn"), ("group", "update", "spring"),
        ("conversion", "update", "buy"),
        ("datapoint", "rename", "renamed"), ("datapoint", "update", "sale"),
        ("datapoint", "delete", "open-pixel")]
    assert [(op.method, op.path) for op in plan.operations if op.items == ("group:autumn",)] == [
        ("PUT", "/tags/{tagId}/groups/patch")] * 2
    assert after.changes == ()


def test_retargeting_scripts_are_set_on_create_and_on_update(db_path: Path, api_key: str) -> None:
    async def add_scripts(client):
        for name in ("site-pixel", "ads-pixel"):
            await client.create_retargeting({"name": name, "script": f"<script>/* {name} */</script>"})
    in_account(db_path, api_key, add_scripts)
    created, converged = plan_and_run(db_path, api_key, campaign(retargeting=frozenset({"site-pixel"})))
    assert created.operations[-1].body["list"][-1]["typeTL"]["scripts"] == [{"id": 1}]
    assert converged.changes == ()
    moved, after = plan_and_run(db_path, api_key, campaign(retargeting=frozenset({"ads-pixel", "site-pixel"})))
    assert [(op.method, op.path, op.body) for op in moved.operations] == [
        ("POST", "/datapoints/batch", {"list": [{"id": moved.changes[0].id, "type": 0,
                                                 "typeTL": {"scripts": [{"id": 2}, {"id": 1}]}}]})]
    assert after.changes == ()
