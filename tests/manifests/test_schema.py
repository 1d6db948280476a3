"""The JSON Schema itself, and the compiled quick check that stands in for jsonschema."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from reconciler.manifests.quickcheck import compile_quick_check
from reconciler.manifests.schema import manifest_schema, quick_check, validator


def test_schema_is_valid_draft_2020_12() -> None:
    Draft202012Validator.check_schema(manifest_schema())


def test_every_example_in_the_schema_is_valid() -> None:
    schema = manifest_schema()
    examples = [(name, example) for name, definition in schema["$defs"].items()
                for example in definition.get("examples", [])]
    assert len(examples) >= 3
    for name, example in examples:
        part = Draft202012Validator({"$ref": f"#/$defs/{name}", "$defs": schema["$defs"]})
        assert part.is_valid(example), (name, example)


def test_quick_check_refuses_keywords_it_does_not_know() -> None:
    with pytest.raises(ValueError, match="minProperties"):
        compile_quick_check({"type": "object", "minProperties": 1})


# Values drawn from the schema's own vocabulary, so that many documents are (nearly) valid.
KEYS = ["settings", "defaults", "groups", "conversions", "tags", "datapoints", "name", "type", "url", "title",
        "domain", "redirect", "group", "favourite", "notes", "status", "password", "env", "optional",
        "renamed_from", "id", "prune", "value", "protocol", "description", "max_delete_percent",
        "protect_active_days", "default_group", "retargeting", "destinations", "mode", "urls", "weight", "expires",
        "after_clicks", "on", "then", "cloak", "referrer", "forward_query", "anonymise_ip", "parameter_note",
        "default", "IT", "de", "first", "mobile"]
SCALARS = st.one_of(
    st.sampled_from(["link", "pixel", "active", "paused", "temporary", "https", "spring", " spring", "",
                     "https://x.example.com/", "ftp://x", "A_PASSWORD", "1X", "rotate", "by_country", "pause",
                     "clean", "2027-06-30", "2027-06-30T12:00:00"]),
    st.none(), st.booleans(), st.integers(-2, 200), st.floats(-1, 101, allow_nan=False), st.text(max_size=5))
DOCUMENTS = st.recursive(
    SCALARS,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.sampled_from(KEYS), children, max_size=5),
    max_leaves=25)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from(KEYS[:6]), DOCUMENTS, max_size=4))
def test_quick_check_never_passes_what_jsonschema_rejects(document: dict[str, Any]) -> None:
    if quick_check()(document):
        assert validator().is_valid(document)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.dictionaries(st.sampled_from(KEYS[6:]), DOCUMENTS, max_size=6), max_size=3))
def test_quick_check_agrees_with_jsonschema_on_datapoints(datapoints: list[dict[str, Any]]) -> None:
    """Datapoint-shaped documents reach the settings' anyOf, const and keyed-url schemas."""
    document = {"datapoints": [{"name": "a", **item} for item in datapoints]}
    if quick_check()(document):
        assert validator().is_valid(document)


@pytest.mark.parametrize("schema", [{"enum": [1, 2]}, {"const": 1.5}, {"properties": {}, "additionalProperties": {}},
                                    {"additionalProperties": True}, {"oneOf": [{"type": "string"}]}])
def test_quick_check_refuses_constructs_it_does_not_compile(schema: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="quick check"):
        compile_quick_check(schema)


@pytest.mark.parametrize(("schema", "valid", "invalid"), [
    ({"anyOf": [{"type": "string"}, {"type": "integer", "minimum": 1}]}, ["x", 3], [0, None, 1.5, []]),
    ({"const": False}, [False], [0, True, "false", None]),
    ({"type": "object", "additionalProperties": {"type": "string"}}, [{}, {"a": "b"}], [{"a": 1}, []]),
    ({"type": "array", "minItems": 2}, [[1, 2], [1, 2, 3]], [[], [1]]),
])
def test_quick_check_compiles_anyof_const_value_schemas_and_min_items(
        schema: dict[str, Any], valid: list[Any], invalid: list[Any]) -> None:
    check = compile_quick_check(schema)
    assert [check(value) for value in valid] == [True] * len(valid)
    assert [check(value) for value in invalid] == [False] * len(invalid)


def test_quick_check_passes_a_typical_valid_document() -> None:
    document = {
        "settings": {"default_group": "evergreen", "max_delete_percent": 20, "protect_active_days": 7},
        "defaults": {"group": "spring", "tags": ["a"], "redirect": "temporary"},
        "groups": [{"name": "spring", "prune": True, "tags": ["seasonal"]}],
        "conversions": [{"name": "signup", "value": 12.5, "protocol": "https"}],
        "tags": [{"name": "news"}],
        "datapoints": [
            {"name": "a", "url": "https://x.example.com/?q=1", "conversions": ["signup"], "id": 3,
             "password": {"env": "A_PASSWORD", "optional": True}, "renamed_from": ["old-a"]},
            {"name": "b", "type": "pixel", "status": "paused", "favourite": False, "parameter_note": "?c=",
             "anonymise_ip": True},
            {"name": "c", "destinations": {"mode": "rotate", "urls": [{"url": "https://x.example.com/a", "weight": 2},
                                                                      {"url": "https://x.example.com/b", "weight": 1}]},
             "expires": {"after_clicks": 10, "on": "2027-06-30", "then": "pause"}, "cloak": {"title": "T"},
             "referrer": "clean", "forward_query": True},
            {"name": "d", "destinations": {"mode": "by_country", "urls": {"IT": "https://x.example.com/it",
                                                                          "default": "https://x.example.com/"}},
             "expires": False, "cloak": False},
        ],
    }
    assert validator().is_valid(document)
    assert quick_check()(document)
