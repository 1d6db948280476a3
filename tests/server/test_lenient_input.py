"""Property: any casing of a body's keys (and, where the variant accepts text enums, of their
values) stores the same datapoint."""

from __future__ import annotations

import itertools
from typing import Any

import anyio
import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.applications import Starlette

from reconciler.apishapes import AUTH_HEADER
from reconciler.server.variant import ServiceVariant

NAMES = itertools.count()  # each example creates a fresh name


def recased(draw: st.DrawFn, text: str) -> str:
    """`text` with each letter's case drawn independently."""
    flips = draw(st.lists(st.booleans(), min_size=len(text), max_size=len(text)))
    return "".join(ch.upper() if flip else ch.lower() for ch, flip in zip(text, flips, strict=True))


@st.composite
def recased_bodies(draw: st.DrawFn) -> tuple[dict[str, Any], str]:
    """A link body with random key/enum casing (or numeric enums), and its redirect code."""
    redirect = draw(st.sampled_from(["PermanentRedirect", "TemporaryRedirect"]))
    redirect_value: Any = draw(st.sampled_from([
        recased(draw, redirect), {"PermanentRedirect": 301, "TemporaryRedirect": 307}[redirect]]))
    link = {recased(draw, "url"): "https://a.example/x", recased(draw, "redirectType"): redirect_value}
    body = {recased(draw, "type"): draw(st.sampled_from([0, recased(draw, "TrackingLink")])),
            recased(draw, "title"): "T", recased(draw, "preferred"): True,
            recased(draw, "typeTL"): link}
    return body, {"PermanentRedirect": 301, "TemporaryRedirect": 307}[redirect]


def call(app: Starlette, key: str, method: str, path: str, **options: Any) -> httpx.Response:
    """One in-process request from synchronous code (hypothesis drives sync tests)."""

    async def send() -> httpx.Response:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://local",
                                     headers={AUTH_HEADER: key}) as client:
            return await client.request(method, path, **options)

    return anyio.run(send)


@pytest.mark.parametrize("service_variant", [ServiceVariant.parse("text-enums=accept")])
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(drawn=recased_bodies())
def test_key_and_enum_casing_never_matters(app: Starlette, api_key: str,
                                           drawn: tuple[dict[str, Any], int]) -> None:
    body, redirect = drawn
    name = f"case-{next(NAMES)}"

    created = call(app, api_key, "POST", "/datapoints", json={**body, "NAME": name})
    stored = call(app, api_key, "GET", f"/datapoints/{created.json()['id']}").json()

    assert created.status_code == 200, created.text
    assert (stored["name"], "type" in stored, stored["title"], stored["preferred"]) == \
        (name, False, "T", True)
    assert stored["typeTL"]["url"] == "https://a.example/x"
    assert stored["typeTL"]["redirectType"] == redirect
