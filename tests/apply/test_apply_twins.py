"""`apply` of a saved plan for pinned twins: only the drifted one is written, and it converges."""

from __future__ import annotations

from pathlib import Path

from tests.apply.helpers import rows
from tests.helpers import run_local
from tests.planner.helpers import drift_one_twin, seed_twin_links


def twin_rows(db_path: Path) -> list[tuple[int, str, str, str]]:
    """(id, name, notes, tag names) of each live datapoint, as the server stores them."""
    return [(row["id"], row["name"], row["notes"], row["tags"] or "") for row in rows(db_path, (
        "SELECT d.id, d.name, d.notes, group_concat(t.name) AS tags FROM datapoints d "
        "LEFT JOIN datapoint_tags dt ON dt.datapoint_id = d.id LEFT JOIN tags t ON t.id = dt.tag_id "
        "WHERE d.status != 'Deleted' GROUP BY d.id ORDER BY d.id"))]


def test_a_saved_plan_for_one_drifted_twin_converges(db_path: Path, api_key: str, tmp_path: Path) -> None:
    manifests, saved = tmp_path / "manifests", tmp_path / "plan.json"
    first, second = seed_twin_links(db_path, api_key, manifests)
    drift_one_twin(db_path, api_key, second)
    assert twin_rows(db_path) == [(first, "sale", "first", "news"), (second, "sale", "edited", "")]
    assert run_local(db_path, "plan", str(manifests), "--out", str(saved)).exit_code == 0

    applied = run_local(db_path, "apply", "--plan", str(saved))
    assert applied.exit_code == 0, applied.output
    assert "Apply: 2 done, 0 failed, 0 skipped, 0 not started." in applied.output
    assert applied.output.rstrip().endswith("converged")
    assert twin_rows(db_path) == [(first, "sale", "first", "news"), (second, "sale", "second", "news")]
    assert run_local(db_path, "plan", str(manifests), "--detailed-exitcode").exit_code == 0

    again = run_local(db_path, "apply", "--plan", str(saved))
    assert again.exit_code == 0, again.output
    assert "Apply: 2 done (2 already as planned), 0 failed" in again.output
