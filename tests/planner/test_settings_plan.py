"""The settings of issue 12 in the planner and its outputs: diffed like any field, nested ones
saying which entry changes, a re-pointed link protected, a past expiry warned about, and the
saved form valid and read back (the planner is pure: these need no server)."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from reconciler.clickmeter import wire
from reconciler.model import (
    LINK,
    PIXEL,
    DatapointSpec,
    DesiredState,
    Destination,
    Destinations,
    Expiry,
    LiveDatapoint,
    LiveNamed,
    LiveState,
    Location,
)
from reconciler.plan.document import FieldDiff, Plan
from reconciler.plan.effects import Names
from reconciler.plan.planner import plan_changes
from reconciler.render.markdown import PlanMarkdown
from reconciler.render.text import PlanText

pytestmark = pytest.mark.default_service_only
SCHEMA = json.loads((Path(__file__).parents[2] / "schemas" / "plan.schema.json").read_text())
NOW = datetime(2026, 5, 1, 9, 30)
WRITTEN = {"": Location("links.yaml", 3, 5), "expires": Location("links.yaml", 5, 5)}


def rotate(*pairs: tuple[str, int | None]) -> Destinations:
    return Destinations("rotate", tuple(Destination(url, weight=weight) for url, weight in pairs))


def by_country(**urls: str) -> Destinations:
    return Destinations("by_country", tuple(Destination(url, key) for key, url in sorted(urls.items())))


def account(**live_fields: Any) -> LiveState:
    link = LiveDatapoint(id=10, name="sale", type=LINK, url="https://x/", domain="go.test", **live_fields)
    return LiveState(datapoints={10: link}, domains={1: LiveNamed(1, "go.test", "system")})


def planned(live: LiveState, **declared: Any) -> Plan:
    spec = DatapointSpec(name="sale", url=declared.pop("url", "https://x/"), locations=WRITTEN, **declared)
    return plan_changes(DesiredState(datapoints={"sale": spec}), live, now=NOW)


def only_diff(plan: Plan, field: str) -> FieldDiff:
    (change,) = plan.changes
    return next(d for d in change.diffs if d.field == field)


@pytest.mark.parametrize(("before", "after", "details"), [
    (by_country(IT="https://a", FR="https://f"), by_country(IT="https://b", FR="https://f"),
     ("by_country.IT: https://a -> https://b",)),
    (by_country(IT="https://a"), by_country(IT="https://a", FR="https://f"), ("by_country.FR: added https://f",)),
    (by_country(IT="https://a", FR="https://f"), by_country(IT="https://a"), ("by_country.FR: removed https://f",)),
    (rotate(("https://x/", 50), ("https://b", 30), ("https://c", 10)),
     rotate(("https://x/", 50), ("https://b", 30), ("https://c", 20)), ("rotate[2].weight: 10 -> 20",)),
    (rotate(("https://x/", None), ("https://b", None)), by_country(IT="https://i"),
     ("mode: rotate -> by_country", "by_country.IT: added https://i")),
    (Destinations(), rotate(("https://x/", None), ("https://b", None)),
     ("mode: simple -> rotate", "rotate[0]: added https://x/", "rotate[1]: added https://b")),
])
def test_a_destinations_change_says_which_entry_changes(before: Destinations, after: Destinations,
                                                        details: tuple[str, ...]) -> None:
    plan = planned(account(destinations=before), destinations=after)
    assert only_diff(plan, "destinations").details == details
    (change,) = plan.changes
    assert change.risk_verb == "re-pointed" and plan.at_risk_ids() == [10]
    text = PlanText().render(plan)
    assert "      destinations:\n" + "".join(f"        {line}\n" for line in details) in text
    assert "".join(f"    - `{line}`\n" for line in details) in PlanMarkdown().render(plan) + "\n"


def test_an_expiry_change_says_which_part_changes_and_a_past_date_is_warned_about() -> None:
    plan = planned(account(expires=Expiry(1000)), expires=Expiry(2000, "2026-04-30", "https://over"))
    assert only_diff(plan, "expires").details == ("expires.after_clicks: 1000 -> 2000",
                                                  "expires.on: added 2026-04-30", "expires.then: pause -> https://over")
    warning = ("links.yaml:5:5: expires.on: 'sale' expires on 2026-04-30, already past: once applied it is "
               "expired (visits sent to https://over)")
    assert plan.warnings == (warning,)
    assert f"warning: {warning}\n" in PlanText().render(plan)
    assert planned(account(), expires=Expiry(on="2026-05-01T10:00:00")).warnings == ()


def test_flags_and_texts_diff_like_any_field_and_only_declared_ones() -> None:
    live = account(forward_query=True, cloak=True, cloak_title="Old", referrer="clean")
    plan = planned(live, forward_query=False, cloak_title="New", referrer="myself", public=True)
    (change,) = plan.changes
    assert [(d.field, d.before, d.after) for d in change.diffs] == [
        ("forward_query", True, False), ("cloak_title", "Old", "New"), ("referrer", "clean", "myself"),
        ("public", False, True)]
    assert change.risk_verb is None
    assert planned(live).changes == ()


def test_an_update_body_carries_the_settings_and_its_expectation_checks_them() -> None:
    after = by_country(IT="https://i")
    plan = planned(account(), url="https://d/", destinations=after, expires=Expiry(5), encode_url=True,
                   anonymise_ip=True)
    (operation,) = plan.operations
    (body,) = wire.batch_entries(operation.body) or []
    assert body["typeTL"]["destinationMode"] == 6 and body["typeTL"]["urlsByNation"] == [
        {"nation": "IT", "url": "https://i"}]
    assert body["typeTL"]["expirationClicks"] == 5 and body["encodeIp"] is True
    (expectation,) = operation.expectations(Names(LiveState(), {}))
    assert expectation.fields == {"type": LINK, "url": "https://d/", "destinations": after, "expires": Expiry(5),
                                  "encode_url": True, "anonymise_ip": True}


def test_a_create_shows_and_sends_only_settings_away_from_their_default() -> None:
    desired = DesiredState(datapoints={
        "new": DatapointSpec(name="new", url="https://n/", destinations=Destinations(), expires=Expiry(),
                             forward_query=False, referrer="keep", cloak=True),
        "open": DatapointSpec(name="open", type=PIXEL, parameter_note="c in ?c=", public=True)})
    plan = plan_changes(desired, account(), now=NOW)
    assert {c.name: [d.field for d in c.diffs] for c in plan.changes} == {
        "new": ["url", "cloak"], "open": ["public", "parameter_note"]}
    bodies = {body["name"]: body for _, body in plan.operations[0].entries()}
    assert bodies["new"]["typeTL"] == {"url": "https://n/", "hideUrl": True, "domainId": 1}
    assert bodies["open"] == {"type": 1, "name": "open", "isPublic": True, "typeTP": {"parameterNote": "c in ?c="}}


def test_a_dynamic_url_link_declared_by_its_url_alone_is_left_as_live() -> None:
    assert planned(account(destinations=Destinations("dynamic_url")), destinations=Destinations()).changes == ()


def test_the_saved_form_is_valid_and_reads_back_with_its_details() -> None:
    plan = planned(account(destinations=by_country(IT="https://a")), destinations=by_country(IT="https://b"),
                   expires=Expiry(on="2020-01-01"))
    document = plan.to_document()
    jsonschema.validate(document, SCHEMA)
    assert document["warnings"] and document["changes"][0]["diffs"][0]["details"] == [
        "by_country.IT: https://a -> https://b"]
    assert Plan.from_document(json.loads(json.dumps(document))).to_document() == document
    assert "details" not in planned(account(), title="t").to_document()["changes"][0]["diffs"][0]
