"""Names and texts with control characters (issue 15, item 7): the server refuses what
`apishapes.name_problem` / `text_problem` refuse, naming the property, so every name it holds passes
`validate` (the manifest schema's name) and comes back unchanged from export's YAML."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator
from openapi_check import failing_properties, failures_of
from server_helpers import counted, created_id, link_body, pixel_body

from reconciler.apishapes import name_problem, text_problem

pytestmark = pytest.mark.anyio

REFUSED_IN_NAMES = ["\n", "\t", "\r", "\x1b", "\x00", "\x7f", "\x85", "\x9b", "\u2028", "\u2029",
                    "\u202e", "\u2066"]
REFUSED_IN_TEXTS = ["\x1b", "\x00", "\x7f", "\x9b", "\x0b"]
TAKEN_NAMES = ["Sommer-Aktion ä", "名前", "sale \U0001f600", "\u05e9\u05dc\u05d5\u05dd\u200f", "a'b\"c"]
MANIFEST_SCHEMA = Path(__file__).resolve().parents[2] / "schemas" / "manifest.schema.json"

CREATES = [("/groups", {}), ("/tags", {}), ("/conversions", {}), ("/retargeting", {})]


def bad(char: str) -> str:
    return f"spring{char}sale"


@pytest.mark.parametrize("char", REFUSED_IN_NAMES)
@pytest.mark.parametrize(("path", "fields"), CREATES)
async def test_a_name_with_a_control_character_is_refused(asgi_client: httpx.AsyncClient, path: str,
                                                          fields: dict[str, Any], char: str) -> None:
    response = await asgi_client.post(path, json={"name": bad(char), **fields})

    assert failing_properties(response) == {"name"}
    assert await counted(asgi_client, f"{path}/count") == 0


@pytest.mark.parametrize("char", REFUSED_IN_NAMES)
async def test_a_datapoint_name_with_a_control_character_is_refused(asgi_client: httpx.AsyncClient,
                                                                    char: str) -> None:
    assert failing_properties(await asgi_client.post("/datapoints", json=pixel_body(bad(char)))) == {"name"}
    assert failing_properties(await asgi_client.post("/datapoints", json=link_body(bad(char)))) == {"name"}


@pytest.mark.parametrize("char", ["\x1b", "\n", "\u202e"])
async def test_renames_and_names_by_reference_are_checked_too(asgi_client: httpx.AsyncClient, char: str) -> None:
    group_id = await created_id(asgi_client, "/groups", {"name": "spring"})
    tag_id = await created_id(asgi_client, "/tags", {"name": "sale"})

    assert failing_properties(await asgi_client.post(f"/groups/{group_id}", json={"name": bad(char)})) == {"name"}
    assert failing_properties(await asgi_client.put(f"/tags/{tag_id}/name", json={"text": bad(char)})) == {"Text"}
    assert failing_properties(await asgi_client.post("/groups", json={"name": "g", "tags": [{"name": bad(char)}]})
                              ) == {"tags[0].name"}
    assert failing_properties(await asgi_client.post("/datapoints", json=pixel_body("p", tags=[{"name": bad(char)}]))
                              ) == {"tags[0].name"}
    assert await counted(asgi_client, "/tags/count") == 1


@pytest.mark.parametrize("name", TAKEN_NAMES)
async def test_other_scripts_emoji_and_marks_are_names(asgi_client: httpx.AsyncClient, name: str) -> None:
    group_id = await created_id(asgi_client, "/groups", {"name": name})

    assert (await asgi_client.get(f"/groups/{group_id}")).json()["name"] == name


async def test_notes_may_hold_lines_and_tabs(asgi_client: httpx.AsyncClient) -> None:
    notes = "first line\n\tsecond line\r\nthird \u2028 \u202e"
    group_id = await created_id(asgi_client, "/groups", {"name": "g", "notes": notes})

    assert (await asgi_client.get(f"/groups/{group_id}")).json()["notes"] == notes


@pytest.mark.parametrize("char", REFUSED_IN_TEXTS)
@pytest.mark.parametrize(("path", "body", "prop"), [
    ("/groups", {"name": "g"}, "notes"), ("/datapoints", pixel_body("p"), "title"),
    ("/datapoints", pixel_body("p"), "notes"), ("/conversions", {"name": "c"}, "description"),
    ("/retargeting", {"name": "r"}, "script"),
])
async def test_a_text_with_a_control_character_is_refused(asgi_client: httpx.AsyncClient, path: str,
                                                          body: dict[str, Any], prop: str, char: str) -> None:
    response = await asgi_client.post(path, json={**body, prop: bad(char)})

    [failure] = failures_of(response, 400)
    assert (failure["property"], failure["errorMessage"]) == (prop, f"{prop} {text_problem(bad(char))}")


def _schema_name() -> Draft202012Validator:
    schema = json.loads(MANIFEST_SCHEMA.read_text())
    return Draft202012Validator({**schema["$defs"]["name"], "$defs": schema["$defs"]})


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(st.text(max_size=30) | st.sampled_from(REFUSED_IN_NAMES + TAKEN_NAMES))
def test_every_name_the_server_holds_passes_validate_and_yaml(name: str) -> None:
    if name_problem(name) is not None:
        return
    assert not list(_schema_name().iter_errors(name)), name
    assert yaml.safe_load(yaml.safe_dump({"name": name}, allow_unicode=True)) == {"name": name}
