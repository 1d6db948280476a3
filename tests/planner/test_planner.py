"""The pure planner on model objects: matching, diffs, calls, safety, saved form."""

from __future__ import annotations

import dataclasses

import pytest

from reconciler.apishapes import MAX_BATCH
from reconciler.model import (
    PIXEL,
    ConversionSpec,
    DatapointSpec,
    GroupSpec,
    LiveDatapoint,
    LiveNamed,
    Location,
    Secret,
    Settings,
)
from reconciler.plan.document import Plan, PlanFileError
from reconciler.plan.planner import PlanningError, plan_changes
from reconciler.plan.saved import read_plan, write_plan
from tests.helpers import desired_state, live_like


def link(name: str, **fields) -> DatapointSpec:
    return DatapointSpec(name=name, url=f"https://shop.example.com/{name}", **fields)


def calls(plan: Plan) -> list[tuple[str, str, int]]:
    return [(op.method, op.path, len(op.items)) for op in plan.operations]


def test_empty_account_creates_everything_in_dependency_order() -> None:
    desired = desired_state(
        [link("spring-sale", group="spring", tags=frozenset({"news", "spring"}),
              conversions=frozenset({"signup", "buy"})), DatapointSpec("spring-pixel", type=PIXEL)],
        groups=[GroupSpec("spring", notes="Spring")],
        conversions=[ConversionSpec("signup", value=1.0), ConversionSpec("buy", protocol="https")])
    plan = plan_changes(desired, live_like(desired_state([])))
    assert [(c.kind, c.action, c.name) for c in plan.changes] == [
        ("tag", "create", "news"), ("tag", "create", "spring"), ("group", "create", "spring"),
        ("conversion", "create", "buy"), ("conversion", "create", "signup"),
        ("datapoint", "create", "spring-pixel"), ("datapoint", "create", "spring-sale")]
    assert calls(plan) == [("POST", "/groups", 1), ("POST", "/conversions", 1), ("POST", "/conversions", 1),
                           ("PUT", "/datapoints/batch", 2)]
    sale = plan.operations[-1].body["list"][1]
    assert sale == {"type": 0, "name": "spring-sale", "groupId": {"$ref": "group:spring"},
                    "typeTL": {"url": "https://shop.example.com/spring-sale", "domainId": 1},
                    "tags": [{"name": "news"}, {"name": "spring"}],
                    "firstConversionId": {"$ref": "conversion:buy"},
                    "secondConversionId": {"$ref": "conversion:signup"}}
    assert plan.operations[-1].creates == ("datapoint:spring-pixel", "datapoint:spring-sale")
    assert plan.operations[0].creates == ("group:spring",)


def test_converged_state_gives_no_changes_and_no_calls() -> None:
    desired = desired_state([link("a", tags=frozenset({"x"}), conversions=frozenset({"c"}), group="g",
                                  favourite=True, status="paused", notes="n", title="t")],
                            groups=[GroupSpec("g", prune=True)], conversions=[ConversionSpec("c", value=2.0)])
    plan = plan_changes(desired, live_like(desired))
    assert not plan.has_changes and plan.operations == ()
    assert plan.unchanged == {"conversion": 1, "datapoint": 1, "group": 1, "tag": 1}
    assert plan.summary_line().startswith("No changes. 4 declared objects up to date; 0 API calls")


@pytest.mark.parametrize(("field", "live_value", "wire"), [
    ("url", "https://old.example.com/", {"typeTL": {"url": "https://shop.example.com/a"}}),
    ("title", "Old", {"title": "Title"}),
    ("notes", None, {"notes": "Notes"}),
    ("favourite", False, {"preferred": True}),
    ("status", "active", {"status": 1}),
    ("redirect", "temporary", {"typeTL": {"redirectType": 301}}),
])
def test_one_drifted_field_is_exactly_one_diff_and_one_update(field, live_value, wire) -> None:
    declared = {"url": "https://shop.example.com/a", "title": "Title", "notes": "Notes", "favourite": True,
                "status": "paused", "redirect": "permanent"}
    desired = desired_state([DatapointSpec("a", **declared)])
    live = live_like(desired)
    setattr(live.datapoints[1], field, live_value)
    plan = plan_changes(desired, live)
    (change,) = plan.changes
    assert (change.action, change.id) == ("update", 1)
    assert [(d.field, d.before, d.after) for d in change.diffs] == [(field, live_value, declared[field])]
    assert calls(plan) == [("POST", "/datapoints/batch", 1)]
    assert plan.operations[0].body == {"list": [{"id": 1, "type": 0, **wire}]}


