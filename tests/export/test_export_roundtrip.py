"""`export` against the real local server: round trips, stable bytes, refusals, filters.

Accounts are built through the API client on the local target's database;
`export` and `plan` run as the CLI runs them (`--local-db`), in-process.
"""

from __future__ import annotations

import asyncio
import json
import tempfile
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner, Result
from hypothesis import HealthCheck, example, given, settings

from reconciler.apishapes import TRACKING_LINK, TRACKING_PIXEL
from reconciler.cli import cli
from reconciler.clickmeter.client import ClickMeterClient
from reconciler.manifests import load_manifests
from reconciler.model import LINK, DesiredState, LiveState
from tests.export.helpers import (
    SYSTEM_DOMAIN,
    AccountSpec,
    DatapointSpec,
    accounts,
    password_of,
    read_local,
    seed_account,
    seed_local,
    update_local,
)
from tests.helpers import run_local

# What a datapoint is when a manifest leaves the field out (the API's defaults).
LEFT_OUT = {"title": None, "notes": None, "group": None, "tags": frozenset(), "conversions": frozenset(),
            "retargeting": frozenset(), "favourite": False, "status": "active"}
LEFT_OUT_OF_LINKS = {"domain": SYSTEM_DOMAIN, "redirect": "temporary"}


def read_tree(root: Path) -> dict[str, bytes]:
    return {path.relative_to(root).as_posix(): path.read_bytes()
            for path in sorted(root.rglob("*")) if path.is_file()}


def password_env(out: Path) -> dict[str, str]:
    """The variables the exported manifests read, set to the passwords the seeded links have."""
    env = {}
    for path in out.rglob("*.yaml"):
        for entry in yaml.safe_load(path.read_text("utf-8")).get("datapoints", []):
            if "password" in entry:
                env[entry["password"]["env"]] = password_of(entry["name"])
    return env


def export_and_plan(db_path: Path, out: Path) -> Result:
    """`export` to `out`, then `plan --detailed-exitcode` of it with the passwords set."""
    exported = run_local(db_path, "export", "--out", str(out))
    assert exported.exit_code == 0, exported.output
    return run_local(db_path, "plan", str(out), "--detailed-exitcode", env=password_env(out))


def assert_describes(desired: DesiredState, live: LiveState) -> None:
    """The export is complete: each live object declared, each field as live or left at its default.

    (A clean plan alone would also follow from an export that declared nothing.)
    """
    assert set(desired.groups) == {group.name for group in live.groups.values()}
    assert set(desired.conversions) == {conversion.name for conversion in live.conversions.values()}
    live_datapoints = {dp.name: dp for dp in live.datapoints.values()}
    assert set(desired.datapoints) == set(live_datapoints)
    for name, spec in desired.datapoints.items():
        dp = live_datapoints[name]
        assert (spec.type, spec.url, spec.password is not None) == (dp.type, dp.url, dp.password is not None)
        left_out = LEFT_OUT | (LEFT_OUT_OF_LINKS if dp.type == LINK else {})
        for field_name, default in left_out.items():
            declared = getattr(spec, field_name)
            assert (default if declared is None else declared) == (getattr(dp, field_name) or default), field_name


TAGS = [f"étiquette-{n}" for n in range(10)]
EVERYTHING = AccountSpec(
    domains=["d0.example.test", "d1.example.test"],
    scripts=["site-pixel", "réseau-social"],
    conversions=[{"name": f"goal-{n}", "value": n * 2.5 if n else None, "protocol": (0, 1)[n % 2],
                  "description": "Compte créé" if n == 1 else None} for n in range(5)],
    spare_tags=["unused"],
    groups=[{"name": "Printemps 2027 ☀", "notes": "Campagne\nsur deux lignes", "preferred": True,
             "tags": TAGS[:2]},
            {"name": "printemps-2027", "notes": None, "preferred": False, "tags": []}],
    datapoints=[
        DatapointSpec("soldes-été", TRACKING_LINK, title="yes", notes="  indented\nnotes ", favourite=True,
                      group="Printemps 2027 ☀", tags=TAGS, conversions=[f"goal-{n}" for n in range(5)],
                      url="https://shop.example.com/été?utm_source=news&x=%20", domain="d1.example.test",
                      redirect=301, password=True, scripts=["site-pixel", "réseau-social"]),
        DatapointSpec("paused-link", TRACKING_LINK, paused=True, group="printemps-2027", tags=TAGS[3:5],
                      url="http://a.example/", domain="d0.example.test", redirect="TemporaryRedirect"),
        DatapointSpec("pixel-☃", TRACKING_PIXEL, title="null", favourite=True, paused=True,
                      group="printemps-2027", conversions=["goal-1"]),
        DatapointSpec("loose-pixel", TRACKING_PIXEL, notes="#not a comment", tags=TAGS[9:]),
        DatapointSpec("loose-link", TRACKING_LINK, url="https://b.example/", password=True,
                      redirect="PermanentRedirect"),
    ])


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(account=accounts())
@example(account=EVERYTHING)
def test_export_of_an_unchanged_account_plans_no_changes_and_is_byte_stable(account: AccountSpec) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        db_path = root / "local.db"
        asyncio.run(seed_local(db_path, account))

        planned = export_and_plan(db_path, root / "first")
        assert planned.exit_code == 0, planned.output
        assert_describes(load_manifests([str(root / "first")]), asyncio.run(read_local(db_path)))

        again = run_local(db_path, "export", "--out", str(root / "second"))
        assert again.exit_code == 0, again.output
        assert read_tree(root / "first") == read_tree(root / "second")


