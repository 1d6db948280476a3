"""Names and texts with control characters (issue 15, item 7): the server refuses what
`apishapes.name_problem` / `text_problem` refuse, naming the property, so every name it holds passes
`validate` and comes back unchanged through export."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.apishapes import name_problem, text_problem
from reconciler.export.documents import export_manifests
from reconciler.manifests.loader import load_texts
from reconciler.model import (
    DesiredState,
    LiveConversion,
    LiveDatapoint,
    LiveGroup,
    LiveState,
)
from tests.server.helpers import counted, created_id, link_body, pixel_body
from tests.server.openapi_check import failing_properties, failures_of

pytestmark = pytest.mark.anyio

REFUSED_IN_NAMES = ["\n", "\t", "\r", "\x1b", "\x00", "\x7f", "\x85", "\x9b", "\u2028", "\u2029",
                    "\u202e", "\u2066"]
REFUSED_IN_TEXTS = ["\x1b", "\x00", "\x7f", "\x9b", "\x0b"]
TAKEN_NAMES = ["Sommer-Aktion ä", "名前", "sale \U0001f600", "\u05e9\u05dc\u05d5\u05dd\u200f", "a'b\"c"]

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


NAMES = st.text(max_size=30) | st.sampled_from(REFUSED_IN_NAMES + TAKEN_NAMES)
TEXTS = st.text(max_size=30) | st.sampled_from(["a\r\nb", "\tx\n", " lead", "\u2028", "x\u202ey", "\n\n"])


def _exported(state: LiveState) -> DesiredState:
    """What `validate` reads back from the manifests `export` writes for `state`."""
    files = export_manifests(state).files
    return load_texts({path: text for path, text in files.items() if path.endswith((".yaml", ".yml"))})


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(NAMES, TEXTS)
def test_what_the_server_holds_survives_export_and_validate(name: str, notes: str) -> None:
    """Whatever name and note the server's rules take, export writes manifests that validate and
    read back the same (the check the server's refusals make true for every live account)."""
    name = name.strip()
    if name_problem(name) is not None or text_problem(notes) is not None or name == "x":
        return
    state = LiveState(groups={1: LiveGroup(1, name, notes=notes)},
                      conversions={2: LiveConversion(2, name, description=notes)},
                      datapoints={3: LiveDatapoint(3, "x", "pixel", group=name, conversions=frozenset({name}))})

    desired = _exported(state)

    written = notes or None  # export leaves an empty note out
    assert (desired.groups[name].name, desired.groups[name].notes) == (name, written)
    assert desired.conversions[name].description == written
