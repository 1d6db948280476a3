"""The writer on its own: live-state objects in, manifest texts out.

These pin what the round trips against the server cannot see directly: how
files and variables are named, what is left out, and that any text survives
YAML.
"""

from __future__ import annotations

import re
import string

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.export.documents import ExportError, export_manifests
from reconciler.model import (
    LiveConversion,
    LiveDatapoint,
    LiveGroup,
    LiveNamed,
    LiveState,
    Secret,
)

SYSTEM_DOMAIN = LiveNamed(1, "go.clickmeter.test", "system")
texts = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=30)


def account(datapoints=(), groups=(), conversions=(), tags=()) -> LiveState:
    return LiveState(
        datapoints={dp.id: dp for dp in datapoints},
        groups={group.id: group for group in groups},
        conversions={c.id: c for c in conversions},
        tags={tag.id: tag for tag in tags},
        domains={SYSTEM_DOMAIN.id: SYSTEM_DOMAIN},
    )


def load(text: str) -> dict:
    return yaml.safe_load(text)


def link(id_: int, name: str, **fields) -> LiveDatapoint:
    return LiveDatapoint(id_, name, "link", url="https://shop.example.com/", domain=SYSTEM_DOMAIN.name,
                         redirect="temporary", **fields)


def test_defaults_are_left_out_and_set_fields_kept_in_manifest_order() -> None:
    plain = link(1, "plain")
    full = LiveDatapoint(2, "full", "link", url="https://a.example/x", title="T", domain="other.test",
                         redirect="permanent", tags=frozenset({"b", "a"}), conversions=frozenset({"c"}),
                         retargeting=frozenset({"r"}), favourite=True, notes="n", status="paused")
    pixel = LiveDatapoint(3, "px", "pixel")
    files = export_manifests(account([plain, full, pixel])).files

    entries = load(files["ungrouped.yaml"])["datapoints"]
    assert entries == [
        {"name": "full", "url": "https://a.example/x", "title": "T", "domain": "other.test",
         "redirect": "permanent", "tags": ["a", "b"], "conversions": ["c"], "retargeting": ["r"],
         "favourite": True, "notes": "n", "status": "paused"},
        {"name": "plain", "url": "https://shop.example.com/"},
        {"name": "px", "type": "pixel"},
    ]
    assert list(entries[0]) == ["name", "url", "title", "domain", "redirect", "tags", "conversions",
                                "retargeting", "favourite", "notes", "status"]


def test_every_file_starts_with_a_schema_line_that_resolves_from_its_folder() -> None:
    group = LiveGroup(7, "Spring")
    files = export_manifests(account([link(1, "a", group="Spring"), link(2, "b")], [group])).files
    for path, text in files.items():
        if path.endswith(".yaml"):
            depth = path.count("/")
            assert text.startswith(f"# yaml-language-server: $schema={'../' * depth}manifest.schema.json\n")


def test_group_file_holds_the_group_its_tags_and_its_datapoints() -> None:
    group = LiveGroup(7, "Spring 2027", notes="Spring campaign", favourite=True, tags=frozenset({"seasonal"}))
    files = export_manifests(account([link(1, "a", group="Spring 2027")], [group])).files
    assert load(files["groups/spring-2027.yaml"]) == {
        "defaults": {"group": "Spring 2027"},
        "groups": [{"name": "Spring 2027", "notes": "Spring campaign", "favourite": True, "tags": ["seasonal"]}],
        "datapoints": [{"name": "a", "url": "https://shop.example.com/"}],
    }


@settings(max_examples=60)
@given(st.lists(texts, min_size=1, max_size=12, unique=True))
def test_group_files_are_safe_and_collision_free(names: list[str]) -> None:
    groups = [LiveGroup(i + 1, name) for i, name in enumerate(names)]
    files = export_manifests(account(groups=groups)).files
    group_files = {path: text for path, text in files.items() if path.startswith("groups/")}

    assert len({path.lower() for path in group_files}) == len(groups)
    for path in group_files:
        assert re.fullmatch(r"groups/[a-z0-9][a-z0-9-]*\.yaml", path), path
        assert path.removeprefix("groups/").removesuffix(".yaml") not in {"con", "nul", "aux", "prn"}
    assert sorted(load(text)["defaults"]["group"] for text in group_files.values()) == sorted(names)


def test_names_folding_to_one_slug_are_told_apart_by_id() -> None:
    groups = [LiveGroup(3, "Spring 2027"), LiveGroup(5, "spring-2027"), LiveGroup(9, "Ärger")]
    paths = set(export_manifests(account(groups=groups)).files)
    assert {"groups/spring-2027-3.yaml", "groups/spring-2027-5.yaml", "groups/arger.yaml"} <= paths


@settings(max_examples=60)
@given(st.lists(st.tuples(texts, st.text(string.printable, min_size=1, max_size=12)),
                min_size=1, max_size=10))
