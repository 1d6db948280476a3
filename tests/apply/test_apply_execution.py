"""Executing plans on the in-process server: chunking, `$ref` threading, partial failure, lost answers."""

from __future__ import annotations

import asyncio
import io
import json
from pathlib import Path

from reconciler.apply.executor import DONE, FAILED, SKIPPED
from reconciler.apply.run import execute_plan, report_lines
from reconciler.model import ConversionSpec, DatapointSpec, GroupSpec
from tests.apply.helpers import (
    ENVIRON,
    account,
    apply_desired,
    desired_state,
    duplicates,
    live_datapoints,
    plan_for,
    rows,
)


def campaign(links: int, group_notes: str = "ours") -> object:
    return desired_state(
        [DatapointSpec(f"link-{n:03}", url=f"https://shop.example.com/{n}", group="big",
                       tags=frozenset({"news"}), conversions=frozenset({"signup"})) for n in range(links)]
        + [DatapointSpec(name, url=f"https://shop.example.com/{name}") for name in ("loose", "free")],
        groups=[GroupSpec("big", notes=group_notes)], conversions=[ConversionSpec("signup", value=2.0)])


def test_batches_are_chunked_and_new_ids_threaded_into_later_calls(db_path: Path, api_key: str) -> None:
    log = io.StringIO()

    async def work() -> object:
        async with account(db_path, api_key) as client:
            plan = await plan_for(client, campaign(250))
            return await execute_plan(client, plan, saved=False, stream=io.StringIO(), log=log, environ=ENVIRON)

    outcome = asyncio.run(work())
    assert outcome.succeeded and outcome.verified
    calls = [json.loads(line) for line in log.getvalue().splitlines()]
    assert [(c["operation"], c["items"]) for c in calls] == [
        ("POST /groups", 1), ("POST /conversions", 1),
        *[("PUT /datapoints/batch", 25)] * 10, ("PUT /datapoints/batch", 2)]
    group_id = rows(db_path, "SELECT id FROM groups WHERE name = 'big'")[0]["id"]
    in_group = rows(db_path, "SELECT COUNT(*) AS n FROM datapoints WHERE group_id = ?", group_id)[0]["n"]
    linked = rows(db_path, "SELECT COUNT(*) AS n FROM datapoint_conversions dc JOIN conversions c "
                           "ON c.id = dc.conversion_id WHERE c.name = 'signup'")[0]["n"]
    assert (in_group, linked, len(live_datapoints(db_path))) == (250, 250, 252)


def test_a_failed_item_skips_its_dependents_and_a_rerun_finishes_the_rest(db_path: Path, api_key: str) -> None:
    async def work() -> tuple[object, object, object]:
        async with account(db_path, api_key) as client:
            plan = await plan_for(client, campaign(3))
            await client.create_group({"name": "big", "notes": "someone else's"})  # after the plan was made
            await client.create_datapoint({"type": 0, "name": "loose",
                                           "typeTL": {"url": "https://elsewhere.example.com/"}})
            first = await execute_plan(client, plan, saved=False, stream=io.StringIO(), environ=ENVIRON)
            second = await apply_desired(client, campaign(3))
            return plan, first, second

    plan, first, second = asyncio.run(work())
    by_key = {item.key: item for item in first.items}
    # the live service's 403 name clash: a clear failed item, not an authentication error
    assert (by_key["group:big"].status, by_key["group:big"].cause) == (
        FAILED, "POST /groups -> 403: Name: Specified name is alread used.")
    assert (by_key["datapoint:loose"].status, by_key["datapoint:loose"].cause) == (
        FAILED, "Name: Specified name is alread used.")
    assert by_key["conversion:signup"].status == DONE and by_key["datapoint:free"].status == DONE
    assert {by_key[f"datapoint:link-{n:03}"].status for n in range(3)} == {SKIPPED}
    report = report_lines(plan, first)
    assert "Apply: 2 done, 2 failed, 3 skipped, 0 not started." in report
    assert f"  datapoint:loose (PUT /datapoints/batch): {by_key['datapoint:loose'].cause}" in report
    assert "  datapoint:link-000 (PUT /datapoints/batch): needs group:big, which was not created" in report
    assert not first.succeeded and "datapoint link-000 does not exist" in first.residuals
    assert report[-len(first.residuals) - 1:] == ["Not converged; still different:"] + [
        f"  {residual}" for residual in first.residuals]
    assert "datapoint loose: url is 'https://elsewhere.example.com/', expected " \
           "'https://shop.example.com/loose'" in first.residuals
    assert second.succeeded
    assert len(rows(db_path, "SELECT id FROM groups WHERE name = 'big'")) == 1
    assert rows(db_path, "SELECT notes FROM groups WHERE name = 'big'")[0]["notes"] == "ours"
    assert rows(db_path, "SELECT url FROM datapoints WHERE name = 'loose'")[0]["url"] == \
        "https://shop.example.com/loose"
    assert len(live_datapoints(db_path)) == 5 and duplicates(db_path) == []


def test_every_answer_lost_after_its_write_still_creates_each_object_once(db_path: Path, api_key: str) -> None:
    async def work() -> object:
        async with account(db_path, api_key, lost_answers=1.0, lost_as="drop") as client:
            return await apply_desired(client, campaign(120))

    outcome = asyncio.run(work())
    assert outcome.succeeded  # each write's effect was found by re-reading
    assert {item.cause for item in outcome.items} == {"in effect on re-reading"}
    assert len(live_datapoints(db_path)) == 122 and duplicates(db_path) == []
    group_id = rows(db_path, "SELECT id FROM groups WHERE name = 'big'")[0]["id"]
    assert rows(db_path, "SELECT COUNT(*) AS n FROM datapoints WHERE group_id = ?", group_id)[0]["n"] == 120


def test_every_answer_lost_on_updates_patches_and_deletes_still_converges(db_path: Path, api_key: str) -> None:
    """Retried idempotent calls (a delete's retry finds its datapoints gone) and an ambiguous tag create."""
    before = campaign(30)
    after = campaign(30)
    after.groups["big"].prune = True
    for number in range(20):
        spec = after.datapoints[f"link-{number:03}"]
        spec.tags, spec.title = frozenset({"fresh"}), "renewed"
    for number in range(20, 30):
        del after.datapoints[f"link-{number:03}"]

    async def work() -> object:
        async with account(db_path, api_key) as client:
            await apply_desired(client, before)
        async with account(db_path, api_key, lost_answers=1.0, lost_as="503") as client:
            return await apply_desired(client, after)

    outcome = asyncio.run(work())
    assert outcome.succeeded, outcome.residuals
    assert {item.cause for item in outcome.items} == {"in effect on re-reading"}
    assert len(live_datapoints(db_path)) == 22 and duplicates(db_path) == []
    fresh = rows(db_path, "SELECT COUNT(*) AS n FROM datapoint_tags dt JOIN tags t ON t.id = dt.tag_id "
                          "WHERE t.name = 'fresh'")[0]["n"]
    assert fresh == 20 and len(rows(db_path, "SELECT id FROM tags WHERE name = 'fresh'")) == 1
