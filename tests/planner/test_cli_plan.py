"""`plan` end to end: YAML manifests, the CLI, the real local server on a tmp database."""

from __future__ import annotations

import json
import os
import pty
import re
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner, Result

from reconciler.cli import cli
from reconciler.live.reader import read_live_state
from reconciler.plan.run import build_plan
from reconciler.target import TargetOptions
from tests.helpers import run_local
from tests.planner.helpers import edit_datapoint, in_account, record_clicks, run_operations

PASSWORD = "open-sesame-1234"
CAMPAIGN = """\
groups:
  - name: spring
    notes: Spring campaign
    prune: true
  - name: autumn
conversions:
  - name: signup
    value: 12.5
    protocol: https
  - name: buy
datapoints:
  - name: sale
    url: https://shop.example.com/sale
    title: Sale
    redirect: permanent
    group: spring
    tags: [news, spring]
    conversions: [signup]
    favourite: true
    notes: April
    status: active
    password: {env: SALE_PASSWORD}
  - name: beacon
    type: pixel
    group: spring
    tags: [news]
"""


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SALE_PASSWORD", PASSWORD)
    monkeypatch.delenv("NO_COLOR", raising=False)
    manifests = tmp_path / "manifests"
    manifests.mkdir()
    (manifests / "campaign.yaml").write_text(CAMPAIGN)
    return manifests


def plan(db_path: Path, *args: str) -> Result:
    return run_local(db_path, "plan", *args)


def converge(db_path: Path, api_key: str, manifests: Path) -> dict[str, int]:
    """Make the account what `manifests` declare by sending the plan's operations."""
    options = TargetOptions(target="local", local_db=str(db_path), rate=None, concurrency=4)
    made = build_plan(options, [str(manifests)])
    return in_account(db_path, api_key, lambda client: run_operations(client, made, {"SALE_PASSWORD": PASSWORD}))


def changes_section(output: str) -> list[str]:
    """The change lines of a text plan (between the header and the summary)."""
    body = output.split("\n\n", 1)[1]
    return [line for line in body.split("\n\n", 1)[0].splitlines() if line.strip()]


def test_empty_account_plans_everything_created(db_path: Path, api_key: str, repo: Path) -> None:
    result = plan(db_path, str(repo), "--detailed-exitcode")
    assert result.exit_code == 2, result.output
    lines = result.output.splitlines()
    assert lines[0] == f"target: local ({db_path})"
    heads = [line for line in changes_section(result.output) if not line.startswith("      ")]
    assert heads == [f" + tag news  [{repo}/campaign.yaml:17:11]", f" + tag spring  [{repo}/campaign.yaml:17:11]",
                     f" + group autumn  [{repo}/campaign.yaml:5:5]", f" + group spring  [{repo}/campaign.yaml:2:5]",
                     f" + conversion buy  [{repo}/campaign.yaml:10:5]",
                     f" + conversion signup  [{repo}/campaign.yaml:7:5]",
                     f" + pixel beacon  [{repo}/campaign.yaml:23:5]", f" + link sale  [{repo}/campaign.yaml:12:5]"]
    assert lines[-1] == ("Plan: 8 to create, 0 to update, 0 to delete, 0 links to re-tag; "
                         "5 API calls (~1 s at 10 req/s).")


def test_converged_account_has_no_changes(db_path: Path, api_key: str, repo: Path) -> None:
    converge(db_path, api_key, repo)
    result = plan(db_path, str(repo), "--detailed-exitcode")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1].startswith("No changes. 8 declared objects up to date; 0 API calls")


DRIFTS = {
    "title": ({"title": "Hand edit"}, 'title: "Hand edit" -> "Sale"'),
    "url": ({"typeTL": {"url": "https://elsewhere.example.com/"}},
            'url: "https://elsewhere.example.com/" -> "https://shop.example.com/sale"'),
    "notes": ({"notes": "edited"}, 'notes: "edited" -> "April"'),
    "favourite": ({"preferred": False}, "favourite: false -> true"),
    "pause": ({"status": 1}, 'status: "paused" -> "active"'),
    "redirect": ({"typeTL": {"redirectType": 307}}, 'redirect: "temporary" -> "permanent"'),
    "password": ({"typeTL": {"password": "guessed"}}, "password: (sensitive) (changed)"),
    "group move": ({"groupId": "autumn"}, 'group: "autumn" -> "spring"'),
}


