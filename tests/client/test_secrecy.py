"""The API key appears in no message, repr or log line, whatever goes wrong."""

from __future__ import annotations

import logging
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette

from reconciler.apishapes import AUTH_HEADER
from reconciler.clickmeter.client import ClickMeterClient
from reconciler.clickmeter.errors import ApiError, TransportError
from reconciler.errors import ReconcilerError
from tests.client.helpers import served
from tests.helpers import free_port

pytestmark = pytest.mark.anyio


async def failures_of(client: ClickMeterClient) -> list[ReconcilerError]:
    """Provoke every kind of failure the client raises and collect the errors."""
    attempts = [
        client.get_datapoint(424242),
        client.create_group({"name": ""}),
        client.list_groups(limit=0),
        client.update_datapoint(424242, {"title": "x"}),
        client.patch_tag_datapoint(1, "add", 424242),
    ]
    errors: list[ReconcilerError] = []
    for attempt in attempts:
        try:
            await attempt
        except ReconcilerError as error:
            errors.append(error)
    return errors


def assert_hidden(key: str, *texts: str) -> None:
    for text in texts:
        assert key not in text


async def test_key_is_absent_from_errors_reprs_and_logs(app: Starlette, api_key: str,
                                                         caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    async with ClickMeterClient("http://local", api_key, transport=httpx.ASGITransport(app=app)) as client:
        errors = await failures_of(client)
        assert len(errors) == 5
        assert_hidden(api_key, repr(client), str(client.calls), *map(str, errors), *map(repr, errors))
    async with ClickMeterClient(f"http://127.0.0.1:{free_port()}", api_key, backoff=0.001,
                                max_retries=1) as unreachable:
        with pytest.raises(TransportError) as lost:
            await unreachable.create_tag("x")
    assert_hidden(api_key, str(lost.value), repr(lost.value), caplog.text)


async def test_refused_key_is_absent_from_the_error(live_server: str) -> None:
    wrong = "wrong-key-that-must-stay-hidden"
    async with ClickMeterClient(live_server, wrong) as client:
        with pytest.raises(ApiError) as refused:
            await client.get_account()
    assert refused.value.status == 401
    assert_hidden(wrong, str(refused.value), repr(refused.value), repr(client))


async def test_key_is_absent_from_faults_over_http(db_path: Path, api_key: str,
                                                   caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    with served(db_path, api_key, "--fault-rate", "0.6", "--fault-seed", "1") as url:
        async with ClickMeterClient(url, api_key, backoff=0.001, max_retries=0) as client:
            messages = []
            for name in ("x", "y", "z", "w"):
                try:
                    await client.create_tag(name)
                except ApiError as error:
                    messages += [str(error), repr(error)]
    assert messages
    assert_hidden(api_key, *messages, caplog.text)


class EchoesTheKey(httpx.AsyncBaseTransport):
    """A careless service that repeats the key it was sent in its error message."""

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        key = request.headers[AUTH_HEADER]
        return httpx.Response(401, json=[{"property": None, "errorMessage": f"unknown key {key}",
                                          "errorValue": key, "code": "unauthorized"}])


async def test_a_key_echoed_by_the_service_is_masked() -> None:
    async with ClickMeterClient("http://echo", "echoed-key-123", transport=EchoesTheKey()) as client:
        with pytest.raises(ApiError) as refused:
            await client.get_account()
    assert str(refused.value) == ("GET /account -> 401: unknown key (sensitive) (check CLICKMETER_API_KEY)")
