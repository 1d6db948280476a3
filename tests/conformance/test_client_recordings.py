"""The client half of the recordings: what the live service answered decodes to the right model
values, and what the product sends for a recorded operation has the recorded shape.

Answers are read with the codec the reader, apply and stats use (`wire`); requests are the
planner's operations for a state like the recorded account, filled as the executor fills them
(updates laid over the recorded GET answer with `wire.whole_update`, as apply sends them).
"""

from __future__ import annotations

from typing import Any, ClassVar

import pytest

from reconciler.apply.executor import fill
from reconciler.clickmeter import wire
from reconciler.clickmeter.errors import NameUsedError, error_for_status
from reconciler.model import (
    LINK,
    ConversionSpec,
    DatapointSpec,
    DesiredState,
    GroupSpec,
    LiveConversion,
    LiveDatapoint,
    LiveGroup,
    LiveNamed,
    LiveState,
    Secret,
    TagSpec,
)
from reconciler.plan.planner import plan_changes
from reconciler.stats.results import read_summary_row
from tests.conformance.helpers import exchanges, shape_problems

RECORDED = {exchange.name: exchange for exchange in exchanges()}


def answer(name: str) -> Any:
    return RECORDED[name].answer


def request(name: str) -> Any:
    return RECORDED[name].body


class RecordedNames:
    """The recorded account's ids, by name (`wire.ReferenceNames`)."""

    known: ClassVar[dict[str, dict[int, str]]] = {"group": {192071: "some_group", 189630: "Campaign #1"},
                                                  "domain": {1921: "s87.eu"},
             "conversion": {7730: "conv2"}}

    def name_of(self, kind: str, reference: Any, wire_name: str | None = None) -> str | None:
        return self.known[kind].get(int(reference)) or wire_name

    def names_of(self, kind: str, references: list[Any] | None) -> frozenset[str]:
        return frozenset(wire.keyed(ref).get("name") or str(ref) for ref in references or [])

    def secret(self, value: Any) -> Secret | None:
        return Secret(value) if value else None


def decoded(data: dict[str, Any]) -> LiveDatapoint:
    return LiveDatapoint(id=wire.entity_id(data), **wire.datapoint_fields(data, RecordedNames()))


# ------------------------------------------------------------------ answers


def test_a_datapoint_get_without_defaults_is_an_active_permanent_link() -> None:
    found = decoded(answer("datapointtest_test_find"))
    assert found == LiveDatapoint(id=2041589, name="someDatapoint", type=LINK, url="http://example.com",
                                  title="datapoint_1", domain="s87.eu", redirect="permanent", group="some_group",
                                  favourite=False, status="active")
    assert not wire.is_deleted(answer("datapointtest_test_find"))


def test_summary_rows_give_names_urls_and_domains_and_the_deleted_are_told_apart() -> None:
    rows = [wire.summary_datapoint(row) for row in answer("aggregatedstattest_test_datapoints_summary")["result"]]
    live = [decoded(row) for row in rows if not wire.is_deleted(row)]
    deleted = {(found.domain, found.name) for found in map(decoded, rows) if found.status == "deleted"}
    assert [(d.id, d.name, d.title, d.url, d.domain, d.group) for d in live] == [
        (2028366, "datapoint2", "datapoint2", "http://trol.com/", "s87.eu", "Campaign #1"),
        (2028437, "dp3", "datapoint3", "http://example.com", "s87.eu", "Campaign #1")]
    assert deleted == {("string", name) for name in ("SECOND_datapoint", "troll", "somename", "string", "trol")}
    tagged = decoded(rows[4])
    assert (tagged.tags, tagged.notes, tagged.type) == (frozenset({"string"}), None, LINK)
    assert decoded(rows[3]).notes == "string"


def test_a_statistics_row_is_read_by_stats() -> None:
    row = read_summary_row(answer("aggregatedstattest_test_datapoint"))
    assert (row.id, row.name, row.kind) == (2027499, "string", LINK)
    assert wire.is_deleted(answer("aggregatedstattest_test_datapoint")["entityData"])


def test_batch_answers_are_items_ok_or_refused_with_the_services_words() -> None:
    assert wire.batch_results(answer("datapointtest_test_save_batch")) == [wire.BatchResult(True, 2041619)]
    assert wire.batch_results(answer("datapointtest_test_create_batch")) == [
        wire.BatchResult(False, message="Id: Specified datapoint does not exist.")]
    assert decoded(answer("datapointtest_test_save_batch")["results"][0]["entityData"]).name == "someDatapoint3"