@pytest.mark.parametrize("drift", DRIFTS)
def test_each_out_of_band_field_edit_is_exactly_that_diff(db_path: Path, api_key: str, repo: Path,
                                                          drift: str) -> None:
    converge(db_path, api_key, repo)
    shared_edit, expected = DRIFTS[drift]
    edit = dict(shared_edit)  # the group's name becomes its id in this account only

    async def edit_sale(client):
        live = await read_live_state(client)
        sale = next(d for d in live.datapoints.values() if d.name == "sale")
        if "groupId" in edit:
            edit["groupId"] = next(g.id for g in live.groups.values() if g.name == edit["groupId"])
        await edit_datapoint(client, sale.id, edit)
        return sale.id
    sale_id = in_account(db_path, api_key, edit_sale)
    result = plan(db_path, str(repo), "--detailed-exitcode")
    assert result.exit_code == 2, result.output
    risk = ["      ! 0 clicks in the last 30 days, re-pointed"] if drift == "url" else []
    assert changes_section(result.output) == [f" ~ link sale (id {sale_id})  [{repo}/campaign.yaml:12:5]",
                                              *risk, f"      {expected}"]


ASSOCIATION_DRIFTS = {
    "tag removed": ("tag", "news", "remove", "tags: +news"),
    "tag added": ("tag", "hand-made", "add", "tags: -hand-made"),
    "conversion added": ("conversion", "buy", "add", "conversions: -buy"),
    "conversion removed": ("conversion", "signup", "remove", "conversions: +signup"),
}


@pytest.mark.parametrize("drift", ASSOCIATION_DRIFTS)
def test_tag_and_conversion_set_drift_is_exactly_that_diff(db_path: Path, api_key: str, repo: Path,
                                                           drift: str) -> None:
    converge(db_path, api_key, repo)
    kind, name, action, expected = ASSOCIATION_DRIFTS[drift]

    async def edit_sale(client):
        live = await read_live_state(client)
        sale = next(d for d in live.datapoints.values() if d.name == "sale")
        if kind == "tag":
            tag = next((t.id for t in live.tags.values() if t.name == name), None)
            tag = tag or (await client.create_tag(name))["id"]
            await client.patch_tag_datapoint(tag, action, sale.id)
        else:
            conversion = next(c.id for c in live.conversions.values() if c.name == name)
            await client.patch_conversion_datapoint(conversion, action, sale.id)
        return sale.id
    sale_id = in_account(db_path, api_key, edit_sale)
    result = plan(db_path, str(repo), "--detailed-exitcode", "--format", "json")
    assert result.exit_code == 2
    document = json.loads(result.output)
    (change,) = document["changes"]
    assert (change["action"], change["id"]) == ("update", sale_id)
    assert [f"{d['field']}: " + " ".join([f"+{a}" for a in d["added"]] + [f"-{r}" for r in d["removed"]])
            for d in change["diffs"]] == [expected]
    assert document["summary"]["calls"] == 1


def test_an_out_of_band_deletion_is_a_plan_error_since_the_name_cannot_be_reused(
        db_path: Path, api_key: str, repo: Path) -> None:
    converge(db_path, api_key, repo)

    async def delete_beacon(client):
        live = await read_live_state(client)
        await client.delete_datapoint(next(d.id for d in live.datapoints.values() if d.name == "beacon"))
    in_account(db_path, api_key, delete_beacon)
    result = plan(db_path, str(repo), "--detailed-exitcode")
    assert result.exit_code == 1
    assert result.output.splitlines()[-1] == (
        f"error: {repo}/campaign.yaml:23:11: datapoint beacon: name: 'beacon' was used by a deleted datapoint on "
        "go.clickmeter.test; deleted datapoints' names cannot be reused; pick another name")
    (repo / "campaign.yaml").write_text(CAMPAIGN.replace("name: beacon", "name: beacon-2"))
    result = plan(db_path, str(repo), "--detailed-exitcode")
    assert result.exit_code == 2
    assert changes_section(result.output)[0] == f" + pixel beacon-2  [{repo}/campaign.yaml:23:5]"


