"""Renderers over one plan: what each output must show, and never show."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import click
import jsonschema

from reconciler.model import DatapointSpec, GroupSpec, Secret, Settings
from reconciler.plan.document import Plan
from reconciler.plan.planner import plan_changes
from reconciler.render import COMMENT_LIMIT, PlanJson, PlanMarkdown, PlanText
from tests.helpers import desired_state, live_like

SCHEMA = json.loads((Path(__file__).parents[2] / "schemas" / "plan.schema.json").read_text())


def risky_plan() -> Plan:
    groups = [GroupSpec("owned", prune=True)]
    live = live_like(desired_state([DatapointSpec("gone", url="https://a.example.com/", group="owned"),
                                    DatapointSpec("sale", url="https://a.example.com/", group="owned",
                                                  password=Secret("old-secret-value"))], groups=groups))
    desired = desired_state([DatapointSpec("sale", url="https://b.example.com/", group="owned",
                                           password=Secret("new-secret-value", env="SALE_PW")),
                             DatapointSpec("fresh", url="https://c.example.com/", tags=frozenset({"new"}))],
                            groups=groups)
    plan = plan_changes(desired, live).with_recent_clicks({2: 5, 3: 0})
    return dataclasses.replace(plan, target="target: local (test.db)")


def test_text_names_the_target_first_and_ends_with_the_summary() -> None:
    text = PlanText().render(risky_plan())
    lines = text.splitlines()
    assert lines[0] == "target: local (test.db)"
    assert lines[-1] == ("Plan: 2 to create, 1 to update, 1 to delete, 0 links to re-tag; "
                         "3 API calls (~1 s at 10 req/s).")
    assert " + link fresh  [manifests/links.yaml:2:5]" in lines
    assert "      url: \"https://a.example.com/\" -> \"https://b.example.com/\"" in lines
    assert "      password: (sensitive) (changed)" in lines
    assert "      ! 5 clicks in the last 30 days, deleted" in lines
    assert "\x1b[" not in text


def test_colour_only_when_asked_and_only_adds_escapes() -> None:
    coloured = PlanText(color=True).render(risky_plan())
    assert click.unstyle(coloured) == PlanText().render(risky_plan())
    lines = coloured.splitlines()
    assert "\x1b[32m\x1b[1m +\x1b[0m link fresh  [manifests/links.yaml:2:5]" in lines
    assert "\x1b[33m\x1b[1m ~\x1b[0m link sale (id 3)  [manifests/links.yaml:1:5]" in lines
    assert "\x1b[31m\x1b[1m -\x1b[0m link gone (id 2)" in lines
    assert "      \x1b[31m\x1b[22m! 5 clicks in the last 30 days, deleted\x1b[0m" in lines
    assert lines[-1] == ("\x1b[1mPlan: 2 to create, 1 to update, 1 to delete, 0 links to re-tag; "
                         "3 API calls (~1 s at 10 req/s).\x1b[0m")  # bold, not white: light terminals


def test_markdown_puts_destructive_changes_first_with_their_clicks() -> None:
    markdown = PlanMarkdown().render(risky_plan())
    risk = markdown.index("#### Destructive changes")
    assert risk < markdown.index("<details><summary>Changes (4)</summary>")
    assert "| delete | `gone` | 2 | 5 |" in markdown
    assert "| re-point | `sale` | 3 | 0 |" in markdown
    assert "> - datapoint gone (id 2) had 5 clicks in the last 30 days and would be deleted" in markdown


def test_json_follows_the_schema_and_reads_back() -> None:
    plan = risky_plan()
    document = json.loads(PlanJson().render(plan))
    jsonschema.validate(document, SCHEMA)
    # `read_scope`, `left_alone_names`, `password_fingerprints`, `warnings` (and `short_urls`) only when
    # there is something to say: older saved plans re-render unchanged
    conditional = ("read_scope", "left_alone_names", "password_fingerprints", "warnings")
    assert list(document) == [key for key in SCHEMA["properties"] if key not in conditional]
    assert document["short_urls"] == {"sale": "http://go.clickmeter.test/sale"}
    assert Plan.from_document(document) == plan
    scoped = dataclasses.replace(plan, read_scope="the whole account", left_alone={"": 1},
                                 left_alone_names=("stray",),
                                 password_fingerprints={"SALE": "0" * 32 + ":" + "1" * 128},
                                 warnings=("datapoint sale: expires.on 2020-01-01 is in the past",))
    scoped_document = json.loads(PlanJson().render(scoped))
    assert list(scoped_document) == list(SCHEMA["properties"])
    assert Plan.from_document(scoped_document) == scoped


def test_no_output_holds_a_secret() -> None:
    plan = risky_plan()
    for renderer in (PlanText(color=True), PlanMarkdown(), PlanJson()):
        output = renderer.render(plan)
        assert "secret-value" not in output and "(sensitive)" in output


def test_a_markdown_plan_too_big_for_one_comment_is_cut_and_says_so() -> None:
    groups = [GroupSpec("owned", prune=True)]
    live = live_like(desired_state([DatapointSpec(f"old-{i:04}", url="https://a.example.com/", group="owned")
                                    for i in range(300)], groups=groups))
    desired = desired_state([DatapointSpec(f"summer-campaign-link-{i:04}", url=f"https://shop.example.com/p/{i}",
                                           title=f"Summer campaign product page {i}") for i in range(1000)],
                            groups=groups)
    plan = plan_changes(desired, live)
    whole = PlanMarkdown(limit=None).render(plan)
    cut = PlanMarkdown().render(plan)
    assert len(whole) > 2 * COMMENT_LIMIT and len(cut) <= COMMENT_LIMIT
    assert cut.count("| delete | `old-") == 300  # every destructive row fits, before any detail
    shown = cut.count("- `+` link summer-campaign-link-")
    assert 0 < shown < 1000 and whole.count("- `+` link summer-campaign-link-") == 1000
    assert f"_{1300 - shown} more changes: see the full plan artifact._" in cut
    assert cut.endswith("**Plan: 1000 to create, 0 to update, 300 to delete, 0 links to re-tag; "
                        f"{len(plan.operations)} API calls (~{-(-len(plan.operations) // 10)} s at 10 req/s).**\n")
    assert PlanMarkdown().render(risky_plan()) == PlanMarkdown(limit=None).render(risky_plan())


def test_safety_settings_are_stated_and_loosened_ones_warned_about() -> None:
    groups = [GroupSpec("owned", prune=True)]
    live = live_like(desired_state([DatapointSpec("gone", url="https://a.example.com/", group="owned"),
                                    DatapointSpec("kept", url="https://a.example.com/", group="owned")],
                                   groups=groups))
    loose = Settings(max_delete_percent=100, max_update_percent=30, protect_active_days=0)
    plan = plan_changes(desired_state([DatapointSpec("kept", url="https://a.example.com/", group="owned")],
                                      groups=groups, settings=loose), live)
    warnings = [
        "protect_active_days is 0: links with recent clicks are deleted, renamed or re-pointed without "
        "reading their clicks",
        "max_delete_percent is 100% (over 50%): a mass delete passes without --force",
        "group owned is pruned (prune: true) and has 1 live datapoint no manifest declares: the plan deletes it"]
    assert plan.safety.warnings() == warnings
    text = PlanText().render(plan).splitlines()
    assert "safety: max_delete_percent 100%, max_update_percent 30%, protect_active_days 0 (off)" in text
    assert [line for line in text if line.startswith("warning: ")] == [f"warning: {w}" for w in warnings]
    markdown = PlanMarkdown().render(plan)
    assert "| change | datapoint | id | clicks (protection off) |" in markdown
    (row,) = [line for line in markdown.splitlines() if line.startswith("| delete | `gone` |")]
    assert row.endswith("| not read |")
    assert "> - **warning:** max_delete_percent is 100% (over 50%): a mass delete passes without --force" in markdown
    document = json.loads(PlanJson().render(plan))
    jsonschema.validate(document, SCHEMA)
    assert document["safety"]["warnings"] == warnings and document["safety"]["pruning"] == {"owned": 1}
    safe = plan_changes(desired_state([DatapointSpec("kept", url="https://a.example.com/")]),
                        live_like(desired_state([DatapointSpec("kept", url="https://a.example.com/")])))
    assert safe.safety.warnings() == []
    assert "safety: max_delete_percent 30%, max_update_percent 30%, protect_active_days 30" in PlanText().render(safe)


def test_one_click_is_singular() -> None:
    plan = risky_plan().with_recent_clicks({2: 1})
    assert "      ! 1 click in the last 30 days, deleted" in PlanText().render(plan).splitlines()


def test_a_type_change_is_shown_as_a_replacement() -> None:
    groups = [GroupSpec("owned", prune=True)]
    live = live_like(desired_state([DatapointSpec("launch", url="https://a.example.com/", group="owned")],
                                   groups=groups))
    plan = plan_changes(desired_state([DatapointSpec("launch", type="pixel", group="owned")], groups=groups), live)
    assert [(c.action, c.type) for c in plan.changes] == [("create", "pixel"), ("delete", "link")]
    old_id = plan.changes[1].id
    text = PlanText().render(plan).splitlines()
    assert (f"      why: replaces link launch (id {old_id}): a type cannot change, so this is a new datapoint "
            "with a new id; the old one's statistics are not carried over") in text
    assert "      why: replaced by a new datapoint of another type named launch" in text
    assert "replaces link launch" in PlanMarkdown().render(plan)
