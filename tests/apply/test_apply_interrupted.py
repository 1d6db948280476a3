"""An apply killed mid-run (SIGTERM or Ctrl-C) stops after the call in flight; the next plan shows
exactly the remainder, and running apply again converges.

The apply runs as a real process against a real server over loopback, slowed
down by the server's added latency so that the signal lands mid-run.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.apply.helpers import duplicates, live_datapoints, rows, serving
from tests.helpers import run_local

pytestmark = [pytest.mark.default_service_only, pytest.mark.slow]

LINKS = 40
REPO_ROOT = Path(__file__).resolve().parents[2]


def manifest(tagged: bool) -> str:
    tags = "    tags: [news]\n" if tagged else ""
    return "settings:\n  max_update_percent: 100\ndatapoints:\n" + "".join(f"  - name: link-{n:02}\n    url: https://shop.example.com/{n}\n{tags}"
                                     for n in range(LINKS))


@pytest.fixture
def slow_server(db_path: Path, api_key: str) -> Iterator[str]:
    """The server on `db_path` over loopback, every answer 40 ms late."""
    with serving(db_path, latency_ms=40) as url:
        yield url


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_killed_apply_stops_cleanly_and_a_rerun_converges(slow_server: str, db_path: Path, api_key: str,
                                                          tmp_path: Path, stop_signal: int) -> None:
    manifests = tmp_path / "manifests"
    manifests.mkdir()
    (manifests / "links.yaml").write_text(manifest(tagged=False))
    assert run_local(db_path, "apply", str(manifests), "--auto-approve").exit_code == 0
    before = live_datapoints(db_path)
    (manifests / "links.yaml").write_text(manifest(tagged=True))  # 1 tag create + one patch per link
    log = tmp_path / "apply.jsonl"
    process = subprocess.Popen(
        [sys.executable, "-m", "reconciler", "--target", slow_server, "--concurrency", "1", "apply",
         str(manifests), "--auto-approve", "--log", str(log)],
        cwd=REPO_ROOT, env={**os.environ, "CLICKMETER_API_KEY": api_key},
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 30
    while (not log.exists() or len(log.read_text().splitlines()) < 5) and process.poll() is None \
            and time.monotonic() < deadline:
        time.sleep(0.02)
    process.send_signal(stop_signal)
    stdout, stderr = process.communicate(timeout=30)
    assert process.returncode == 1, stderr
    assert "Interrupted: calls in flight were finished; nothing else was started." in stdout
    assert "Not verified (interrupted): run plan to see exactly what remains." in stdout
    logged = len(log.read_text().splitlines())
    assert f"Apply: {logged} done, 0 failed, 0 skipped, {LINKS + 1 - logged} not started." in stdout

    untagged = {row["name"] for row in rows(db_path, "SELECT name FROM datapoints WHERE id NOT IN "
                                                     "(SELECT datapoint_id FROM datapoint_tags)")}
    remainder = json.loads(run_local(db_path, "plan", str(manifests), "--format", "json").output)
    assert 0 < len(untagged) < LINKS
    assert {c["name"] for c in remainder["changes"]} == untagged
    assert {c["action"] for c in remainder["changes"]} == {"update"}

    rerun = run_local(db_path, "apply", str(manifests), "--auto-approve")
    assert rerun.exit_code == 0 and rerun.output.rstrip().endswith("converged")
    assert live_datapoints(db_path) == before and duplicates(db_path) == []
    assert rows(db_path, "SELECT COUNT(*) AS n FROM datapoint_tags")[0]["n"] == LINKS