def test_renamed_from_renames_the_live_link(db_path: Path, api_key: str, repo: Path) -> None:
    ids = converge(db_path, api_key, repo)
    (repo / "campaign.yaml").write_text(CAMPAIGN.replace("  - name: sale\n",
                                                         "  - name: big-sale\n    renamed_from: [sale]\n"))
    result = plan(db_path, str(repo), "--format", "json")
    (change,) = json.loads(result.output)["changes"]
    assert (change["action"], change["id"], change["previous_name"]) == ("rename", ids["datapoint:sale"], "sale")


def test_a_rename_of_a_clicked_link_shows_both_short_urls_and_is_refused(db_path: Path, api_key: str,
                                                                         repo: Path) -> None:
    (repo / "summer.yaml").write_text("datapoints:\n  - name: summer-x\n    url: https://shop.example.com/s\n")
    ids = converge(db_path, api_key, repo)
    record_clicks(db_path, "/go.clickmeter.test/summer-x", 2)
    (repo / "summer.yaml").write_text("datapoints:\n  - name: summer-x-post\n    renamed_from: [summer-x]\n"
                                      "    url: https://shop.example.com/s\n")
    text = plan(db_path, str(repo)).output
    assert ('      short_url: "http://go.clickmeter.test/summer-x" -> "http://go.clickmeter.test/summer-x-post"'
            in text)
    assert "      ! 2 clicks in the last 30 days, renamed" in text
    refusal = (f"datapoint summer-x-post (id {ids['datapoint:summer-x']}) had 2 clicks in the last 30 days "
               "and would be renamed; use --allow-active summer-x-post")
    assert refusal in text
    markdown = plan(db_path, str(repo), "--format", "markdown").output
    assert f"| rename | `summer-x -> summer-x-post` | {ids['datapoint:summer-x']} | 2 |" in markdown
    refused = run_local(db_path, "apply", str(repo), "--auto-approve")
    assert refused.exit_code == 1 and refusal in refused.output
    assert run_local(db_path, "apply", str(repo), "--auto-approve", "--allow-active", "summer-x").exit_code == 0


def test_allow_active_with_names_allows_only_those_links(db_path: Path, api_key: str, repo: Path) -> None:
    (repo / "one.yaml").write_text("datapoints:\n  - {name: one, url: https://shop.example.com/1}\n"
                                   "  - {name: two, url: https://shop.example.com/2}\n")
    converge(db_path, api_key, repo)
    for name in ("one", "two"):
        record_clicks(db_path, f"/go.clickmeter.test/{name}", 1)
    (repo / "one.yaml").write_text("datapoints:\n  - {name: one, url: https://shop.example.com/1b}\n"
                                   "  - {name: two, url: https://shop.example.com/2b}\n")
    refused = run_local(db_path, "apply", str(repo), "--auto-approve", "--allow-active", "one")
    assert refused.exit_code == 1
    error = refused.output.splitlines()[-1]
    assert error.startswith("error: apply refused: datapoint two (id ") and "datapoint one" not in error
    assert error.endswith("had 1 click in the last 30 days and would be re-pointed; use --allow-active two")
    allowed = run_local(db_path, "apply", str(repo), "--auto-approve", "--allow-active", "one",
                        "--allow-active", "two")
    assert allowed.exit_code == 0, allowed.output


def test_absent_true_deletes_a_datapoint_outside_any_pruned_group(db_path: Path, api_key: str,
                                                                   repo: Path) -> None:
    (repo / "loose.yaml").write_text("datapoints:\n  - {name: old-promo, url: https://shop.example.com/o}\n"
                                     "  - {name: keep-a, url: https://shop.example.com/a}\n"
                                     "  - {name: keep-b, url: https://shop.example.com/b}\n")
    ids = converge(db_path, api_key, repo)
    record_clicks(db_path, "/go.clickmeter.test/old-promo", 1)
    (repo / "loose.yaml").write_text("datapoints:\n  - {name: old-promo, absent: true}\n")
    text = plan(db_path, str(repo)).output
    assert f" - link old-promo (id {ids['datapoint:old-promo']})  [{repo}/loose.yaml:2:5]" in text
    assert "2 undeclared datapoints left alone (ungrouped: 2): keep-a, keep-b." in text
    assert "      why: declared absent: true" in text.splitlines()
    document = json.loads(plan(db_path, str(repo), "--format", "json").output)
    assert document["left_alone_names"] == ["keep-a", "keep-b"]
    assert [(c["action"], c["name"]) for c in document["changes"]] == [("delete", "old-promo")]
    refused = run_local(db_path, "apply", str(repo), "--auto-approve")
    assert refused.exit_code == 1 and "would be deleted; use --allow-active old-promo" in refused.output
    assert run_local(db_path, "apply", str(repo), "--auto-approve", "--allow-active").exit_code == 0
    assert "No changes." in plan(db_path, str(repo)).output