def test_passwords_become_unique_valid_env_vars_and_never_appear(links: list[tuple[str, str]]) -> None:
    datapoints = [link(i + 1, name, password=Secret(f"pw-{secret}-{i}")) for i, (name, secret) in enumerate(links)]
    result = export_manifests(account(datapoints))

    assert len(result.env_vars) == len(datapoints)
    for variable in result.env_vars:
        assert re.fullmatch(r"CLICKMETER_PASSWORD_[A-Z0-9_]+", variable)
    written = {entry["password"]["env"] for entry in load(result.files["ungrouped.yaml"])["datapoints"]}
    assert written == set(result.env_vars)
    everything = "".join(result.files.values()) + repr(result)
    assert not any(dp.password.reveal() in everything for dp in datapoints)


def test_env_var_says_which_link_it_is_for() -> None:
    result = export_manifests(account([link(4, "spring-sale", password=Secret("hunter2"))]))
    assert result.env_vars == {"CLICKMETER_PASSWORD_SPRING_SALE": "password of link 'spring-sale' (id 4)"}


def test_names_not_unique_live_get_id_pins_and_one_warning() -> None:
    groups = [LiveGroup(1, "A"), LiveGroup(2, "B")]
    twins = [link(10, "twin", group="A"), LiveDatapoint(11, "twin", "pixel", group="B"), link(12, "solo", group="A")]
    result = export_manifests(account(twins, groups), groups=["A"])

    entries = load(result.files["groups/a.yaml"])["datapoints"]
    assert entries == [{"name": "solo", "url": "https://shop.example.com/"},
                       {"name": "twin", "id": 10, "url": "https://shop.example.com/"}]
    assert result.warnings == ("datapoint name 'twin' is not unique live (ids 10, 11): exported with id pins",)


def test_a_status_manifests_cannot_declare_is_left_out_with_a_warning() -> None:
    result = export_manifests(account([link(3, "flagged", status="abuse")]))
    assert load(result.files["ungrouped.yaml"])["datapoints"] == [{"name": "flagged", "url": "https://shop.example.com/"}]
    assert result.warnings == (
        "datapoint 'flagged' (id 3) has status 'abuse', which manifests cannot declare: left out",)


def test_group_filter_exports_only_those_groups_and_the_conversions_they_use() -> None:
    groups = [LiveGroup(1, "A"), LiveGroup(2, "B")]
    conversions = [LiveConversion(1, "signup", 2.5, "https"), LiveConversion(2, "sale")]
    datapoints = [link(1, "a", group="A", conversions=frozenset({"signup"})), link(2, "b", group="B"), link(3, "c")]
    result = export_manifests(account(datapoints, groups, conversions, [LiveNamed(1, "unused")]), groups=["A"])

    assert set(result.files) == {"groups/a.yaml", "conversions.yaml", "manifest.schema.json"}
    assert load(result.files["conversions.yaml"]) == {
        "conversions": [{"name": "signup", "value": 2.5, "protocol": "https"}]}


def test_whole_account_export_keeps_unused_conversions_and_tags() -> None:
    state = account([link(1, "a", tags=frozenset({"used"}))], [],
                    [LiveConversion(1, "signup")], [LiveNamed(1, "used"), LiveNamed(2, "spare")])
    files = export_manifests(state).files
    assert load(files["conversions.yaml"]) == {"conversions": [{"name": "signup"}]}
    assert load(files["tags.yaml"]) == {"tags": [{"name": "spare"}]}


def test_an_unknown_group_is_an_error_naming_it() -> None:
    with pytest.raises(ExportError, match=r"no live group named 'Nope'"):
        export_manifests(account(groups=[LiveGroup(1, "A")]), groups=["A", "Nope"])
    with pytest.raises(ExportError, match=r"no live group named 'paid-ordr' \(did you mean 'paid-order'\?\)"):
        export_manifests(account(groups=[LiveGroup(1, "paid-order")]), groups=["paid-ordr"])


@settings(max_examples=80)
@given(name=texts, title=texts, notes=st.text(st.characters(blacklist_categories=("Cs",)), max_size=60),
       group=texts)
def test_any_text_loads_back_as_the_same_string(name: str, title: str, notes: str, group: str) -> None:
    dp = link(1, name, title=title, notes=notes or None, group=group)
    files = export_manifests(account([dp], [LiveGroup(1, group)])).files
    (text,) = (text for path, text in files.items() if path.startswith("groups/"))
    document = load(text)
    assert document["defaults"]["group"] == group
    assert document["datapoints"][0]["name"] == name
    assert document["datapoints"][0]["title"] == title
    assert document["datapoints"][0].get("notes") == (notes or None)


def test_output_does_not_depend_on_the_order_state_was_read_in() -> None:
    groups = [LiveGroup(1, "A"), LiveGroup(2, "B", tags=frozenset({"x", "y"}))]
    datapoints = [link(i, f"dp{i % 7}-{i}", group="AB"[i % 2], tags=frozenset({f"t{i % 3}", "z"}))
                  for i in range(1, 30)]
    forward = export_manifests(account(datapoints, groups))
    backward = export_manifests(account(datapoints[::-1], groups[::-1]))
    assert forward == backward
