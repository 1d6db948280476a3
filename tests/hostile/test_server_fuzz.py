"""Hypothesis over server requests (issue 15): whatever the body, path id or query, the local server
answers below 500, in strict JSON, and every error in the recorded `{"errors": [...]}` shape.

The budget is fixed and derandomized so the default run stays at a few seconds; `-m slow`
runs many more examples.
"""

from __future__ import annotations

import asyncio
import json
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.applications import Starlette

from reconciler.apishapes import AUTH_HEADER
from reconciler.server.app import create_app
from reconciler.server.db import register_account
from tests.helpers import TEST_API_KEY

COMMON = {"deadline": None, "derandomize": True, "database": None,
          "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large]}
BUDGETS = [pytest.param(settings(max_examples=150, **COMMON), id="fast"),
           pytest.param(settings(max_examples=3000, **COMMON), id="long", marks=pytest.mark.slow)]

WRITES = [("POST", "/datapoints"), ("PUT", "/datapoints/batch"), ("POST", "/datapoints/batch"),
          ("DELETE", "/datapoints/batch"), ("POST", "/datapoints/1"), ("PUT", "/datapoints/1/notes"),
          ("POST", "/groups"), ("POST", "/groups/1"), ("POST", "/groups/1/datapoints"), ("POST", "/tags"),
          ("PUT", "/tags/1/name"), ("PUT", "/tags/1/datapoints/patch"), ("POST", "/conversions"),
          ("PUT", "/conversions/1/datapoints/patch"), ("POST", "/retargeting"), ("POST", "/domains")]
READS = ["/datapoints", "/datapoints/{id}", "/groups/{id}/datapoints", "/tags", "/conversions/{id}",
         "/datapoints/{id}/hits", "/datapoints/aggregated", "/aggregated/summary/datapoints",
         "/groups/{id}/aggregated/list", "/pixel/{id}", "/conversion/{id}"]
FIELDS = ("type", "name", "title", "notes", "typeTL", "url", "domainId", "redirectType", "password",
          "scripts", "groupId", "tags", "id", "list", "entities", "action", "value", "text", "preferred",
          "status", "firstConversionId", "protocol", "description", "script", "patchRequests")
PARAMS = ("offset", "limit", "status", "type", "textSearch", "groupId", "datapoints", "timeframe",
          "fromDay", "toDay", "value", "filter", "_expand", "favourite", "sortBy")

HOSTILE_TEXT = st.sampled_from([
    "", " ", "a b", "x/y", "\x1b[2J", "\x9b", "\u202e", "\u2028", "\x00", "\x7f", "\n", "\ud800",
    "http://[::1/", "http://x]/", "http://[zz]/", "https://shop.example.com/", "NaN", "Infinity",
    "1e999", "9" * 5000, str(2 ** 63), "-1", "\u0663", "\u00b2", "TrackingLink", "0", "1", "V" * 300,
])
TEXT = st.text(max_size=10) | HOSTILE_TEXT
NUMBERS = (st.integers() | st.integers(min_value=2 ** 63 - 2, max_value=2 ** 70)
           | st.integers(min_value=-(2 ** 70), max_value=-(2 ** 63) + 2) | st.floats() | st.sampled_from([0, 1, 301]))
SCALARS = st.none() | st.booleans() | NUMBERS | TEXT
VALUES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=3)
                      | st.dictionaries(st.sampled_from(FIELDS) | TEXT, inner, max_size=4), max_leaves=12)
BODIES = st.dictionaries(st.sampled_from(FIELDS), VALUES, max_size=6) | VALUES
RAW_BODIES = st.binary(max_size=40) | st.sampled_from([
    b"[" * 5000, b'{"name": ' + b"1" * 5000 + b"}", b'{"name": "\\udc00"}', b"\xff\xfe", b'{"a": NaN}'])
IDS = st.sampled_from(["1", "0", str(2 ** 63 - 1), str(2 ** 63), "9" * 5000])


def _send(app: Starlette, method: str, url: str, content: bytes | None = None) -> httpx.Response:
    """One request to `app` in-process; an exception the app raises fails the test."""
    async def send() -> httpx.Response:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://local",
                                     headers={AUTH_HEADER: TEST_API_KEY, "Content-Type": "application/json"}
                                     ) as client:
            return await client.request(method, url, content=content)

    return asyncio.run(send())


@pytest.fixture(scope="module")
def app() -> Iterator[Starlette]:
    """One app for the whole run, seeded so that id 1 is a datapoint, group, tag and conversion."""
    with tempfile.TemporaryDirectory() as scratch:
        db_path = Path(scratch) / "fuzz.db"
        register_account(db_path, TEST_API_KEY)
        app = create_app(db_path)
        for path, body in [("/datapoints", {"type": 1, "name": "seed"}), ("/groups", {"name": "seed"}),
                           ("/tags", {"name": "seed"}), ("/conversions", {"name": "seed"})]:
            assert _send(app, "POST", path, json.dumps(body).encode()).status_code == 200
        yield app
        app.state.store.close()


def _encoded(body: Any) -> bytes:
    """JSON as a careless client writes it: NaN and Infinity as tokens, lone surrogates escaped."""
    return json.dumps(body, allow_nan=True).encode()


def _query(params: dict[str, str]) -> str:
    """A query string of any text, a lone surrogate sent as the invalid UTF-8 bytes it would be."""
    return "&".join(f"{name}={quote(value.encode('utf-8', 'surrogatepass'))}" for name, value in params.items())


def _check(response: httpx.Response) -> None:
    assert response.status_code < 500, response.text
    if response.status_code < 400 and response.headers.get("content-type") != "application/json":
        return  # a tracking pixel's image
    body = json.loads(response.text, parse_constant=lambda token: pytest.fail(f"non-standard JSON: {token}"))
    if response.status_code >= 400:
        assert list(body) == ["errors"] and body["errors"], body
        assert all(set(error) == {"property", "errorMessage", "code"} for error in body["errors"])


@pytest.mark.parametrize("budget", BUDGETS)
def test_any_write_body_is_answered_below_500(app: Starlette, budget: settings) -> None:
    @budget
    @given(st.sampled_from(WRITES), BODIES.map(_encoded) | RAW_BODIES)
    def write(endpoint: tuple[str, str], raw: bytes) -> None:
        method, path = endpoint
        _check(_send(app, method, path, raw))

    write()


@pytest.mark.parametrize("budget", BUDGETS)
def test_any_read_is_answered_below_500(app: Starlette, budget: settings) -> None:
    @budget
    @given(st.sampled_from(READS), IDS, st.dictionaries(st.sampled_from(PARAMS), TEXT, max_size=4))
    def read(path: str, entity_id: str, params: dict[str, str]) -> None:
        _check(_send(app, "GET", f"{path.format(id=entity_id)}?{_query(params)}"))

    read()