def test_groups_conversions_tags_domains_and_lists() -> None:
    assert wire.live_group(answer("grouptest_test_find")) == LiveGroup(189630, "Campaign #1")
    assert wire.live_conversion(answer("conversiontest_test_find")) == LiveConversion(7730, "conv2", 0.0, "http")
    assert wire.tag_members(answer("tagtest_test_find")) == ([2027534, 2027645], [189628, 191837])
    assert wire.live_named(answer("tagtest_test_find")) == LiveNamed(20518, "string")
    assert wire.live_named(answer("domaintest_test_find"), "system") == LiveNamed(1921, "s87.eu", "system")
    for name in ("datapointtest_test_all", "grouptest_test_all", "conversiontest_test_all", "tagtest_test_all",
                 "domaintest_test_all", "grouptest_test_datapoints", "tagtest_test_datapoints"):
        entries = answer(name)["entities"]
        assert entries and not any(map(wire.is_whole, entries)), name  # {id, uri}: not expanded
        assert all(isinstance(wire.entity_id(entry), int) for entry in entries)
    deleted = [row["entityData"] for row in answer("aggregatedstattest_test_conversions_summary")["result"]]
    assert [wire.is_deleted(data) for data in deleted] == [False, True, False]
    writes = [e for e in RECORDED.values() if e.method in ("POST", "PUT", "DELETE") and e.name[:7] != "account"
              and "results" not in (e.answer or {})]
    assert writes and all(isinstance(wire.entity_id(e.answer), int) for e in writes)


@pytest.mark.parametrize("body", [
    {"errors": [{"property": "Name", "errorMessage": "Specified name is alread used.", "code": "0013"}]},
    [{"property": "Name", "errorMessage": "Specified name is alread used.", "code": "0013"}]])
def test_a_403_name_clash_is_worded_and_not_an_authentication_error(body: Any) -> None:
    error = error_for_status("POST", "/datapoints", 403, body)
    assert isinstance(error, NameUsedError)
    assert str(error) == "POST /datapoints -> 403: Name: Specified name is alread used."
    assert not isinstance(error_for_status("GET", "/account", 403, {"errors": []}), NameUsedError)


# ------------------------------------------------------------------ requests


def recorded_account() -> LiveState:
    """The recorded account as read: group some_group (192071), domain s87.eu (1921), a link, a conversion."""
    return LiveState(
        groups={192071: LiveGroup(192071, "some_group", favourite=True), 189630: LiveGroup(189630, "Campaign #1")},
        domains={1921: LiveNamed(1921, "s87.eu", "system"), 2084: LiveNamed(2084, "other.example", "personal")},
        conversions={7730: LiveConversion(7730, "conv2", 0.0, "http")},
        tags={21018: LiveNamed(21018, "tag2")},
        datapoints={2041589: decoded(answer("datapointtest_test_find")),
                     2027508: LiveDatapoint(2027508, "SECOND_datapoint", LINK, url="http://typeTL.url.com",
                                            domain="s87.eu", redirect="permanent", group="Campaign #1")})


def sent(desired: DesiredState) -> dict[tuple[str, str], list[Any]]:
    """(method, path template) -> the bodies the plan sends (placeholders filled), each batch entry apart."""
    bodies: dict[tuple[str, str], list[Any]] = {}
    for operation in plan_changes(desired, recorded_account()).operations:
        entries = wire.batch_entries(operation.body)
        for body in entries if entries is not None else [operation.body]:
            bodies.setdefault((operation.method, operation.path), []).append(fill(body, {"group:group10": 1}, {}))
    return bodies


def desired(**kinds: Any) -> DesiredState:
    return DesiredState(**{kind: {spec.name: spec for spec in specs} for kind, specs in kinds.items()})


def same_shape(recorded: Any, ours: Any, whole: bool = False) -> list[str]:
    """`shape_problems`; for a whole update, keys the recording leaves out may be there (re-sent as read)."""
    problems = shape_problems(recorded, ours)
    return [problem for problem in problems if not (whole and problem.endswith("extra"))]


