"""`stats` over pinned twins (two declared links of one name): each is its own row and key."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import Result

from tests.helpers import run_local
from tests.planner.helpers import seed_twin_links


def stats(db_path: Path, manifests: Path, *args: str) -> Result:
    return run_local(db_path, "stats", str(manifests), *args)


def test_each_twin_is_a_row_of_its_own_id(db_path: Path, api_key: str, tmp_path: Path) -> None:
    first, second = seed_twin_links(db_path, api_key, tmp_path / "manifests")
    result = stats(db_path, tmp_path / "manifests", "--format", "json", "--sort", "name")
    assert result.exit_code == 0, result.output
    assert sorted((row["name"], row["id"]) for row in json.loads(result.stdout)["rows"]) == [
        ("sale", first), ("sale", second)]


def test_hits_name_a_twin_by_its_key_and_refuse_the_bare_name(db_path: Path, api_key: str, tmp_path: Path) -> None:
    first, second = seed_twin_links(db_path, api_key, tmp_path / "manifests")
    chosen = stats(db_path, tmp_path / "manifests", "--hits", f"sale#{second}", "--format", "json")
    assert chosen.exit_code == 0, chosen.output
    assert (json.loads(chosen.stdout)["datapoint"], json.loads(chosen.stdout)["id"]) == ("sale", second)

    ambiguous = stats(db_path, tmp_path / "manifests", "--hits", "sale")
    assert ambiguous.exit_code == 1
    assert ambiguous.output == (f"error: --hits 'sale': 2 declared datapoints have that name; "
                                f"name one by its key: sale#{first}, sale#{second}\n")