def test_undeclared_fields_are_left_as_live() -> None:
    desired = desired_state([link("a")])
    live = live_like(desired)
    live.datapoints[1] = dataclasses.replace(live.datapoints[1], title="Set by hand", favourite=True,
                                             notes="x", tags=frozenset({"hand"}), status="paused")
    assert not plan_changes(desired, live).has_changes


def test_group_move_resolves_the_live_group_id() -> None:
    desired = desired_state([link("a", group="autumn")], groups=[GroupSpec("spring"), GroupSpec("autumn")])
    live = live_like(desired)
    live.datapoints[3].group = "spring"
    plan = plan_changes(desired, live)
    assert [(d.field, d.before, d.after) for d in plan.changes[0].diffs] == [("group", "spring", "autumn")]
    assert plan.operations[0].body["list"][0]["groupId"] == 2


def test_tag_set_changes_are_one_patch_per_association_after_creating_the_new_tag() -> None:
    desired = desired_state([link("a", tags=frozenset({"keep", "new"}))])
    live = live_like(desired_state([link("a", tags=frozenset({"keep", "old"}))]))
    plan = plan_changes(desired, live)
    (change,) = [c for c in plan.changes if c.kind == "datapoint"]
    (tags,) = change.diffs
    assert (tags.added, tags.removed) == (("new",), ("old",))
    assert change.retag_only and plan.summary()["retag"] == 1
    moved = plan_changes(desired_state([link("a", tags=frozenset({"new"}), title="Moved")]), live)
    assert (moved.summary()["update"], moved.summary()["retag"]) == (1, 1)  # re-tagged while updated
    assert [(op.method, op.path, op.params, op.body) for op in plan.operations] == [
        ("POST", "/tags", {}, {"name": "new"}),
        ("PUT", "/tags/{tagId}/datapoints/patch", {"tagId": 2}, {"action": "remove", "id": 3}),
        ("PUT", "/tags/{tagId}/datapoints/patch", {"tagId": {"$ref": "tag:new"}}, {"action": "add", "id": 3}),
    ]


def test_conversion_links_batch_per_conversion_with_removals_first() -> None:
    names = [f"dp{i:03}" for i in range(MAX_BATCH + 5)]
    desired = desired_state([link(n, conversions=frozenset({"new"})) for n in names],
                            conversions=[ConversionSpec("old"), ConversionSpec("new")])
    live = live_like(desired_state([link(n, conversions=frozenset({"old"})) for n in names],
                                   conversions=[ConversionSpec("old"), ConversionSpec("new")]))
    plan = plan_changes(desired, live)
    assert [(op.path, op.params, op.body["patchRequests"][0]["action"], len(op.items)) for op in plan.operations] == [
        ("/conversions/{conversionId}/datapoints/batch/patch", {"conversionId": 1}, "remove", MAX_BATCH),
        ("/conversions/{conversionId}/datapoints/batch/patch", {"conversionId": 1}, "remove", 5),
        ("/conversions/{conversionId}/datapoints/batch/patch", {"conversionId": 2}, "add", MAX_BATCH),
        ("/conversions/{conversionId}/datapoints/batch/patch", {"conversionId": 2}, "add", 5),
    ]
    first = plan.operations[0]
    assert [r["id"] for r in first.body["patchRequests"]] == [live_id for live_id in range(3, 3 + MAX_BATCH)]


def test_creates_are_chunked_to_the_batch_limit() -> None:
    desired = desired_state([link(f"dp{i:04}") for i in range(2 * MAX_BATCH + 1)])
    plan = plan_changes(desired, live_like(desired_state([])))
    assert calls(plan) == [("PUT", "/datapoints/batch", MAX_BATCH)] * 2 + [("PUT", "/datapoints/batch", 1)]


def test_renamed_from_keeps_the_id_and_updates_the_name() -> None:
    live = live_like(desired_state([link("spring-promo")]))
    desired = desired_state([DatapointSpec("spring-sale", url="https://shop.example.com/spring-promo",
                                           renamed_from=("spring-promo",))])
    plan = plan_changes(desired, live)
    (change,) = plan.changes
    assert (change.action, change.id, change.previous_name, change.name) == ("rename", 1, "spring-promo",
                                                                               "spring-sale")
    assert plan.operations[0].body == {"list": [{"id": 1, "type": 0, "name": "spring-sale"}]}
    assert plan.summary()["delete"] == 0