def test_absent_true_takes_only_name_type_and_id(repo: Path) -> None:
    (repo / "loose.yaml").write_text("datapoints:\n  - {name: old-promo, absent: true, url: https://x.example.com/}\n")
    result = CliRunner().invoke(cli, ["validate", str(repo)])
    assert result.exit_code == 1
    assert "'url' on a datapoint marked absent: true; it takes only name, type and id" in result.output


def test_only_prune_groups_lose_undeclared_datapoints(db_path: Path, api_key: str, repo: Path) -> None:
    ids = converge(db_path, api_key, repo)

    async def add_strays(client):
        live = await read_live_state(client)
        autumn = next(g.id for g in live.groups.values() if g.name == "autumn")
        for name, group in (("stray-spring", ids["group:spring"]), ("stray-autumn", autumn), ("loose", None)):
            await client.create_datapoint({"type": 0, "name": name, "groupId": group,
                                           "typeTL": {"url": "https://shop.example.com/x"}})
    in_account(db_path, api_key, add_strays)
    result = plan(db_path, str(repo))
    assert [line for line in changes_section(result.output) if not line.startswith("      ")] == [
        f" - link stray-spring (id {max(ids.values()) + 1})"]
    assert "2 undeclared datapoints left alone (ungrouped: 1, autumn: 1): loose, stray-autumn." in result.output
    assert "      why: not declared, in group spring (prune: true)" in result.output.splitlines()


def test_secrets_never_appear_in_any_format_or_the_saved_plan(db_path: Path, api_key: str, repo: Path,
                                                              tmp_path: Path) -> None:
    saved = tmp_path / "plan.json"
    outputs = [plan(db_path, str(repo), "--format", fmt, "--out", str(saved)).output
               for fmt in ("text", "json", "markdown")]
    outputs.append(saved.read_text())
    for output in outputs:
        assert PASSWORD not in output
    assert '"$secret": "SALE_PASSWORD"' in outputs[-1]


def test_the_same_inputs_give_byte_identical_json(db_path: Path, api_key: str, repo: Path) -> None:
    converge(db_path, api_key, repo)
    (repo / "campaign.yaml").write_text(CAMPAIGN.replace("title: Sale", "title: Sale!"))
    first, second = (plan(db_path, str(repo), "--format", "json").output for _ in range(2))
    assert first == second and json.loads(first)["summary"]["update"] == 1


def test_a_reference_to_nothing_names_the_manifest_line(db_path: Path, api_key: str, repo: Path) -> None:
    (repo / "campaign.yaml").write_text(CAMPAIGN.replace("conversions: [signup]", "conversions: [nowhere]"))
    result = run_local(db_path, "plan", str(repo))
    assert result.exit_code == 1
    assert re.fullmatch(rf"error: {re.escape(str(repo))}/campaign\.yaml:18:18: datapoint sale: conversions: "
                        r"conversion 'nowhere' is neither declared nor live\n", result.output)


def test_a_mistyped_reference_suggests_the_close_name(db_path: Path, api_key: str, repo: Path) -> None:
    (repo / "campaign.yaml").write_text(CAMPAIGN.replace("conversions: [signup]", "conversions: [signpu]"))
    result = run_local(db_path, "plan", str(repo))
    assert result.exit_code == 1
    assert result.output.endswith("conversion 'signpu' is neither declared nor live (did you mean 'signup'?)\n")


