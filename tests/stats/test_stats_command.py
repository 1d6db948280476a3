"""`clickmeter-reconciler stats` end to end: in-process on the local target, and over
loopback HTTP against the clocked server (whose clock decides the named timeframes)."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner, Result
from starlette.applications import Starlette

from reconciler.cli import cli
from reconciler.clickmeter.client import ClickMeterClient
from tests.helpers import TEST_API_KEY
from tests.planner.helpers import edit_datapoint, in_account


def run(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), env=env)


@pytest.fixture
def local(db_path: Path, scenario_ids: dict[str, int]) -> tuple[str, ...]:
    """The global options of the local target on the scenario's database."""
    return ("--target", "local", "--local-db", str(db_path))


@pytest.fixture
def remote(clocked_server: str, scenario_ids: dict[str, int]) -> tuple[tuple[str, ...], dict[str, str]]:
    """The global options and environment of the URL target serving the scenario."""
    return ("--target", clocked_server), {"CLICKMETER_API_KEY": TEST_API_KEY}


def test_the_table_names_its_target_first_and_ends_with_totals(
        local: tuple[str, ...], manifests: Path, db_path: Path) -> None:
    result = run(*local, "stats", str(manifests), "--timeframe", "custom",
                 "--from", "20261120", "--to", "20261127")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == f"target: local ({db_path})"
    assert lines[1] == "statistics, timeframe 2026-11-20..2026-11-27: 5 declared datapoint(s)"
    assert lines[2].split() == ["name", "type", "id", "status", "clicks/views", "uniques",
                                "conversions", "value", "last", "hit"]
    assert lines[3].split() == ["spring-sale", "link", "1", "live", "5", "4", "1", "12.50",
                                "2026-11-27", "12:00"]
    assert lines[-4].split() == ["gone", "link", "-", "not", "live", "-", "-", "-", "-", "-"]
    assert lines[-1] == "1 declared datapoint(s) not live"
    assert lines[-2].split() == ["total", "-", "-", "-", "7", "6", "1", "12.50", "-"]


def test_csv_sorted_by_name_carries_raw_values_and_a_totals_row(
        local: tuple[str, ...], manifests: Path) -> None:
    result = run(*local, "stats", str(manifests), "--timeframe", "custom", "--from", "20260901",
                 "--to", "20261127", "--format", "csv", "--sort", "name")
    assert result.exit_code == 0, result.output
    assert list(csv.reader(io.StringIO(result.stdout))) == [
        ["name", "type", "id", "status", "clicks", "uniques", "conversions", "value", "last_hit"],
        ["idle", "link", "2", "live", "0", "0", "0", "0.0", ""],
        ["newsletter-open", "pixel", "6", "live", "2", "2", "0", "0.0", "2026-11-25T09:00:00"],
        ["old-promo", "link", "3", "live", "1", "1", "0", "0.0", "2026-09-01T10:00:00"],
        ["spring-sale", "link", "1", "live", "6", "5", "1", "12.5", "2026-11-27T12:00:00"],
        ["gone", "link", "", "not live", "", "", "", "", ""],
        ["total", "", "", "", "9", "8", "1", "12.5", ""],
    ]


def test_json_series_by_week_for_one_group(local: tuple[str, ...], manifests: Path, db_path: Path) -> None:
    result = run(*local, "stats", str(manifests), "--group", "spring", "--by", "week",
                 "--timeframe", "custom", "--from", "20261109", "--to", "20261127", "--format", "json")
    assert result.exit_code == 0, result.output
    answer = json.loads(result.stdout)
    assert answer["target"] == f"target: local ({db_path})"
    assert (answer["mode"], answer["by"], answer["group"]) == ("series", "week", "spring")
    assert [(row["period"], row["clicks"], row["uniques"]) for row in answer["rows"]] == [
        ("2026-W46", 0, 0), ("2026-W47", 1, 1), ("2026-W48", 4, 3)]
    assert answer["totals"] == {"period": "total", "clicks": 5, "uniques": 4, "conversions": 1,
                                "value": 12.5}


def test_named_timeframes_follow_the_services_clock(remote: tuple, manifests: Path) -> None:
    options, env = remote
    result = run(*options, "stats", str(manifests), "--timeframe", "yesterday", "--format", "json",
                 env=env)
    assert result.exit_code == 0, result.output
    figures = {row["name"]: row["clicks"] for row in json.loads(result.stdout)["rows"]}
    assert figures == {"spring-sale": 1, "newsletter-open": 0, "idle": 0, "old-promo": 0, "gone": None}
    assert TEST_API_KEY not in result.output