def test_id_pin_adopts_a_live_datapoint_of_another_name() -> None:
    live = live_like(desired_state([link("whatever")]))
    desired = desired_state([DatapointSpec("adopted", url="https://shop.example.com/whatever", id=1)])
    (change,) = plan_changes(desired, live).changes
    assert (change.action, change.id, change.previous_name) == ("rename", 1, "whatever")


def test_a_live_name_matching_two_datapoints_names_both_ids() -> None:
    live = live_like(desired_state([link("twin")]))
    live.datapoints[7] = dataclasses.replace(live.datapoints[1], id=7, domain="go.example.test")
    with pytest.raises(PlanningError, match=r"'twin' matches more than one datapoint \(ids 1 and 7\)"):
        plan_changes(desired_state([link("twin")]), live)


@pytest.mark.parametrize(("field", "spec", "message"), [
    ("group", link("a", group="nope"), "group: group 'nope' is neither declared nor live"),
    ("conversions", link("a", conversions=frozenset({"nope"})),
     "conversions: conversion 'nope' is neither declared nor live"),
    ("domain", link("a", domain="nope.test"), "domain: domain 'nope.test' is not live"),
    ("retargeting", link("a", retargeting=frozenset({"nope"})), "retargeting: retargeting script 'nope' is not live"),
])
def test_unknown_references_name_the_manifest_line(field, spec, message) -> None:
    spec.locations[field] = Location("manifests/a.yaml", 4, 12)
    with pytest.raises(PlanningError) as raised:
        plan_changes(desired_state([spec]), live_like(desired_state([])))
    assert str(raised.value) == f"manifests/a.yaml:4:12: datapoint a: {message}"


def test_only_prune_groups_lose_undeclared_datapoints() -> None:
    groups = [GroupSpec("owned", prune=True), GroupSpec("shared")]
    live = live_like(desired_state([link("keep", group="owned"), link("stray", group="owned"),
                                    link("other", group="shared"), link("loose")], groups=groups))
    plan = plan_changes(desired_state([link("keep", group="owned")], groups=groups), live)
    assert [(c.action, c.name) for c in plan.changes] == [("delete", "stray")]
    assert calls(plan) == [("DELETE", "/datapoints/batch", 1)]
    assert plan.operations[0].body == {"entities": [{"id": 4}]}
    assert plan.left_alone == {"": 1, "shared": 1}
    assert plan.at_risk_ids() == [4]


def test_thresholds_refuse_without_force_once_ten_are_managed() -> None:
    names = [f"dp{i}" for i in range(10)]
    groups = [GroupSpec("owned", prune=True)]
    live = live_like(desired_state([link(n, group="owned") for n in names], groups=groups))
    desired = desired_state([link(n, group="owned") for n in names[:6]], groups=groups,
                            settings=Settings(max_delete_percent=30))
    plan = plan_changes(desired, live)
    assert plan.refusals(force=False, allow_active=True) == [
        "the plan would delete 4 of 10 managed datapoints (40% > max_delete_percent 30%); "
        "use --force max_delete_percent"]
    assert plan.refusals(force={"max_update_percent"}, allow_active=True) != []
    assert plan.refusals(force={"max_delete_percent"}, allow_active=True) == []
    assert plan.refusals(force=True, allow_active=True) == []
    small = plan_changes(desired_state([link("dp0", group="owned")], groups=groups),
                         live_like(desired_state([link(n, group="owned") for n in names[:3]], groups=groups)))
    assert small.safety.deletes == 2 and small.refusals(force=False, allow_active=True) == []


def test_active_links_deleted_or_repointed_are_refused_without_allow_active() -> None:
    groups = [GroupSpec("owned", prune=True)]
    live = live_like(desired_state([link("moved", group="owned"), link("gone", group="owned")], groups=groups))
    desired = desired_state([DatapointSpec("moved", url="https://elsewhere.example.com/", group="owned")],
                            groups=groups)
    plan = plan_changes(desired, live)
    assert plan.at_risk_ids() == [2, 3]
    plan = plan.with_recent_clicks({2: 7, 3: 0})
    assert [c.recent_clicks for c in plan.changes] == [7, 0]
    assert plan.refusals(force=False, allow_active=False) == [
        "datapoint moved (id 2) had 7 clicks in the last 30 days and would be re-pointed; use --allow-active moved"]
    assert plan.refusals(force=False, allow_active=True) == []
    assert plan.refusals(force=False, allow_active={"moved"}) == []
    assert len(plan.refusals(force=False, allow_active={"other"})) == 1