def test_a_link_create_has_the_recorded_shape_with_the_default_domain() -> None:
    bodies = sent(desired(datapoints=[DatapointSpec("someDatapoint4", title="datapoint_4", group="some_group",
                                                    url="http://example.com", redirect="permanent")]))
    (created,) = bodies[("PUT", "/datapoints/batch")]
    (recorded,) = request("datapointtest_test_create_batch")["list"]
    assert shape_problems(recorded, created) == []
    assert created["typeTL"]["domainId"] == 1921  # the first system domain: no domain declared
    assert shape_problems(request("datapointtest_test_create"), created) == []


def test_an_update_is_the_entity_as_read_with_the_managed_fields_changed() -> None:
    bodies = sent(desired(datapoints=[DatapointSpec("someDatapoint", title="datapoint_3", group="some_group")]))
    (planned,) = bodies[("POST", "/datapoints/batch")]
    assert planned == {"id": 2041589, "type": 0, "title": "datapoint_3"}  # the plan shows the change only
    whole = wire.whole_update(answer("datapointtest_test_find"), planned)
    assert same_shape(request("datapointtest_test_save"), whole, whole=True) == []
    assert same_shape(request("datapointtest_test_save_batch")["list"][0], whole, whole=True) == []
    assert not {"trackingCode", "groupName", "creationDate"} & set(whole)
    assert (whole["title"], whole["name"], whole["typeTL"]["redirectType"]) == ("datapoint_3", "someDatapoint", 301)


def test_group_conversion_and_tag_writes_have_the_recorded_shape() -> None:
    bodies = sent(desired(groups=[GroupSpec("group10", tags=frozenset({"tag10"})),
                                  GroupSpec("Campaign #1", notes="renamed elsewhere")],
                          conversions=[ConversionSpec("someName", description="someDesc"),
                                       ConversionSpec("conv2", value=2.0)],
                          tags=[TagSpec("tag2"), TagSpec("tag3")]))
    assert shape_problems(request("grouptest_test_create"), bodies[("POST", "/groups")][0]) == []
    assert shape_problems(request("conversiontest_test_create"), bodies[("POST", "/conversions")][0]) == []
    assert shape_problems(request("tagtest_test_create"), bodies[("POST", "/tags")][0]) == []
    group_update = wire.whole_update(answer("grouptest_test_find"), bodies[("POST", "/groups/{id}")][0])
    assert same_shape(request("grouptest_test_save"), group_update, whole=True) == []
    conversion_update = wire.whole_update(answer("conversiontest_test_find"),
                                          bodies[("POST", "/conversions/{conversionId}")][0])
    assert same_shape(request("conversiontest_test_save"), conversion_update, whole=True) == []
    assert (conversion_update["code"], conversion_update["value"]) == ("DA3D49AB57DA48F1A74DF962D416BA9F", 2.0)


def test_patches_have_the_recorded_shape() -> None:
    bodies = sent(desired(datapoints=[DatapointSpec("SECOND_datapoint", tags=frozenset({"tag2"}))],
                          groups=[GroupSpec("some_group", tags=frozenset({"tag2"}))]))
    assert shape_problems(request("tagtest_test_datapoint"), bodies[("PUT", "/tags/{tagId}/datapoints/patch")][0]) == []
    assert shape_problems(request("tagtest_test_group"), bodies[("PUT", "/tags/{tagId}/groups/patch")][0]) == []
    assert shape_problems(request("conversiontest_test_datapoint"), wire.patch_body("add", 2027575)) == []


def recased(value: Any) -> Any:
    """`value` with every key's first letter upper-cased (as openapi.json spells some)."""
    if isinstance(value, dict):
        return {key[:1].upper() + key[1:]: recased(item) for key, item in value.items()}
    return [recased(item) for item in value] if isinstance(value, list) else value


def test_any_key_case_and_text_enums_decode_alike() -> None:
    recorded = answer("datapointtest_test_find")
    spelled = recased(recorded | {"type": "TrackingLink", "status": "Paused",
                                  "typeTL": recorded["typeTL"] | {"redirectType": "TemporaryRedirect"}})
    assert decoded(spelled) == decoded(recorded | {"status": 1, "typeTL": recorded["typeTL"] | {"redirectType": 307}})
    assert decoded(spelled).status == "paused" and decoded(spelled).redirect == "temporary"
    assert wire.batch_results({"Results": [{"Status": "OK", "Result": {"Id": 5}}]}) == [wire.BatchResult(True, 5)]
    with pytest.raises(wire.WireError, match="unknown redirect type 302"):
        decoded(recorded | {"typeTL": {"redirectType": 302}})