def test_every_unresolved_reference_is_reported_at_once_one_line_each(db_path: Path, api_key: str,
                                                                      repo: Path) -> None:
    broken = CAMPAIGN.replace("conversions: [signup]", "conversions: [signpu]").replace(
        "  - name: beacon\n    type: pixel\n    group: spring", "  - name: beacon\n    type: pixel\n    group: sprnig")
    (repo / "campaign.yaml").write_text(broken)
    result = run_local(db_path, "plan", str(repo))
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[0] == "error: 2 references cannot be resolved:"
    assert lines[1].endswith("datapoint beacon: group: group 'sprnig' is neither declared nor live "
                             "(did you mean 'spring'?)")
    assert lines[2].endswith("datapoint sale: conversions: conversion 'signpu' is neither declared nor live "
                             "(did you mean 'signup'?)")
    assert len(lines) == 3


def test_thresholds_are_shown_as_refusals(db_path: Path, api_key: str, repo: Path) -> None:
    links = "".join(f"  - name: item-{i}\n    url: https://shop.example.com/{i}\n    group: spring\n"
                    for i in range(10))
    (repo / "items.yaml").write_text("settings:\n  max_delete_percent: 25\ndatapoints:\n" + links)
    converge(db_path, api_key, repo)
    (repo / "items.yaml").write_text("settings:\n  max_delete_percent: 25\ndatapoints:\n"
                                     + links.split("  - name: item-6")[0])
    result = plan(db_path, str(repo), "--format", "json")
    safety = json.loads(result.output)["safety"]
    assert (safety["managed"], safety["deletes"]) == (12, 4)
    assert safety["refusals"] == [
        "the plan would delete 4 of 12 managed datapoints (33% > max_delete_percent 25%); "
        "use --force max_delete_percent"]


def test_clicked_links_deleted_or_repointed_show_their_clicks(db_path: Path, api_key: str, repo: Path) -> None:
    (repo / "stray.yaml").write_text("datapoints:\n  - name: stray\n    url: https://shop.example.com/s\n"
                                     "    group: spring\n")
    ids = converge(db_path, api_key, repo)
    record_clicks(db_path, f"/go.clickmeter.test/sale?password={PASSWORD}", 3)
    record_clicks(db_path, "/go.clickmeter.test/stray", 2)
    (repo / "stray.yaml").unlink()
    (repo / "campaign.yaml").write_text(CAMPAIGN.replace("shop.example.com/sale", "shop.example.com/new"))
    result = plan(db_path, str(repo))
    assert "      ! 3 clicks in the last 30 days, re-pointed" in result.output
    assert "      ! 2 clicks in the last 30 days, deleted" in result.output
    assert (f"  - datapoint sale (id {ids['datapoint:sale']}) had 3 clicks in the last 30 days and would be "
            "re-pointed; use --allow-active") in result.output
    markdown = plan(db_path, str(repo), "--format", "markdown").output
    assert f"| delete | `stray` | {ids['datapoint:stray']} | 2 |" in markdown


def test_a_live_name_on_two_datapoints_is_an_error_naming_both_ids(db_path: Path, api_key: str,
                                                                  repo: Path) -> None:
    async def twins(client):
        domain = (await client.create_domain({"name": "go.example.test"}))["id"]
        made = [await client.create_datapoint({"type": 0, "name": "sale", "typeTL": {
            "url": "https://shop.example.com/sale", **({"domainId": domain} if second else {})}})
            for second in (False, True)]
        return [m["id"] for m in made]
    first, second = in_account(db_path, api_key, twins)
    result = run_local(db_path, "plan", str(repo))
    assert result.exit_code == 1
    assert result.output == (f"error: live link name 'sale' matches more than one datapoint "
                             f"(ids {first} and {second}); pin one with `id:`\n")


def test_json_output_follows_the_plan_schema(db_path: Path, api_key: str, repo: Path) -> None:
    schema = json.loads((Path(__file__).parents[2] / "schemas" / "plan.schema.json").read_text())
    document = json.loads(plan(db_path, str(repo), "--format", "json").output)
    jsonschema.validate(document, schema)
    assert document["target"] == f"target: local ({db_path})"


def test_out_full_writes_the_whole_markdown_plan(db_path: Path, api_key: str, repo: Path, tmp_path: Path) -> None:
    full = tmp_path / "plan-full.md"
    result = plan(db_path, str(repo), "--format", "markdown", "--out-full", str(full))
    assert result.exit_code == 0 and full.read_text() == result.output  # small: nothing cut
    failed = plan(db_path, str(repo), "--format", "markdown", "--out-full", str(tmp_path / "no" / "x.md"))
    assert failed.exit_code == 1 and failed.output.startswith(f"error: --out-full {tmp_path}/no/x.md: ")