def test_a_password_change_shows_as_changed_and_the_body_holds_a_placeholder() -> None:
    desired = desired_state([link("a", password=Secret("new-hunter2", env="A_PASSWORD"))])
    live = live_like(desired_state([link("a", password=Secret("old-hunter2"))]))
    plan = plan_changes(desired, live)
    (diff,) = plan.changes[0].diffs
    assert (diff.field, diff.before, diff.after) == ("password", "(sensitive)", "(sensitive)")
    assert plan.operations[0].body["list"][0]["typeTL"] == {"password": {"$secret": "A_PASSWORD"}}
    assert "hunter2" not in repr(plan.to_document())
    assert not plan_changes(desired, live_like(desired)).has_changes


def test_fingerprints_cover_touched_objects_and_the_names_created() -> None:
    desired = desired_state([link("a", title="new"), link("b")], groups=[GroupSpec("g")])
    live = live_like(desired_state([link("a"), link("untouched")], groups=[GroupSpec("g")]))
    plan = plan_changes(desired, live)
    assert [(f.kind, f.name, f.id, f.sha256 is None) for f in plan.fingerprints] == [
        ("datapoint", "a", 2, False), ("datapoint", "b", None, True),
        ("domain", "go.clickmeter.test", 1, False)]  # b's create names the default domain by id
    moved = dataclasses.replace(live.datapoints[2], notes="edited since")
    live.datapoints[2] = moved
    assert plan_changes(desired, live).fingerprints[0].sha256 != plan.fingerprints[0].sha256


def test_saved_form_reads_back_to_the_same_plan() -> None:
    desired = desired_state([link("a", tags=frozenset({"t"}), password=Secret("s", env="PW")),
                             DatapointSpec("p", type=PIXEL, group="g")], groups=[GroupSpec("g", tags=frozenset({"t"}))])
    live = live_like(desired_state([link("a")]))
    live.datapoints[99] = LiveDatapoint(99, "old", "link")
    live.tags[50] = LiveNamed(50, "spare")
    plan = plan_changes(desired, live)
    assert Plan.from_document(plan.to_document()) == plan


@pytest.mark.parametrize(("content", "message"), [
    ("{not json", "not a plan: Expecting property name"),
    ('{"format_version": 99}', "not a plan of format_version 1"),
    ('{"format_version": 1, "target": "x"}', "malformed plan: document: 'manifests_digest' is a required property"),
])
def test_a_saved_plan_that_cannot_be_read_is_one_line(tmp_path, content, message) -> None:
    saved = tmp_path / "plan.json"
    saved.write_text(content)
    with pytest.raises(PlanFileError) as raised:
        read_plan(str(saved))
    assert str(raised.value).startswith(f"{saved}: {message}")


def test_a_saved_plan_reads_back_from_its_file(tmp_path) -> None:
    plan = plan_changes(desired_state([link("a", password=Secret("s", env="PW"))]), live_like(desired_state([])))
    write_plan(plan, str(tmp_path / "plan.json"))
    assert read_plan(str(tmp_path / "plan.json")) == plan
    assert [p.name for p in tmp_path.iterdir()] == ["plan.json"]


def test_a_name_once_used_by_a_deleted_datapoint_is_a_plan_error_at_its_line() -> None:
    desired = desired_state([link("kept"), link("reused")])
    live = live_like(desired_state([link("kept")]))
    live.deleted_datapoints = {("link", "go.clickmeter.test", "reused"),
                               ("link", "elsewhere.example", "kept-elsewhere"),
                               ("pixel", "go.clickmeter.test", "kept-elsewhere")}
    with pytest.raises(PlanningError) as raised:
        plan_changes(desired, live)
    assert str(raised.value) == (
        "manifests/links.yaml:2:5: datapoint reused: name: 'reused' was used by a deleted datapoint on "
        "go.clickmeter.test; deleted datapoints' names cannot be reused; pick another name")
    other_domain = desired_state([link("kept"), link("kept-elsewhere")])
    assert [c.name for c in plan_changes(other_domain, live).changes] == ["kept-elsewhere"]  # domain and type differ
