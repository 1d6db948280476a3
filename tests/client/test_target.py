"""Targets: the embedded local account, a URL, and the one line each failure gives."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from reconciler.clickmeter.errors import TargetError
from reconciler.target import TargetOptions, describe_target, open_client
from tests.apply.helpers import serving
from tests.client.helpers import served
from tests.helpers import free_port

pytestmark = pytest.mark.anyio


def options(target: str, local_db: str = ".clickmeter/local.db", rate: float | None = None) -> TargetOptions:
    return TargetOptions(target=target, local_db=local_db, rate=rate, concurrency=4)


def test_describe_target_names_the_database_or_the_url() -> None:
    assert describe_target(options("local", "x/local.db")) == "target: local (x/local.db)"
    assert describe_target(options("https://apiv2.clickmeter.com/")) == "target: https://apiv2.clickmeter.com"


def test_a_target_that_is_no_url_is_one_line() -> None:
    with pytest.raises(TargetError, match=r"--target: expected 'local' or an http\(s\) URL, got 'ftp://x'"):
        describe_target(options("ftp://x"))


async def test_local_target_creates_its_database_and_account(tmp_path: Path) -> None:
    db = tmp_path / "nested" / "dir" / "local.db"
    async with open_client(options("local", str(db))) as client:
        created = await client.create_datapoint({"type": 0, "name": "x",
                                                 "typeTL": {"url": "https://example.com/"}})
        assert client.limiter.rate is None
    assert db.exists()
    async with open_client(options("local", str(db))) as again:
        assert (await again.get_datapoint(created["id"]))["name"] == "x"


async def test_a_local_database_that_cannot_open_is_one_line(tmp_path: Path) -> None:
    not_a_db = tmp_path / "local.db"
    not_a_db.write_text("this is not SQLite")
    with pytest.raises(TargetError, match=rf"^--local-db {not_a_db}: cannot open the local account \(.+\)$"):
        async with open_client(options("local", str(not_a_db))):
            pass


async def test_url_target_without_a_key_is_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CLICKMETER_API_KEY", raising=False)
    with pytest.raises(TargetError, match=r"^target http://127.0.0.1:1 needs an API key: set CLICKMETER_API_KEY$"):
        async with open_client(options("http://127.0.0.1:1")):
            pass


async def test_unreachable_url_is_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLICKMETER_API_KEY", "some-key")
    url = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(TargetError) as unreachable:
        async with open_client(options(url), backoff=0.01):
            pass
    assert str(unreachable.value) == f"target: {url}: cannot reach the service (ConnectError)"


async def test_a_url_that_answers_too_slowly_is_one_line_that_says_so(
        db_path: Path, api_key: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLICKMETER_API_KEY", api_key)
    with served(db_path, api_key, "--latency-ms", "800") as url, pytest.raises(TargetError) as slow:
        async with open_client(options(url), timeout=httpx.Timeout(0.2), backoff=0.01):
            pass
    assert str(slow.value) == f"target: {url}: the service did not answer in time (ReadTimeout)"


@pytest.mark.parametrize("fault_seed", [3, 16, 18])  # the first two API requests drop, fail with 5xx, or both
async def test_a_flaky_service_gets_the_usual_retries_on_the_first_call(
        db_path: Path, api_key: str, monkeypatch: pytest.MonkeyPatch, fault_seed: int) -> None:
    monkeypatch.setenv("CLICKMETER_API_KEY", api_key)
    with serving(db_path, fault_rate=0.5, fault_seed=fault_seed) as url:
        async with open_client(options(url), backoff=0.01) as client:
            assert client.calls["get_account"] == 3  # two failed tries, then the usual retries
            assert await client.count_datapoints() == 0


async def test_refused_key_is_one_line(live_server: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLICKMETER_API_KEY", "wrong-key")
    with pytest.raises(TargetError) as refused:
        async with open_client(options(live_server)):
            pass
    assert str(refused.value) == (f"target: {live_server}: the API key in CLICKMETER_API_KEY was refused "
                                  "(GET /account -> 401)")


async def test_url_target_is_rate_limited_by_default_and_rate_overrides(
        live_server: str, api_key: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLICKMETER_API_KEY", api_key)
    async with open_client(options(live_server)) as client:
        assert client.limiter.rate == 10
        assert await client.count_datapoints() == 0
    async with open_client(options(live_server, rate=50)) as client:
        assert client.limiter.rate == 50


MANIFEST = "datapoints:\n  - name: spring-sale\n    url: https://shop.example.com/spring\n"


def test_a_remote_plan_loads_the_manifests_while_it_reads(live_server: str, api_key: str, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """Over HTTP the manifests load beside the first reads; the plan is the same."""
    from reconciler.plan.run import build_plan

    (tmp_path / "links.yaml").write_text(MANIFEST)
    monkeypatch.setenv("CLICKMETER_API_KEY", api_key)
    plan = build_plan(options(live_server), [str(tmp_path)], keep_fetched=True)
    assert [(change.action, change.name) for change in plan.changes] == [("create", "spring-sale")]


def test_a_manifest_problem_wins_over_a_refused_key(live_server: str, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """Loading beside the first reads keeps the order of errors: what fails offline is reported."""
    from reconciler.errors import ReconcilerError
    from reconciler.plan.run import build_plan

    (tmp_path / "links.yaml").write_text(MANIFEST.replace("url:", "url: [broken"))
    monkeypatch.setenv("CLICKMETER_API_KEY", "wrong-key")
    with pytest.raises(ReconcilerError) as raised:
        build_plan(options(live_server), [str(tmp_path)])
    assert "links.yaml" in str(raised.value) and "401" not in str(raised.value)
    (tmp_path / "links.yaml").write_text(MANIFEST)
    with pytest.raises(TargetError, match="401"):
        build_plan(options(live_server), [str(tmp_path)])