def test_stale_over_http_lists_the_candidates_for_removal(remote: tuple, manifests: Path) -> None:
    options, env = remote
    result = run(*options, "stats", str(manifests), "--stale", "30", env=env)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == f"target: {options[1]}"
    assert lines[1] == "declared datapoints with no clicks or views for 30 day(s): 2"
    assert [line.split()[0] for line in lines[3:5]] == ["idle", "old-promo"]
    assert lines[5] == "not live (declared only): gone"
    assert TEST_API_KEY not in result.output


def test_hits_over_http(remote: tuple, manifests: Path) -> None:
    options, env = remote
    result = run(*options, "stats", str(manifests), "--hits", "spring-sale", "--filter", "uniques",
                 "--timeframe", "last7", "--format", "csv", env=env)
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [(row["time"], row["country"], row["conversions"]) for row in rows] == [
        ("2026-11-27T12:00:00", "DE", "signup"), ("2026-11-27T10:00:00", "GB", ""),
        ("2026-11-26T09:00:00", "GB", "")]


def test_report_as_a_table(local: tuple[str, ...], manifests: Path) -> None:
    result = run(*local, "stats", str(manifests), "--report", "spring-sale", "--type", "referrers",
                 "--timeframe", "beginning")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[1] == "referrers of spring-sale: 1 entry"
    assert lines[3].split() == ["Direct", "6", "5", "1", "12.50"]


@pytest.mark.parametrize(("args", "message"), [
    (("--timeframe", "custom"), "error: --timeframe custom needs both --from YYYYMMDD and --to YYYYMMDD"),
    (("--timeframe", "custom", "--from", "20261301", "--to", "20261302"),
     "error: --from '20261301': expected a day as YYYYMMDD or YYYY-MM-DD"),
    (("--by", "day", "--hits", "spring-sale"), "error: --by and --hits cannot be combined: choose one"),
    (("--hits", "stray"), "error: --hits 'stray': no datapoint of that name is declared in the manifests"),
    (("--hits", "sprng-sale"), "error: --hits 'sprng-sale': no datapoint of that name is declared in the "
                               "manifests (did you mean 'spring-sale'?)"),
    (("--report", "gone", "--type", "countries"), "error: --report 'gone': declared but not live"),
    (("--group", "autumn"), "error: --group 'autumn': no declared datapoint is in that group"),
    (("--stale", "soon"), "error: --stale 'soon': expected a whole number, 1 or more"),
])
def test_bad_input_is_one_line_and_exit_1(local: tuple[str, ...], manifests: Path, args: tuple,
                                          message: str) -> None:
    result = run(*local, "stats", str(manifests), *args)
    assert (result.exit_code, result.stdout, result.stderr) == (1, "", message + "\n")


def test_bad_manifests_name_their_file_and_line(local: tuple[str, ...], tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text("datapoints:\n  - name: x\n    type: banner\n")
    result = run(*local, "stats", str(tmp_path))
    assert result.exit_code == 1
    assert result.stderr.startswith(f"error: {tmp_path / 'bad.yaml'}:3:")
    assert "Traceback" not in result.output


def test_a_link_password_never_reaches_the_output(
        local: tuple[str, ...], manifests: Path, clocked_app: Starlette, api_key: str) -> None:
    secret = "hunter2-do-not-print"

    async def create_protected_link() -> None:
        async with ClickMeterClient("http://local", api_key,
                                    transport=httpx.ASGITransport(app=clocked_app)) as client:
            await client.create_datapoint({"type": 0, "name": "members", "title": "members",
                                           "typeTL": {"url": "https://shop.example.com/members",
                                                      "password": secret}})

    asyncio.run(create_protected_link())
    (manifests / "members.yaml").write_text(
        "datapoints:\n  - name: members\n    url: https://shop.example.com/members\n")
    for output_format in ("table", "csv", "json"):
        result = run(*local, "stats", str(manifests), "--format", output_format)
        assert result.exit_code == 0, result.output
        assert "members" in result.stdout and secret not in result.output


def test_an_api_error_is_one_line_naming_the_call(local: tuple[str, ...], manifests: Path,
                                                  scenario_ids: dict[str, int]) -> None:
    result = run(*local, "stats", str(manifests), "--report", "spring-sale", "--type", "cities")
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr.startswith(f"error: GET /datapoints/{scenario_ids['spring-sale']}/reports -> 400")
    assert result.stderr.count("\n") == 1


def test_a_paused_link_shows_as_paused(local: tuple[str, ...], manifests: Path, db_path: Path, api_key: str,
                                       scenario_ids: dict[str, int]) -> None:
    in_account(db_path, api_key, lambda client: edit_datapoint(client, scenario_ids["idle"], {"status": 1}))
    result = run(*local, "stats", str(manifests), "--format", "csv", "--sort", "name")
    assert result.exit_code == 0, result.output
    rows = {row[0]: row[3] for row in csv.reader(io.StringIO(result.stdout))}
    assert (rows["idle"], rows["old-promo"], rows["gone"]) == ("paused", "live", "not live")
