"""Ids, offsets, limits and integer values out of Int64 range (issue 15, item 6): a 400 naming the
property, never a 500, and the keep-alive connection goes on serving the next request."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from reconciler.apishapes import AUTH_HEADER, MAX_ID
from tests.helpers import serving_app
from tests.server.helpers import counted, created_id, link_body
from tests.server.openapi_check import failing_properties

TOO_BIG = str(MAX_ID + 1)
HUGE = "9" * 5000  # past int()'s 4,300-digit limit

BAD_PATHS = [
    ("GET", f"/datapoints/{TOO_BIG}"), ("GET", f"/datapoints/{HUGE}"), ("POST", f"/datapoints/{TOO_BIG}"),
    ("DELETE", f"/datapoints/{TOO_BIG}"), ("GET", f"/groups/{TOO_BIG}"), ("GET", f"/tags/{HUGE}"),
    ("GET", f"/conversions/{TOO_BIG}"), ("GET", f"/groups/{TOO_BIG}/datapoints"),
    ("GET", f"/datapoints/{TOO_BIG}/aggregated"), ("GET", f"/datapoints/{TOO_BIG}/hits"),
    ("GET", f"/pixel/{TOO_BIG}"), ("GET", f"/conversion/{HUGE}"),
]
BAD_QUERIES = [
    ("/datapoints", {"offset": TOO_BIG}, "offset"), ("/datapoints", {"offset": HUGE}, "offset"),
    ("/datapoints", {"offset": "-1"}, "offset"), ("/datapoints", {"limit": TOO_BIG}, "limit"),
    ("/groups", {"offset": "\u0663"}, "offset"),  # an Arabic-Indic 3: int() reads it, the service does not
    ("/tags", {"datapoints": f"1,{TOO_BIG}"}, "datapoints"),
    ("/aggregated/summary/datapoints", {"groupId": TOO_BIG}, "groupId"),
]
BAD_BODIES: list[tuple[str, str, Any, str]] = [
    ("POST", "/datapoints", link_body("a", groupId=MAX_ID + 1), "groupId"),
    ("POST", "/datapoints", link_body("a", groupId=TOO_BIG), "groupId"),
    ("POST", "/datapoints", link_body("a", groupId=-(MAX_ID + 2)), "groupId"),
    ("POST", "/datapoints", link_body("a", typeTL={"domainId": MAX_ID + 1}), "typeTL.domainId"),
    ("POST", "/datapoints", link_body("a", tags=[{"id": MAX_ID + 1}]), "tags[0].id"),
    ("POST", "/datapoints", link_body("a", firstConversionId=TOO_BIG), "firstConversionId"),
    ("POST", "/datapoints", link_body("a", type="\u00b2"), "type"),  # a superscript 2 "isdigit"
    ("POST", "/conversions", {"name": "c", "value": MAX_ID + 1}, "value"),
    ("POST", "/conversions", {"name": "c", "value": -1}, "value"),
    ("PUT", "/datapoints/batch", {"list": [link_body("a", groupId=MAX_ID + 1)]}, "list[0].groupId"),
]


@pytest.mark.anyio
@pytest.mark.parametrize(("method", "path"), BAD_PATHS)
async def test_an_id_past_int64_in_the_path_is_a_400(asgi_client: httpx.AsyncClient, method: str,
                                                     path: str) -> None:
    response = await asgi_client.request(method, path, json={} if method == "POST" else None)

    assert failing_properties(response) == {"id"}


@pytest.mark.anyio
async def test_the_largest_id_is_in_range(asgi_client: httpx.AsyncClient) -> None:
    assert (await asgi_client.get(f"/datapoints/{MAX_ID}")).status_code == 404


@pytest.mark.anyio
@pytest.mark.parametrize(("path", "params", "prop"), BAD_QUERIES)
async def test_an_integer_parameter_out_of_range_is_a_400(asgi_client: httpx.AsyncClient, path: str,
                                                          params: dict[str, str], prop: str) -> None:
    assert failing_properties(await asgi_client.get(path, params=params)) == {prop}


@pytest.mark.anyio
@pytest.mark.parametrize(("method", "path", "body", "prop"), BAD_BODIES)
async def test_an_integer_value_out_of_range_is_a_400(asgi_client: httpx.AsyncClient, method: str, path: str,
                                                      body: Any, prop: str) -> None:
    response = await asgi_client.request(method, path, json=body)

    assert failing_properties(response) == {prop}
    assert await counted(asgi_client, "/datapoints/count") == 0


@pytest.mark.anyio
async def test_a_patch_naming_an_id_past_int64_is_a_400(asgi_client: httpx.AsyncClient) -> None:
    tag_id = await created_id(asgi_client, "/tags", {"name": "sale"})

    response = await asgi_client.put(f"/tags/{tag_id}/datapoints/patch", json={"action": "add", "id": TOO_BIG})

    assert failing_properties(response) == {"Id"}


def _local_port(response: httpx.Response) -> int:
    return response.extensions["network_stream"].get_extra_info("socket").getsockname()[1]


def test_the_connection_survives_every_bad_request(app: Starlette, api_key: str, db_path: Path) -> None:
    """One keep-alive connection: each bad request is a 400 and the good one after it is answered."""
    with serving_app(app) as url, httpx.Client(base_url=url, headers={AUTH_HEADER: api_key}) as client:
        ports = set()
        requests = ([(method, path, None, None) for method, path in BAD_PATHS]
                    + [("GET", path, params, None) for path, params, _ in BAD_QUERIES]
                    + [(method, path, None, body) for method, path, body, _ in BAD_BODIES])
        for method, path, params, body in requests:
            bad = client.request(method, path, params=params, json=body)
            good = client.get("/datapoints/count")
            assert (bad.status_code, good.status_code) == (400, 200), (path, bad.text)
            ports |= {_local_port(bad), _local_port(good)}

    assert len(ports) == 1