def test_entries_keep_what_differs_from_the_api_defaults_and_nothing_else(tmp_path: Path) -> None:
    db_path = tmp_path / "local.db"
    asyncio.run(seed_local(db_path, AccountSpec(["d0.example.test"], [], [], [], [], [
        DatapointSpec("plain", TRACKING_LINK, url="https://a.example/"),
        DatapointSpec("elsewhere", TRACKING_LINK, url="https://a.example/", domain="d0.example.test",
                      redirect="PermanentRedirect", paused=True, favourite=True),
        DatapointSpec("px", TRACKING_PIXEL)])))
    out = tmp_path / "out"
    assert run_local(db_path, "export", "--out", str(out)).exit_code == 0

    assert yaml.safe_load((out / "ungrouped.yaml").read_text("utf-8")) == {"datapoints": [
        {"name": "elsewhere", "url": "https://a.example/", "domain": "d0.example.test", "redirect": "permanent",
         "favourite": True, "status": "paused"},
        {"name": "plain", "url": "https://a.example/"},
        {"name": "px", "type": "pixel"},
    ]}


def test_round_trip_over_loopback_http(live_server: str, api_key: str, tmp_path: Path) -> None:
    async def seed() -> None:
        async with ClickMeterClient(live_server, api_key) as client:
            await seed_account(client, EVERYTHING)

    asyncio.run(seed())
    out = tmp_path / "out"
    target = ["--target", live_server, "--rate", "1000"]  # unthrottled: loopback, not the public API
    env = {"CLICKMETER_API_KEY": api_key}
    exported = CliRunner().invoke(cli, [*target, "export", "--out", str(out)], env=env)
    assert exported.exit_code == 0, exported.output
    assert exported.stdout.splitlines()[0] == f"target: {live_server}"
    planned = CliRunner().invoke(cli, [*target, "plan", str(out), "--detailed-exitcode"],
                                 env=env | password_env(out))
    assert planned.exit_code == 0, planned.output


def test_output_names_the_target_first_then_files_and_variables(tmp_path: Path) -> None:
    db_path = tmp_path / "local.db"
    account = AccountSpec([], [], [], [], [{"name": "Spring", "notes": None, "preferred": False, "tags": []}],
                          [DatapointSpec("locked", TRACKING_LINK, url="https://a.example/", group="Spring",
                                         password=True)])
    asyncio.run(seed_local(db_path, account))

    result = run_local(db_path, "export", "--out", str(tmp_path / "out"))
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == f"target: local ({db_path})"
    assert lines[1] == f"wrote 2 files to {tmp_path / 'out'}:"
    assert sorted(lines[2:4]) == [f"  {tmp_path / 'out' / 'groups' / 'spring.yaml'}",
                                  f"  {tmp_path / 'out' / 'manifest.schema.json'}"]
    assert lines[4:] == ["set these environment variables to manage the passwords (unset, plan leaves them as live):",
                         "  CLICKMETER_PASSWORD_LOCKED  password of link 'locked' (id 1)"]
    assert password_of("locked") not in result.output
    assert password_of("locked") not in (tmp_path / "out" / "groups" / "spring.yaml").read_text("utf-8")


