"""`show`: one line per declared datapoint with its short URL or pixel snippet, status and clicks."""

from __future__ import annotations

import json
from pathlib import Path

from tests.helpers import run_local
from tests.planner.helpers import record_clicks

MANIFEST = """\
datapoints:
  - {name: sale, url: https://shop.example.com/sale}
  - {name: beacon, type: pixel}
"""


def test_show_lists_each_declared_datapoint_with_its_address_status_and_clicks(tmp_path: Path) -> None:
    db_path, repo = tmp_path / "local.db", tmp_path / "manifests"
    repo.mkdir()
    (repo / "campaign.yaml").write_text(MANIFEST)
    assert run_local(db_path, "apply", str(repo), "--auto-approve").exit_code == 0
    record_clicks(db_path, "/go.clickmeter.test/sale", 2)
    (repo / "campaign.yaml").write_text(MANIFEST + "  - {name: later, url: https://shop.example.com/later}\n")
    text = run_local(db_path, "show", str(repo))
    assert text.exit_code == 0, text.output
    lines = text.output.splitlines()
    assert lines[3].split() == ["later", "link", "not", "created", "-"]
    assert lines[4].split() == ["sale", "link", "active", "2", "http://go.clickmeter.test/sale"]
    document = json.loads(run_local(db_path, "show", str(repo), "--format", "json").output)
    beacon = next(row for row in document["datapoints"] if row["name"] == "beacon")
    assert beacon["address"] == f'<img src="http://127.0.0.1:8765/pixel/{beacon["id"]}" width="1" height="1" alt="">'
    assert [row["name"] for row in document["datapoints"]] == ["beacon", "later", "sale"]
    assert beacon["status"] == "active" and document["days"] == 30
