"""`apply` from the command line on the local target: confirmation, saved plans, staleness, logs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.apply.helpers import live_datapoints, rows
from tests.helpers import run_local

PASSWORD = "pass-word-5678"
CAMPAIGN = """\
settings:
  max_delete_percent: 30
groups:
  - name: spring
    notes: Spring campaign
    prune: true
conversions:
  - name: signup
    value: 12.5
datapoints:
  - name: sale
    url: https://shop.example.com/sale
    group: spring
    tags: [news]
    conversions: [signup]
    password: {env: SALE_PASSWORD}
  - name: beacon
    type: pixel
    group: spring
"""


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SALE_PASSWORD", PASSWORD)
    manifests = tmp_path / "manifests"
    manifests.mkdir()
    (manifests / "campaign.yaml").write_text(CAMPAIGN)
    return manifests


def test_apply_needs_a_confirmation_without_a_terminal(repo: Path, db_path: Path) -> None:
    result = run_local(db_path, "apply", str(repo))
    assert result.exit_code == 1
    assert "error: apply needs a confirmation: run it on a terminal, or pass --auto-approve" in result.output
    assert live_datapoints(db_path) == {}


def test_auto_approved_apply_converges_and_logs_every_call_without_secrets(repo: Path, db_path: Path,
                                                                          tmp_path: Path) -> None:
    log = tmp_path / "apply.jsonl"
    result = run_local(db_path, "apply", str(repo), "--auto-approve", "--log", str(log))
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"target: local ({db_path})")
    assert result.output.rstrip().endswith("converged")
    assert "Apply: 4 done, 0 failed, 0 skipped, 0 not started." in result.output
    assert ("(the plan counted 5 objects, apply 4 items of its API calls: 1 new tag is created by the "
            "datapoints that name it (news))") in result.output.splitlines()
    assert sorted(live_datapoints(db_path).values()) == [("TrackingLink", "sale"), ("TrackingPixel", "beacon")]
    entries = [json.loads(line) for line in log.read_text().splitlines()]
    assert [(e["operation"], e["items"], e["status"]) for e in entries] == [
        ("POST /groups", 1, "done"), ("POST /conversions", 1, "done"), ("PUT /datapoints/batch", 2, "done")]
    assert all(isinstance(e["duration_ms"], float) for e in entries)
    assert PASSWORD not in log.read_text() + result.output
    again = run_local(db_path, "apply", str(repo), "--auto-approve")
    assert again.exit_code == 0 and "Nothing to apply." in again.output


def test_apply_prints_where_each_created_or_renamed_datapoint_is_reached(repo: Path, db_path: Path) -> None:
    assert run_local(db_path, "apply", str(repo), "--auto-approve").exit_code == 0
    again = run_local(db_path, "apply", str(repo), "--auto-approve")  # nothing new: no address
    assert "reached at" not in again.output
    (repo / "campaign.yaml").write_text(CAMPAIGN.replace("name: sale", "name: sale-2027"))
    renamed = run_local(db_path, "apply", str(repo), "--auto-approve", "--allow-active")
    assert renamed.exit_code == 0, renamed.output
    assert "  sale-2027: http://go.clickmeter.test/sale-2027" in renamed.output.splitlines()
    (repo / "campaign.yaml").write_text(CAMPAIGN.replace("name: sale", "name: sale-2027")
                                        .replace("name: beacon", "name: beacon-2"))
    fresh = run_local(db_path, "apply", str(repo), "--auto-approve", "--allow-active")
    pixel = next(i for i, (_, name) in live_datapoints(db_path).items() if name == "beacon-2")
    assert f'  beacon-2: <img src="http://127.0.0.1:8765/pixel/{pixel}" width="1" height="1" alt="">' \
        in fresh.output.splitlines(), fresh.output


def test_paths_and_a_saved_plan_exclude_each_other(repo: Path, db_path: Path, tmp_path: Path) -> None:
    saved = tmp_path / "plan.json"
    run_local(db_path, "plan", str(repo), "--out", str(saved))
    result = run_local(db_path, "apply", str(repo), "--plan", str(saved))
    assert result.exit_code == 1 and "give manifest PATHS or --plan FILE" in result.output


def test_a_saved_plan_applied_twice_creates_nothing_twice(repo: Path, db_path: Path, tmp_path: Path) -> None:
    saved = tmp_path / "plan.json"
    assert run_local(db_path, "plan", str(repo), "--out", str(saved)).exit_code == 0
    first = run_local(db_path, "apply", "--plan", str(saved))
    assert first.exit_code == 0 and first.output.rstrip().endswith("converged"), first.output
    created = live_datapoints(db_path)
    second = run_local(db_path, "apply", "--plan", str(saved))
    assert second.exit_code == 0, second.output
    assert "Apply: 4 done (4 already as planned), 0 failed" in second.output
    assert second.output.rstrip().endswith("converged")
    assert live_datapoints(db_path) == created
    assert len(rows(db_path, "SELECT id FROM groups WHERE name = 'spring'")) == 1
    assert len(rows(db_path, "SELECT id FROM conversions WHERE name = 'signup'")) == 1
    assert PASSWORD not in saved.read_text()


def test_a_stale_saved_plan_is_refused_naming_what_changed(repo: Path, db_path: Path, tmp_path: Path) -> None:
    assert run_local(db_path, "apply", str(repo), "--auto-approve").exit_code == 0
    (repo / "campaign.yaml").write_text(CAMPAIGN.replace("value: 12.5", "value: 20"))
    saved = tmp_path / "plan.json"
    run_local(db_path, "plan", str(repo), "--out", str(saved))
    (repo / "campaign.yaml").write_text(CAMPAIGN.replace("value: 12.5", "value: 30")
                                        .replace("/sale", "/other"))
    assert run_local(db_path, "apply", str(repo), "--auto-approve").exit_code == 0  # someone else's change
    result = run_local(db_path, "apply", "--plan", str(saved))
    assert result.exit_code == 1
    assert "error: the saved plan is stale: conversion signup (id" in result.output
    assert "changed since the plan was made" in result.output
    assert rows(db_path, "SELECT value FROM conversions WHERE name = 'signup'")[0]["value"] == 30


def test_a_saved_plan_for_another_target_is_refused(repo: Path, db_path: Path, tmp_path: Path) -> None:
    saved = tmp_path / "plan.json"
    run_local(db_path, "plan", str(repo), "--out", str(saved))
    other = tmp_path / "other.db"
    result = run_local(other, "apply", "--plan", str(saved))
    assert result.exit_code == 1
    assert f"the plan was made for 'target: local ({db_path})', not 'target: local ({other})'" in result.output
    assert not other.exists()  # refused before the target was even opened


def test_deletes_beyond_the_threshold_need_force(repo: Path, db_path: Path) -> None:
    links = "".join(f"  - name: link-{n}\n    url: https://shop.example.com/{n}\n    group: spring\n"
                    for n in range(10))
    (repo / "links.yaml").write_text("datapoints:\n" + links)
    assert run_local(db_path, "apply", str(repo), "--auto-approve").exit_code == 0
    (repo / "links.yaml").write_text("datapoints:\n" + links.split("  - name: link-5")[0])
    refused = run_local(db_path, "apply", str(repo), "--auto-approve")
    assert refused.exit_code == 1 and "error: apply refused: the plan would delete 5 of 12" in refused.output
    assert len(live_datapoints(db_path)) == 12
    other = run_local(db_path, "apply", str(repo), "--auto-approve", "--force", "max_update_percent")
    assert other.exit_code == 1 and other.output.splitlines()[-1] == (
        "error: apply refused: the plan would delete 5 of 12 managed datapoints (42% > max_delete_percent 30%); "
        "use --force max_delete_percent")
    mistyped = run_local(db_path, "apply", str(repo), "--auto-approve", "--force", "max_delete")
    assert mistyped.exit_code == 1 and "--force max_delete: expected max_delete_percent or max_update_percent" \
        in mistyped.output
    assert len(live_datapoints(db_path)) == 12
    forced = run_local(db_path, "apply", str(repo), "--auto-approve", "--force", "max_delete_percent")
    assert forced.exit_code == 0 and forced.output.rstrip().endswith("converged")
    assert len(live_datapoints(db_path)) == 7


def test_bare_force_goes_beyond_every_threshold(repo: Path, db_path: Path) -> None:
    def links(numbers: range, site: str) -> str:
        return "datapoints:\n" + "".join(f"  - {{name: link-{n}, url: https://{site}/{n}, group: spring}}\n"
                                          for n in numbers)
    (repo / "links.yaml").write_text(links(range(10), "shop.example.com"))
    assert run_local(db_path, "apply", str(repo), "--auto-approve").exit_code == 0
    (repo / "links.yaml").write_text(links(range(5), "shop.example.org"))  # 5 updated, 5 deleted of 12
    refused = run_local(db_path, "apply", str(repo), "--auto-approve", "--force", "max_delete_percent")
    assert refused.exit_code == 1 and refused.output.rstrip().endswith("use --force max_update_percent")
    forced = run_local(db_path, "apply", str(repo), "--auto-approve", "--force")
    assert forced.exit_code == 0 and forced.output.rstrip().endswith("converged"), forced.output


def test_a_saved_plan_of_updates_and_deletes_applied_twice_finds_them_done(repo: Path, db_path: Path,
                                                                           tmp_path: Path) -> None:
    assert run_local(db_path, "apply", str(repo), "--auto-approve").exit_code == 0
    (repo / "campaign.yaml").write_text(
        CAMPAIGN.replace("max_delete_percent: 30", "max_delete_percent: 100\n  max_update_percent: 100")
        .replace("/sale", "/sale-v2").replace("tags: [news]", "tags: [spring]")
        .split("  - name: beacon")[0])
    saved = tmp_path / "plan.json"
    run_local(db_path, "plan", str(repo), "--out", str(saved))
    first = run_local(db_path, "apply", "--plan", str(saved))
    assert first.exit_code == 0 and first.output.rstrip().endswith("converged"), first.output
    second = run_local(db_path, "apply", "--plan", str(saved))
    assert second.exit_code == 0, second.output
    assert "(5 already as planned), 0 failed" in second.output and second.output.rstrip().endswith("converged")
    assert sorted(live_datapoints(db_path).values()) == [("TrackingLink", "sale")]
    assert rows(db_path, "SELECT url FROM datapoints WHERE name = 'sale'")[0]["url"] == "https://shop.example.com/sale-v2"


def test_a_saved_plan_whose_new_name_was_taken_meanwhile_is_refused(repo: Path, db_path: Path,
                                                                    tmp_path: Path) -> None:
    saved = tmp_path / "plan.json"
    run_local(db_path, "plan", str(repo), "--out", str(saved))
    (repo / "campaign.yaml").write_text(CAMPAIGN.replace("/sale", "/elsewhere"))
    assert run_local(db_path, "apply", str(repo), "--auto-approve").exit_code == 0  # someone else made "sale"
    result = run_local(db_path, "apply", "--plan", str(saved))
    assert result.exit_code == 1
    assert "error: the saved plan is stale: datapoint sale now exists (id" in result.output
    assert rows(db_path, "SELECT url FROM datapoints WHERE name = 'sale'")[0]["url"] == \
        "https://shop.example.com/elsewhere"


@pytest.mark.parametrize("edit", ["drop the name", "unknown call"])
def test_a_hand_edited_saved_plan_is_refused_in_one_line(repo: Path, db_path: Path, tmp_path: Path,
                                                         edit: str) -> None:
    saved = tmp_path / "plan.json"
    run_local(db_path, "plan", str(repo), "--out", str(saved))
    document = json.loads(saved.read_text())
    if edit == "drop the name":
        del document["operations"][-1]["body"]["list"][0]["name"]
        expected = "error: operation 3 (PUT /datapoints/batch) is malformed: KeyError: 'name'"
    else:
        document["operations"][0]["path"] = "/datapoints/{id}/favourite"
        expected = "error: the plan holds a call apply does not know: POST /datapoints/{id}/favourite"
    saved.write_text(json.dumps(document))
    result = run_local(db_path, "apply", "--plan", str(saved))
    assert result.exit_code == 1 and result.output.splitlines()[-1] == expected
    assert live_datapoints(db_path) == {}


def test_a_saved_plan_whose_password_variable_is_unset_is_refused_before_any_write(
        repo: Path, db_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    saved = tmp_path / "plan.json"
    assert run_local(db_path, "plan", str(repo), "--out", str(saved)).exit_code == 0
    monkeypatch.delenv("SALE_PASSWORD")
    result = run_local(db_path, "apply", "--plan", str(saved))
    assert result.exit_code == 1
    assert result.output.splitlines()[-1] == (
        "error: environment variable SALE_PASSWORD is not set (or empty); export it with the password of "
        "datapoint:sale; nothing was applied")
    assert live_datapoints(db_path) == {}
    assert rows(db_path, "SELECT id FROM groups") == [] and rows(db_path, "SELECT id FROM conversions") == []
    monkeypatch.setenv("SALE_PASSWORD", PASSWORD)
    applied = run_local(db_path, "apply", "--plan", str(saved))
    assert applied.exit_code == 0 and applied.output.rstrip().endswith("converged"), applied.output


def test_a_saved_plan_refuses_another_password_than_the_planned_one_before_any_write(
        repo: Path, db_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    saved = tmp_path / "plan.json"
    assert run_local(db_path, "plan", str(repo), "--out", str(saved)).exit_code == 0
    text = saved.read_text()
    assert PASSWORD not in text and list(json.loads(text)["password_fingerprints"]) == ["SALE_PASSWORD"]
    monkeypatch.setenv("SALE_PASSWORD", "another-pass-9")
    result = run_local(db_path, "apply", "--plan", str(saved))
    assert result.exit_code == 1 and "another-pass-9" not in result.output
    assert result.output.splitlines()[-1] == (
        "error: environment variable SALE_PASSWORD holds another password than when the plan was made; "
        "plan again or export the planned one; nothing was applied")
    assert live_datapoints(db_path) == {}
    monkeypatch.setenv("SALE_PASSWORD", PASSWORD)
    assert run_local(db_path, "apply", "--plan", str(saved)).exit_code == 0


def test_a_saved_plan_without_password_fingerprints_still_applies(
        repo: Path, db_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    saved = tmp_path / "plan.json"
    assert run_local(db_path, "plan", str(repo), "--out", str(saved)).exit_code == 0
    document = json.loads(saved.read_text())
    del document["password_fingerprints"]  # as an older saved plan: no check
    saved.write_text(json.dumps(document))
    monkeypatch.setenv("SALE_PASSWORD", "another-pass-9")
    assert run_local(db_path, "apply", "--plan", str(saved)).exit_code == 0


def test_a_saved_plan_names_its_local_database_by_absolute_path(repo: Path, tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    here, elsewhere = tmp_path / "here", tmp_path / "elsewhere"
    here.mkdir()
    elsewhere.mkdir()
    saved = tmp_path / "plan.json"
    monkeypatch.chdir(here)
    relative = Path(".clickmeter/local.db")
    assert run_local(relative, "plan", str(repo), "--out", str(saved)).exit_code == 0
    monkeypatch.chdir(elsewhere)  # the same relative path is another account here
    refused = run_local(relative, "apply", "--plan", str(saved))
    assert refused.exit_code == 1
    assert (f"the plan was made for 'target: local ({here / relative})', "
            f"not 'target: local ({elsewhere / relative})'") in refused.output
    assert not (elsewhere / relative).exists()
    monkeypatch.chdir(here)
    applied = run_local(Path("./.clickmeter/../.clickmeter/local.db"), "apply", "--plan", str(saved))
    assert applied.exit_code == 0 and applied.output.rstrip().endswith("converged"), applied.output
    assert sorted(live_datapoints(here / relative).values()) == [("TrackingLink", "sale"), ("TrackingPixel", "beacon")]