def test_an_export_with_passwords_plans_clean_before_their_variables_are_set(tmp_path: Path) -> None:
    db_path = tmp_path / "local.db"
    asyncio.run(seed_local(db_path, AccountSpec([], [], [], [], [], [
        DatapointSpec("locked", TRACKING_LINK, url="https://a.example/", password=True)])))
    out = tmp_path / "out"
    assert run_local(db_path, "export", "--out", str(out)).exit_code == 0
    planned = run_local(db_path, "plan", str(out), "--detailed-exitcode")
    assert planned.exit_code == 0, planned.output
    assert "password of 'locked' not managed: environment variable CLICKMETER_PASSWORD_LOCKED is not set" \
        in planned.output
    changed = run_local(db_path, "plan", str(out), "--detailed-exitcode", env={"CLICKMETER_PASSWORD_LOCKED": "new"})
    assert changed.exit_code == 2 and "password: (sensitive) (changed)" in changed.output


def test_a_non_empty_directory_is_refused_without_force(tmp_path: Path) -> None:
    db_path = tmp_path / "local.db"
    asyncio.run(seed_local(db_path, AccountSpec([], [], [], [], [], [DatapointSpec("a", TRACKING_PIXEL)])))
    out = tmp_path / "out"
    out.mkdir()
    (out / "mine.yaml").write_text("datapoints: []\n")

    refused = run_local(db_path, "export", "--out", str(out))
    assert refused.exit_code == 1
    assert refused.stderr == (f"error: export --out {out}: the directory is not empty "
                              "(pass --force to write into it)\n")
    assert read_tree(out) == {"mine.yaml": b"datapoints: []\n"}

    forced = run_local(db_path, "export", "--out", str(out), "--force")
    assert forced.exit_code == 0, forced.output
    assert set(read_tree(out)) == {"mine.yaml", "ungrouped.yaml", "manifest.schema.json"}
    assert f"warning: {out / 'mine.yaml'} was not written by this export; plan still reads it" in forced.stderr


def test_forced_re_export_into_its_own_output_changes_nothing(tmp_path: Path) -> None:
    db_path = tmp_path / "local.db"
    asyncio.run(seed_local(db_path, EVERYTHING))
    out = tmp_path / "out"
    assert run_local(db_path, "export", "--out", str(out)).exit_code == 0
    first = read_tree(out)

    again = run_local(db_path, "export", "--out", str(out), "--force")
    assert again.exit_code == 0, again.output
    assert again.stderr == ""
    assert read_tree(out) == first


def test_an_out_path_that_is_a_file_is_one_line(tmp_path: Path) -> None:
    taken = tmp_path / "taken"
    taken.write_text("mine")
    result = run_local(tmp_path / "local.db", "export", "--out", str(taken))
    assert result.exit_code == 1
    assert result.stderr == f"error: export --out {taken}: not a directory\n"
    assert taken.read_text() == "mine"


def test_a_file_that_cannot_be_written_is_one_line(tmp_path: Path) -> None:
    db_path = tmp_path / "local.db"
    asyncio.run(seed_local(db_path, AccountSpec([], [], [], [], [
        {"name": "Spring", "notes": None, "preferred": False, "tags": []}], [])))
    out = tmp_path / "out"
    out.mkdir()
    (out / "groups").write_text("a file where the export wants a folder")

    result = run_local(db_path, "export", "--out", str(out), "--force")
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"error: export: {out / 'groups'}: a file, not a folder: refusing to write through it"]


def test_group_filter_exports_those_groups_only_and_plans_clean(tmp_path: Path) -> None:
    db_path = tmp_path / "local.db"
    groups = [{"name": name, "notes": None, "preferred": False, "tags": []} for name in ("Spring", "Autumn")]
    conversions = [{"name": "signup", "value": 1.5, "protocol": 1, "description": None},
                   {"name": "sale", "value": None, "protocol": 0, "description": None}]
    datapoints = [DatapointSpec("spring-1", TRACKING_LINK, url="https://a.example/1", group="Spring",
                                conversions=["signup"]),
                  DatapointSpec("autumn-1", TRACKING_LINK, url="https://a.example/2", group="Autumn",
                                conversions=["sale"]),
                  DatapointSpec("loose", TRACKING_PIXEL)]
    asyncio.run(seed_local(db_path, AccountSpec([], [], conversions, ["spare"], groups, datapoints)))
    out = tmp_path / "out"

    result = run_local(db_path, "export", "--out", str(out), "--group", "Spring")
    assert result.exit_code == 0, result.output
    assert set(read_tree(out)) == {"groups/spring.yaml", "conversions.yaml", "manifest.schema.json"}
    assert yaml.safe_load((out / "conversions.yaml").read_text("utf-8")) == {
        "conversions": [{"name": "signup", "value": 1.5, "protocol": "https"}]}
    planned = run_local(db_path, "plan", str(out), "--detailed-exitcode")
    assert planned.exit_code == 0, planned.output


