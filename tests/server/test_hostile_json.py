"""Bodies the server must refuse without a 500 (issue 15, items 6 and 7): too deep, too large (413,
checked while the body streams in), lone surrogates, integers past 4,300 digits, and the numbers
strict JSON has no room for (NaN, Infinity, 1e999), which are never stored nor sent back."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette

from reconciler.apishapes import AUTH_HEADER, MAX_MONEY
from reconciler.server.json_input import MAX_BODY_BYTES, MAX_DEPTH
from reconciler.server.responses import JSONAnswer
from tests.helpers import serving_app
from tests.server.helpers import counted, created_id, link_body
from tests.server.openapi_check import failing_properties, failures_of

CHUNK = 64 * 1024
JSON = {"Content-Type": "application/json"}


def nested(levels: int) -> bytes:
    """A group body whose `notes` is lists nested so that the body has `levels` levels in all."""
    return b'{"name": "g", "notes": ' + b"[" * (levels - 1) + b"]" * (levels - 1) + b"}"


HOSTILE_BODIES = [  # (path, raw body, the property the 400 names)
    ("/groups", b"[" * 900 + b"]" * 900, None),
    ("/groups", b"[" * 100_000, None),
    ("/groups", nested(MAX_DEPTH + 1), None),
    ("/datapoints", b'{"type": 0, "name": "a\\ud800", "typeTL": {"url": "https://a.example/"}}', "name"),
    ("/groups", b'{"name": "g", "tags": [{"name": "\\udfff"}]}', "tags[0].name"),
    ("/groups", b'{"name": "g", "\\ud800": 1}', None),
    ("/groups", b'{"name": "\xed\xa0\x80"}', "name"),  # a surrogate encoded as UTF-8: json.loads lets it pass
    ("/groups", b'{"name": "g", "preferred": ' + b"1" * 5000 + b"}", "preferred"),
    ("/conversions", b'{"name": "c", "value": -' + b"7" * 4301 + b"}", "value"),
]
NON_FINITE = [b"NaN", b"Infinity", b"-Infinity", b"1e999", b"-1e999"]


@pytest.mark.anyio
@pytest.mark.parametrize(("path", "raw", "prop"), HOSTILE_BODIES)
async def test_a_hostile_body_is_a_400(asgi_client: httpx.AsyncClient, path: str, raw: bytes,
                                       prop: str | None) -> None:
    response = await asgi_client.post(path, content=raw, headers=JSON)

    assert failing_properties(response) == {prop}
    assert await counted(asgi_client, "/groups/count") == 0


@pytest.mark.anyio
async def test_nesting_up_to_the_limit_is_read(asgi_client: httpx.AsyncClient) -> None:
    response = await asgi_client.post("/groups", content=nested(MAX_DEPTH), headers=JSON)

    assert failing_properties(response) == {"notes"}  # read, then refused as notes that are no text


@pytest.mark.anyio
async def test_a_surrogate_pair_is_text(asgi_client: httpx.AsyncClient) -> None:
    group_id = await created_id(asgi_client, "/groups", {"name": "sale \U0001f600"})

    assert (await asgi_client.get(f"/groups/{group_id}")).json()["name"] == "sale \U0001f600"


@pytest.mark.anyio
async def test_a_body_past_the_limit_is_a_413(asgi_client: httpx.AsyncClient) -> None:
    raw = json.dumps({"name": "g", "notes": "n" * MAX_BODY_BYTES}).encode()

    [failure] = failures_of(await asgi_client.post("/groups", content=raw, headers=JSON), 413)

    assert failure == {"property": None, "errorMessage": f"the body is larger than {MAX_BODY_BYTES} bytes",
                       "code": "too_large"}


@pytest.mark.anyio
async def test_a_streamed_body_is_refused_before_it_is_read_whole(asgi_client: httpx.AsyncClient) -> None:
    """No Content-Length: the server stops reading once the body passes the limit, so a 300 MB body
    is never held (bench/server_limits_bench.py measures the server's memory)."""
    sent = 0

    async def body() -> AsyncIterator[bytes]:
        nonlocal sent
        for _ in range(300 * 1024 * 1024 // CHUNK):
            sent += CHUNK
            yield b" " * CHUNK

    response = await asgi_client.put("/datapoints/batch", content=body(), headers=JSON)

    assert failing_properties(response, 413) == {None}
    assert sent <= MAX_BODY_BYTES + 2 * CHUNK


@pytest.mark.anyio
@pytest.mark.parametrize("number", NON_FINITE)
async def test_a_non_finite_number_is_refused_naming_it(asgi_client: httpx.AsyncClient, number: bytes) -> None:
    raw = b'{"name": "signup", "value": ' + number + b"}"

    assert failing_properties(await asgi_client.post("/conversions", content=raw, headers=JSON)) == {"value"}
    assert await counted(asgi_client, "/conversions/count") == 0


@pytest.mark.anyio
@pytest.mark.parametrize("number", NON_FINITE)
async def test_a_non_finite_number_is_refused_anywhere(asgi_client: httpx.AsyncClient, number: bytes) -> None:
    raw = b'{"list": [{"type": 0, "name": "a", "typeTL": {"url": "https://a.example/", "x": [' + number + b"]}}]}"

    response = await asgi_client.put("/datapoints/batch", content=raw, headers=JSON)

    assert failing_properties(response) == {"list[0].typeTL.x[0]"}


@pytest.mark.anyio
async def test_a_conversion_value_past_a_decimal_is_refused(asgi_client: httpx.AsyncClient) -> None:
    assert failing_properties(await asgi_client.post("/conversions", json={"name": "c", "value": 1e300})) == {
        "value"}
    conversion_id = await created_id(asgi_client, "/conversions", {"name": "c", "value": 1e28})

    answer = await asgi_client.get(f"/conversions/{conversion_id}")

    assert json.loads(answer.text, parse_constant=pytest.fail)["value"] == 1e28 < MAX_MONEY


@pytest.mark.anyio
@pytest.mark.parametrize("value", ["nan", "inf", "-Infinity", "1e999", str(MAX_MONEY * 10)])
async def test_a_conversion_pixel_refuses_a_non_finite_value(asgi_client: httpx.AsyncClient, value: str) -> None:
    conversion_id = await created_id(asgi_client, "/conversions", {"name": "signup"})

    response = await asgi_client.get(f"/conversion/{conversion_id}", params={"value": value})

    assert failing_properties(response) == {"value"}


def test_answers_are_strict_json() -> None:
    with pytest.raises(ValueError, match="not JSON compliant"):
        JSONAnswer({"value": float("inf")})


def test_the_connection_survives_hostile_bodies(app: Starlette, api_key: str, db_path: Path) -> None:
    """Over one keep-alive connection: each hostile body is refused, the next request answered."""
    too_large = b" " * (MAX_BODY_BYTES + 1)
    with serving_app(app) as url, httpx.Client(base_url=url, headers={AUTH_HEADER: api_key}) as client:
        statuses = []
        for path, raw in [*((path, raw) for path, raw, _ in HOSTILE_BODIES), ("/groups", too_large),
                          *(("/conversions", b'{"name": "c", "value": ' + n + b"}") for n in NON_FINITE)]:
            statuses.append(client.post(path, content=raw, headers=JSON).status_code)
            assert client.post("/datapoints", json=link_body(f"l{len(statuses)}")).status_code == 200
        assert client.get("/datapoints/count").json() == {"count": len(statuses)}

    assert statuses == [400] * len(HOSTILE_BODIES) + [413] + [400] * len(NON_FINITE)
