"""`plan` of pinned twins (two live links named alike) against the real local server."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import Result

from tests.helpers import run_local
from tests.planner.helpers import drift_one_twin, seed_twin_links


def plan_json(db_path: Path, manifests: Path, *args: str) -> Result:
    return run_local(db_path, "plan", str(manifests), "--format", "json", *args)


def test_pinned_twins_in_step_with_the_account_plan_no_changes(db_path: Path, api_key: str, tmp_path: Path) -> None:
    seed_twin_links(db_path, api_key, tmp_path / "manifests")
    result = plan_json(db_path, tmp_path / "manifests", "--detailed-exitcode")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["unchanged"]["datapoint"] == 2


def test_one_drifted_twin_is_the_one_change_by_id(db_path: Path, api_key: str, tmp_path: Path) -> None:
    first, second = seed_twin_links(db_path, api_key, tmp_path / "manifests")
    drift_one_twin(db_path, api_key, second)

    result = plan_json(db_path, tmp_path / "manifests", "--detailed-exitcode")
    assert result.exit_code == 2, result.output
    document = json.loads(result.output)
    manifest = tmp_path / "manifests" / "twins.yaml"
    assert [(c["action"], c["name"], c["id"], c["location"]) for c in document["changes"]] == [
        ("update", "sale", second, f"{manifest}:7:5")]
    assert [(d["field"], d["before"], d["after"]) for d in document["changes"][0]["diffs"]] == [
        ("notes", "edited", "second"), ("tags", [], ["news"])]
    item = f"datapoint:sale#{second}"
    assert [(op["method"], op["path"], op["items"], op["creates"]) for op in document["operations"]] == [
        ("POST", "/datapoints/batch", [item], []), ("PUT", "/tags/{tagId}/datapoints/patch", [item], [])]
    assert document["operations"][0]["body"] == {"list": [{"id": second, "type": 0, "notes": "second"}]}
    assert document["operations"][1]["body"] == {"action": "add", "id": second}
    assert {f["id"] for f in document["fingerprints"] if f["kind"] == "datapoint"} == {second}
    assert first not in {c["id"] for c in document["changes"]}


def test_a_pin_that_is_not_live_names_the_manifest_line(db_path: Path, api_key: str, tmp_path: Path) -> None:
    _, second = seed_twin_links(db_path, api_key, tmp_path / "manifests")
    manifest = tmp_path / "manifests" / "twins.yaml"
    manifest.write_text(manifest.read_text().replace(f"id: {second}", "id: 999"))
    result = plan_json(db_path, tmp_path / "manifests")
    assert result.exit_code == 1
    assert result.output == f"error: {manifest}:8:9: datapoint sale: id 999 is not a live link\n"
