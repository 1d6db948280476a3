"""A plan that reads only the declared groups (and looks the rest up by name) is the plan a
whole-account read gives: hypothesis over random accounts and manifests, against the real
local server, with lists expanded and not."""

from __future__ import annotations

import asyncio
import dataclasses
import tempfile
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from reconciler.clickmeter.client import ClickMeterClient
from reconciler.live.reader import read_live_state
from reconciler.live.scope import CHEAPEST, DECLARED, WHOLE
from reconciler.model import LINK, PIXEL, DatapointSpec, DesiredState, GroupSpec
from reconciler.plan.planner import PlanningError, plan_changes
from reconciler.plan.run import read_and_plan
from reconciler.server.app import create_app
from reconciler.server.db import register_account
from reconciler.server.variant import ServiceVariant
from tests.helpers import desired_state
from tests.planner.helpers import run_operations

VARIANTS = ("default", "no-expand", "no-expand,updates=merge,counts=without-deleted")
NAMES = ("alpha", "beta", "gamma", "delta", "alp", "zeta", "eta", "theta")  # "alp": a substring of "alpha"
GROUPS = ("spring", "summer", "autumn", "winter")
KEY = "scoped-read-key-0123456789"


@st.composite
def datapoints(draw: st.DrawFn, groups: tuple[str, ...], renames: bool) -> list[DatapointSpec]:
    specs = []
    for name in draw(st.lists(st.sampled_from(NAMES), unique=True, max_size=7)):
        kind = draw(st.sampled_from((LINK, LINK, PIXEL)))
        spec = DatapointSpec(name, type=kind, group=draw(st.none() | st.sampled_from(groups)),
                             title=draw(st.sampled_from(("a", "b"))))
        if kind == LINK:
            spec.url = f"https://shop.example.com/{name}"
            spec.redirect = draw(st.none() | st.sampled_from(("temporary", "permanent")))
        if renames and draw(st.integers(0, 3)) == 0:
            spec.renamed_from = (draw(st.sampled_from([n for n in NAMES if n != name])),)
        specs.append(spec)
    return specs


@st.composite
def cases(draw: st.DrawFn) -> tuple[DesiredState, list[str], DesiredState, int | None]:
    """The account as a desired state, the names then deleted, the manifests, and an index
    into the live ids for a pinned datapoint (None: nothing pinned)."""
    account = desired_state(draw(datapoints(GROUPS, renames=False)), groups=[GroupSpec(g) for g in GROUPS])
    deleted = draw(st.lists(st.sampled_from(sorted(account.datapoints) or ["-"]), unique=True, max_size=2))
    declared = draw(st.lists(st.sampled_from((*GROUPS, "fresh")), unique=True, min_size=1, max_size=2))
    manifests = desired_state(draw(datapoints(tuple(declared) + GROUPS[:1], renames=True)),
                              groups=[GroupSpec(g, prune=draw(st.booleans())) for g in declared])
    return account, deleted, manifests, draw(st.none() | st.integers(0, 20))


async def seeded(client: ClickMeterClient, account: DesiredState, deleted: list[str]) -> list[int]:
    plan = plan_changes(account, await read_live_state(client))
    await run_operations(client, plan)
    live = await read_live_state(client)
    for datapoint in list(live.datapoints.values()):
        if datapoint.name in deleted:
            await client.delete_datapoint(datapoint.id)
    return sorted(live.datapoints)


def comparable(plan: Any) -> Any:
    """What must be equal: the plan document but for what says how it was read."""
    if isinstance(plan, str):
        return plan
    document = plan.to_document()
    return {key: value for key, value in document.items()
            if key not in ("left_alone", "left_alone_names", "read_scope")}


async def both_plans(client: ClickMeterClient, manifests: DesiredState, scope: str) -> tuple[Any, Any]:
    """The plan read by `scope` and the whole-account plan (a `PlanningError` as its message)."""
    async def plan(way: str) -> Any:
        try:
            return await read_and_plan(client, manifests, way)
        except PlanningError as error:
            return str(error)
    return await plan(scope), await plan(WHOLE)


@pytest.mark.parametrize("variant", VARIANTS)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=cases())
def test_a_scoped_plan_is_the_whole_account_plan(variant: str, case: Any) -> None:
    account, deleted, manifests, pin = case
    with tempfile.TemporaryDirectory() as folder:
        db_path = Path(folder) / "local.db"
        register_account(db_path, KEY)
        app = create_app(db_path, variant=ServiceVariant.parse(variant))

        async def run() -> tuple[Any, Any]:
            async with ClickMeterClient("http://local", KEY, transport=httpx.ASGITransport(app=app),
                                        backoff=0.001) as client:
                ids = await seeded(client, account, deleted)
                if pin is not None and ids and manifests.datapoints:
                    first = sorted(manifests.datapoints)[0]
                    manifests.datapoints[first] = dataclasses.replace(manifests.datapoints[first],
                                                                      id=ids[pin % len(ids)])
                return await both_plans(client, manifests, DECLARED)

        try:
            scoped, whole = asyncio.run(run())
        finally:
            app.state.store.close()
    assert comparable(scoped) == comparable(whole)
    if not isinstance(scoped, str):
        assert whole.read_scope == "the whole account"
        read = set(GROUPS) & {*manifests.groups, *(spec.group for spec in manifests.datapoints.values())}
        if scoped.read_scope != "the whole account":  # a pinned id outside the groups
            assert scoped.read_scope.startswith(f"declared groups only ({', '.join(sorted(read)) or 'none live'});")
            whole = dataclasses.replace(whole, left_alone={g: n for g, n in whole.left_alone.items() if g in read})
        event(scoped.read_scope.split(";")[0].split(" (")[0])
        assert scoped.left_alone == whole.left_alone
        assert set(scoped.left_alone_names) <= set(whole.left_alone_names)


def test_two_declared_groups_of_a_larger_account_are_read_alone() -> None:
    """The scope is taken when it is cheaper (2 groups of 200 in 800), and the plan says so;
    link-2 moves from autumn, found by a `textSearch` that also matches link-20..link-299."""
    account = desired_state([DatapointSpec(f"link-{i}", url=f"https://shop.example.com/{i}",
                                           group=GROUPS[i % 4]) for i in range(800)],
                            groups=[GroupSpec(g) for g in GROUPS])
    manifests = desired_state([DatapointSpec("link-0", url="https://shop.example.com/0", group="spring"),
                               DatapointSpec("link-2", url="https://shop.example.com/moved", group="summer")],
                              groups=[GroupSpec("spring", prune=True), GroupSpec("summer")])
    with tempfile.TemporaryDirectory() as folder:
        db_path = Path(folder) / "local.db"
        register_account(db_path, KEY)
        app = create_app(db_path)

        async def run() -> Any:
            async with ClickMeterClient("http://local", KEY, transport=httpx.ASGITransport(app=app)) as client:
                await seeded(client, account, [])
                return await both_plans(client, manifests, CHEAPEST)

        scoped, whole = asyncio.run(run())
        app.state.store.close()
    assert comparable(scoped) == comparable(whole)
    assert scoped.read_scope == "declared groups only (spring, summer); 1 declared name looked up elsewhere"
    assert scoped.summary()["delete"] == 199 and scoped.left_alone == {"summer": 200}