def test_unknown_group_is_one_line_naming_it(tmp_path: Path) -> None:
    result = run_local(tmp_path / "local.db", "export", "--out", str(tmp_path / "out"), "--group", "Nope")
    assert result.exit_code == 1
    assert result.stderr == "error: export --group: no live group named 'Nope'\n"
    assert not (tmp_path / "out").exists()


def seed_twins(db_path: Path) -> None:
    """Two links named 'twin' (ids 1 and 2): legal live, on two domains."""
    twins = [DatapointSpec("twin", TRACKING_LINK, url="https://a.example/1", domain="go.clickmeter.test"),
             DatapointSpec("twin", TRACKING_LINK, url="https://a.example/2", domain="d0.example.test")]
    asyncio.run(seed_local(db_path, AccountSpec(["d0.example.test"], [], [], [], [], twins)))


def test_names_not_unique_live_are_exported_with_id_pins_and_a_warning(tmp_path: Path) -> None:
    seed_twins(tmp_path / "local.db")
    out = tmp_path / "out"

    exported = run_local(tmp_path / "local.db", "export", "--out", str(out))
    assert exported.exit_code == 0, exported.output
    assert exported.stderr == "warning: datapoint name 'twin' is not unique live (ids 1, 2): exported with id pins\n"
    entries = yaml.safe_load((out / "ungrouped.yaml").read_text("utf-8"))["datapoints"]
    assert [(entry["name"], entry["id"], entry["url"]) for entry in entries] == [
        ("twin", 1, "https://a.example/1"), ("twin", 2, "https://a.example/2")]


def test_a_pinned_name_whose_twin_is_in_another_group_plans_clean(tmp_path: Path) -> None:
    db_path = tmp_path / "local.db"
    groups = [{"name": name, "notes": None, "preferred": False, "tags": []} for name in ("A", "B")]
    twins = [DatapointSpec("twin", TRACKING_LINK, url="https://a.example/1", group="A"),
             DatapointSpec("twin", TRACKING_LINK, url="https://a.example/2", domain="d0.example.test", group="B")]
    asyncio.run(seed_local(db_path, AccountSpec(["d0.example.test"], [], [], [], groups, twins)))
    out = tmp_path / "out"

    exported = run_local(db_path, "export", "--out", str(out), "--group", "B")
    assert exported.exit_code == 0, exported.output
    assert yaml.safe_load((out / "groups" / "b.yaml").read_text("utf-8"))["datapoints"] == [
        {"name": "twin", "id": 2, "url": "https://a.example/2", "domain": "d0.example.test"}]
    planned = run_local(db_path, "plan", str(out), "--detailed-exitcode")
    assert planned.exit_code == 0, planned.output


def test_pinned_twins_plan_clean(tmp_path: Path) -> None:
    seed_twins(tmp_path / "local.db")
    planned = export_and_plan(tmp_path / "local.db", tmp_path / "out")
    assert planned.exit_code == 0, planned.output
    desired = load_manifests([str(tmp_path / "out")])
    assert {key: (spec.id, spec.url) for key, spec in desired.datapoints.items()} == {
        "twin#1": (1, "https://a.example/1"), "twin#2": (2, "https://a.example/2")}


@pytest.mark.parametrize(("drift", "diff"), [
    ({"notes": "after"}, ("notes", "after", "before")),
    ({"title": "after"}, ("title", "after", "before")),
    ({"typeTL": {"url": "https://b.example/"}}, ("url", "https://b.example/", "https://a.example/")),
])
def test_plan_of_an_export_sees_live_drift_after_it(tmp_path: Path, drift: dict[str, object],
                                                     diff: tuple[str, str, str]) -> None:
    """The clean plans above are not vacuous: a live change to an exported field shows up.

    (Fields at their defaults are left out of the export, so they stay "as live".)
    """
    db_path = tmp_path / "local.db"
    asyncio.run(seed_local(db_path, AccountSpec([], [], [], [], [], [
        DatapointSpec("watched", TRACKING_LINK, url="https://a.example/", title="before", notes="before")])))
    out = tmp_path / "out"
    assert run_local(db_path, "export", "--out", str(out)).exit_code == 0
    asyncio.run(update_local(db_path, 1, drift))

    planned = run_local(db_path, "plan", str(out), "--detailed-exitcode", "--format", "json")
    assert planned.exit_code == 2, planned.output
    [change] = json.loads(planned.output)["changes"]
    assert (change["action"], change["name"]) == ("update", "watched")
    assert [(d["field"], d["before"], d["after"]) for d in change["diffs"]] == [diff]
