"""`clickmeter-reconciler serve` as a subprocess on a free port: answers, keys, throttling, faults, stop."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from reconciler.apishapes import AUTH_HEADER
from reconciler.server.serving import _listen

REPO = Path(__file__).resolve().parents[2]


@contextmanager
def serving(db_path: Path, *options: str) -> Iterator[tuple[str, list[str]]]:
    """Run `serve --port 0` on `db_path`; yield its URL and the lines it printed before serving."""
    process = subprocess.Popen(
        [sys.executable, "-m", "reconciler", "serve", "--db", str(db_path), "--port", "0", *options],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        lines = [process.stdout.readline().rstrip("\n") for _ in range(3)]
        assert lines[0].startswith("target: http://127.0.0.1:"), lines
        url = lines[0].split()[1]
        _wait_until_up(url)
        yield url, lines
    finally:
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=15)
    assert process.returncode == 0, err
    assert out.rstrip().endswith("stopped")
    assert "Traceback" not in err, err


def _wait_until_up(url: str) -> None:
    deadline = time.monotonic() + 15
    while True:
        try:
            httpx.get(f"{url}/account", timeout=1)
            return
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def test_given_keys_are_accounts_and_are_not_printed(tmp_path: Path) -> None:
    with serving(tmp_path / "local.db", "--api-key", "key-one", "--api-key", "key-two") as (url, lines):
        answers = {key: httpx.get(f"{url}/datapoints/count", headers={AUTH_HEADER: key}).status_code
                   for key in ("key-one", "key-two", "key-three")}
        created = httpx.post(f"{url}/datapoints", headers={AUTH_HEADER: "key-one"}, json={
            "type": 0, "name": "spring", "typeTL": {"url": "https://shop.example.com/"}})
        click = httpx.get(f"{url}/go.clickmeter.test/spring")

    assert answers == {"key-one": 200, "key-two": 200, "key-three": 401}
    assert not any("key-one" in line or "key-two" in line for line in lines)
    assert lines[2] == (f"tracking: links {url}/{{domain}}/{{name}}, pixels {url}/pixel/{{id}}, "
                        f"conversions {url}/conversion/{{id}}?value=V")
    assert created.status_code == 200
    assert (click.status_code, click.headers["location"]) == (307, "https://shop.example.com/")


def test_without_keys_the_default_account_key_is_printed_and_kept(tmp_path: Path) -> None:
    db_path = tmp_path / "local.db"
    with serving(db_path) as (url, lines):
        key = lines[1].split()[2]
        answer = httpx.get(f"{url}/datapoints/count", headers={AUTH_HEADER: key})
    with serving(db_path) as (_, lines_again):
        pass

    assert lines[1].startswith("API key: ")
    assert answer.status_code == 200
    assert lines_again[1] == lines[1]


def test_a_busy_port_is_one_error_line(tmp_path: Path) -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "reconciler", "serve", "--db", str(tmp_path / "x.db"),
             "--port", str(port)], cwd=REPO, capture_output=True, text=True, timeout=30)

    assert result.returncode == 1
    assert result.stderr == f"error: cannot listen on 127.0.0.1:{port}: Address already in use\n"


def test_connections_the_listener_accepts_have_nagle_off() -> None:
    """With Nagle on, each keep-alive answer written in two parts waits ~40 ms for a delayed ACK."""
    async def accepted_nodelay(listener: socket.socket) -> int:
        option = asyncio.get_running_loop().create_future()

        def on_connection(_: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            accepted = writer.get_extra_info("socket")
            option.set_result(accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            writer.close()

        async with await asyncio.start_server(on_connection, sock=listener):
            _, client = await asyncio.open_connection(*listener.getsockname())
            client.close()
            return await option

    assert asyncio.run(accepted_nodelay(_listen("127.0.0.1", 0))) != 0


def test_throttling_over_http_answers_429_then_recovers(tmp_path: Path) -> None:
    with (serving(tmp_path / "local.db", "--api-key", "k", "--rate", "1") as (url, _),
          httpx.Client(base_url=url, headers={AUTH_HEADER: "k"}) as client):
        first = client.get("/datapoints/count")
        refused = client.get("/datapoints/count")
        time.sleep(float(refused.headers["retry-after"]))
        recovered = client.get("/datapoints/count")

    assert (first.status_code, refused.status_code, recovered.status_code) == (200, 429, 200)
    assert refused.json()["errors"][0]["code"] == "too_many_requests"


def test_faults_over_http_are_5xx_answers_and_dropped_connections(tmp_path: Path) -> None:
    with serving(tmp_path / "local.db", "--api-key", "k", "--fault-rate", "1",
                 "--fault-seed", "5") as (url, lines):
        seen = []
        for _ in range(12):
            try:
                seen.append(httpx.get(f"{url}/datapoints/count", headers={AUTH_HEADER: "k"}).status_code)
            except httpx.RemoteProtocolError:
                seen.append("dropped")

    assert lines[0].startswith("target: ")
    assert "dropped" in seen and set(seen) & {500, 502, 503}
    assert set(seen) <= {500, 502, 503, "dropped"}


@pytest.mark.parametrize("option", ["--fault-rate=1.5", "--rate=0", "--latency-ms=-1"])
def test_bad_testing_options_are_refused(tmp_path: Path, option: str) -> None:
    result = subprocess.run([sys.executable, "-m", "reconciler", "serve", "--db",
                             str(tmp_path / "x.db"), option], cwd=REPO, capture_output=True,
                            text=True, timeout=30)

    assert result.returncode == 1
    assert option.split("=")[0] in result.stderr


def test_ctrl_c_during_plan_is_one_line_and_exit_1(tmp_path: Path) -> None:
    with serving(tmp_path / "slow.db", "--api-key", "slow-key", "--latency-ms", "900") as (url, _):
        plan = subprocess.Popen(
            [sys.executable, "-m", "reconciler", "--target", url, "plan", "examples"],
            cwd=REPO, env={**os.environ, "CLICKMETER_API_KEY": "slow-key"},
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(2)
        plan.send_signal(signal.SIGINT)
        _, err = plan.communicate(timeout=30)

    assert plan.returncode == 1
    assert err.strip().splitlines() == ["error: interrupted"]


def test_variant_switches_over_http(tmp_path: Path) -> None:
    switches = ("--no-expand", "--updates", "merge", "--text-enums", "accept", "--counts", "without-deleted")
    with serving(tmp_path / "local.db", "--api-key", "k", *switches) as (url, _), \
            httpx.Client(base_url=url, headers={AUTH_HEADER: "k"}) as client:
        created = client.post("/datapoints", json={
            "type": "TrackingLink", "name": "a", "title": "kept", "typeTL": {"url": "https://a.example/"}})
        client.post(f"/datapoints/{created.json()['id']}", json={"notes": "merged"})
        stored = client.get(f"/datapoints/{created.json()['id']}").json()
        client.delete(f"/datapoints/{created.json()['id']}")
        count = client.get("/datapoints/count").json()
        listed = client.get("/datapoints", params={"_expand": "true"}).json()

    assert (created.status_code, stored["title"], stored["notes"]) == (200, "kept", "merged")
    assert count == {"count": 0}
    assert listed == {"entities": [{"id": created.json()["id"], "uri": f"/datapoints/{created.json()['id']}"}]}


def test_serve_help_documents_every_switch() -> None:
    shown = subprocess.run([sys.executable, "-m", "reconciler", "serve", "--help"], cwd=REPO,
                           capture_output=True, text=True, check=True).stdout

    for switch in ("--no-expand", "--updates [replace|merge]", "--text-enums [accept|reject]",
                   "--counts [with-deleted|without-deleted]", "--update-slots [ignore|honour]"):
        assert switch in shown


def _rotated_clicks(db_path: Path, *options: str) -> list[str]:
    """Where 20 clicks on a fresh A/B link of `serve ... *options` went."""
    with serving(db_path, "--api-key", "k", *options) as (url, _):
        httpx.post(f"{url}/datapoints", headers={AUTH_HEADER: "k"}, json={
            "type": 0, "name": "ab", "typeTL": {"url": "https://a.example/", "destinationMode": 1,
                                                "randomDestinationItems": [{"url": "https://a.example/"},
                                                                           {"url": "https://b.example/"}]}})
        return [httpx.get(f"{url}/go.clickmeter.test/ab").headers["location"] for _ in range(20)]


def test_seed_makes_a_rotating_link_repeat_over_http(tmp_path: Path) -> None:
    first = _rotated_clicks(tmp_path / "one.db", "--seed", "7")
    again = _rotated_clicks(tmp_path / "two.db", "--seed", "7")
    other = _rotated_clicks(tmp_path / "three.db", "--seed", "8")

    assert first == again != other
    assert set(first) == {"https://a.example/", "https://b.example/"}