def test_an_unwritable_out_file_is_one_line(db_path: Path, api_key: str, repo: Path, tmp_path: Path) -> None:
    target = tmp_path / "missing-dir" / "plan.json"
    result = run_local(db_path, "plan", str(repo), "--out", str(target))
    assert result.exit_code == 1
    assert result.output == f"error: --out {target}: cannot write the plan (No such file or directory)\n"


def test_plan_over_http_against_a_served_account(db_path: Path, api_key: str, repo: Path, live_server: str,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    converge(db_path, api_key, repo)
    monkeypatch.setenv("CLICKMETER_API_KEY", api_key)
    result = CliRunner().invoke(cli, ["--target", live_server, "plan", str(repo), "--detailed-exitcode"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0] == f"target: {live_server}"
    assert api_key not in result.output


def run_on_a_terminal(db_path: Path, repo: Path, environ: dict[str, str]) -> str:
    """`plan` as a process whose stdout is a pseudo-terminal; what it printed."""
    controller, terminal = pty.openpty()
    done = subprocess.run([sys.executable, "-m", "reconciler", "--local-db", str(db_path), "plan", str(repo)],
                          stdout=terminal, stderr=subprocess.PIPE, env=environ, cwd=Path(__file__).parents[2],
                          timeout=60)
    os.close(terminal)
    chunks = []
    while True:
        try:
            chunk = os.read(controller, 65536)
        except OSError:  # the terminal side is closed and drained
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(controller)
    assert done.returncode == 0, done.stderr
    return b"".join(chunks).decode()


def test_colour_on_a_terminal_unless_no_color(db_path: Path, api_key: str, repo: Path) -> None:
    environ = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    assert "\x1b[" in run_on_a_terminal(db_path, repo, environ)
    assert "\x1b[" not in run_on_a_terminal(db_path, repo, environ | {"NO_COLOR": "1"})
    assert "\x1b[" not in plan(db_path, str(repo)).output


def test_protect_active_days_zero_reads_no_clicks_and_refuses_nothing(db_path: Path, api_key: str,
                                                                      repo: Path) -> None:
    (repo / "settings.yaml").write_text("settings:\n  protect_active_days: 0\n")
    converge(db_path, api_key, repo)
    record_clicks(db_path, f"/go.clickmeter.test/sale?password={PASSWORD}", 2)
    (repo / "campaign.yaml").write_text(CAMPAIGN.replace("shop.example.com/sale", "shop.example.com/new"))
    document = json.loads(plan(db_path, str(repo), "--format", "json").output)
    assert [c["recent_clicks"] for c in document["changes"]] == [None]
    assert document["safety"]["refusals"] == []


@pytest.mark.parametrize("mistake", [["missing-dir/"], ["--format", "xml"], ["--no-such-option"]])
def test_a_usage_error_never_exits_2_the_code_for_changes(db_path: Path, api_key: str, repo: Path,
                                                          mistake: list[str]) -> None:
    args = [str(repo), *mistake] if mistake[0].startswith("--") else mistake
    result = plan(db_path, *args, "--detailed-exitcode")
    assert result.exit_code == 1, result.output
    assert result.output.splitlines()[-1].startswith("Error: ")
    assert plan(db_path, str(repo), "--detailed-exitcode").exit_code == 2  # the account really has changes


def test_a_global_option_error_exits_1(tmp_path: Path, repo: Path) -> None:
    result = plan(tmp_path, str(repo), "--detailed-exitcode")  # --local-db names a directory
    assert result.exit_code == 1
    assert "Invalid value for '--local-db'" in result.output


def test_the_summary_line_counts_one_call_and_one_retag_in_the_singular(db_path: Path, api_key: str,
                                                                        repo: Path) -> None:
    converge(db_path, api_key, repo)
    (repo / "campaign.yaml").write_text(CAMPAIGN.replace("tags: [news]\n", "tags: [news, spring]\n"))
    result = plan(db_path, str(repo), "--detailed-exitcode")
    assert result.exit_code == 2, result.output
    assert result.output.splitlines()[-1] == ("Plan: 0 to create, 0 to update, 0 to delete, 1 link to re-tag; "
                                              "1 API call (~1 s at 10 req/s).")
