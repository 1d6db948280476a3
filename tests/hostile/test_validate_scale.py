"""Many problems: every one is found, at most MAX_SHOWN_PROBLEMS are printed (issue 15, item 3).

How long validation takes as input grows is measured by bench/validate_bench.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.manifests import ManifestError, load_manifests
from reconciler.manifests.problems import MAX_SHOWN_PROBLEMS
from tests.helpers import run_local


def _broken(count: int) -> str:
    return "datapoints:\n" + "".join(f"  - name: dp-{i}\n    url: 5\n    colour: red\n" for i in range(count))


def test_validate_prints_the_first_problems_then_counts_the_rest(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    path.write_text(_broken(150))  # two problems each
    result = run_local(tmp_path / "local.db", "validate", str(path))
    lines = result.output.splitlines()
    assert result.exit_code == 1
    assert len(lines) == MAX_SHOWN_PROBLEMS + 2
    assert lines[0].startswith(f"{path}:3:10: datapoints[0].url: ")
    assert lines[-2:] == [f"... and {300 - MAX_SHOWN_PROBLEMS} more", "invalid: 300 problems"]


def test_plan_caps_the_problems_too(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    path.write_text(_broken(150))
    result = run_local(tmp_path / "local.db", "plan", str(path))
    assert result.exit_code == 1
    assert result.output.splitlines()[-1] == f"... and {300 - MAX_SHOWN_PROBLEMS} more"


def test_broken_items_keep_their_names_for_the_duplicate_check(tmp_path: Path) -> None:
    """The set of broken paths still lets a broken item's name be checked against the others."""
    path = tmp_path / "a.yaml"
    path.write_text("datapoints:\n  - name: twin\n    url: 5\n  - name: twin\n    url: https://x.example/\n")
    with pytest.raises(ManifestError) as raised:
        load_manifests([str(path)])
    assert [problem.field for problem in raised.value.problems] == ["datapoints[0].url", "datapoints[1].name"]


def test_every_repeated_list_item_is_named_once(tmp_path: Path) -> None:
    path = tmp_path / "a.yaml"
    path.write_text("datapoints:\n  - name: a\n    url: https://x.example/\n"
                    "    tags: [x, y, x, x, y, z]\n")
    with pytest.raises(ManifestError) as raised:
        load_manifests([str(path)])
    assert [problem.field for problem in raised.value.problems] == [
        "datapoints[0].tags[2]", "datapoints[0].tags[3]", "datapoints[0].tags[4]"]
