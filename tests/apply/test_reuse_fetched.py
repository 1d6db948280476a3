"""Apply right after a plan in the same process sends back the entities the plan read,
instead of reading them again before its whole updates; an old plan re-reads."""

from __future__ import annotations

import dataclasses
import io
import json
from pathlib import Path

import pytest

from reconciler.apply.run import execute_plan
from reconciler.clickmeter.client import ClickMeterClient
from reconciler.model import DatapointSpec, Secret
from reconciler.plan.document import REUSE_FETCHED_SECONDS, Plan
from reconciler.plan.run import read_and_plan
from tests.apply.helpers import ENVIRON, TARGET, account, apply_desired, desired_state

pytestmark = pytest.mark.anyio

LINKS = 250  # three expanded pages
CHANGED = range(0, LINKS, 5)  # 50 updates: more than pages, so a re-read would list the pages


def links(title: str = "old") -> list[DatapointSpec]:
    """`title` on the links in CHANGED; one of them has a password (kept out of the plan)."""
    password = Secret(ENVIRON["LINK_PASSWORD"], env="LINK_PASSWORD")
    return [DatapointSpec(f"link-{n}", url=f"https://shop.example.com/{n}", title=title if n in CHANGED else "old",
                          password=password if n == 5 else None) for n in range(LINKS)]


async def apply_counting(client: ClickMeterClient, plan: Plan) -> tuple[bool, int]:
    """(converged, reads made during apply)."""
    before = client.total_calls
    outcome = await execute_plan(client, plan, saved=False, stream=io.StringIO(), environ=ENVIRON)
    writes = sum(n for name, n in client.calls.items() if name.startswith("apply "))
    return outcome.verified and not outcome.residuals and outcome.succeeded, client.total_calls - before - writes


async def test_apply_reuses_the_plans_entities_and_still_converges(db_path: Path, api_key: str) -> None:
    async with account(db_path, api_key) as client:
        assert (await apply_desired(client, desired_state(links()))).verified
        reused = await read_and_plan(client, desired_state(links("new")), keep_fetched=True)
        assert reused.fetched is not None and len(reused.fetched.entities) == len(CHANGED)
        assert ENVIRON["LINK_PASSWORD"] not in json.dumps(dataclasses.replace(reused, target=TARGET).to_document())
        stale = dataclasses.replace(reused, fetched=dataclasses.replace(
            reused.fetched, read_at=reused.fetched.read_at - REUSE_FETCHED_SECONDS - 1))
        client.calls.clear()
        converged, reads_reusing = await apply_counting(client, dataclasses.replace(reused, target=TARGET))
        assert converged
    async with account(db_path, api_key) as client:  # the same updates again, from an old plan
        await apply_desired(client, desired_state(links()))
        client.calls.clear()
        converged, reads_rereading = await apply_counting(client, dataclasses.replace(stale, target=TARGET))
    assert converged
    assert reads_reusing < reads_rereading, (reads_reusing, reads_rereading)
