"""On a terminal, apply asks before writing and shows a progress bar (a real pseudo-terminal)."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.apply.helpers import live_datapoints

REPO_ROOT = Path(__file__).resolve().parents[2]
MANIFEST = "datapoints:\n  - name: sale\n    url: https://shop.example.com/sale\n"


def read_until(fd: int, wanted: str, seconds: float = 30) -> str:
    """What the terminal shows, until `wanted` appears (or the process closes it)."""
    seen, deadline = "", time.monotonic() + seconds
    while wanted not in seen and time.monotonic() < deadline:
        if select.select([fd], [], [], 0.1)[0]:
            try:
                chunk = os.read(fd, 4096)
            except OSError:  # the other side closed
                break
            if not chunk:
                break
            seen += chunk.decode(errors="replace")
    return seen


@pytest.mark.parametrize("answer", ["yes", "no"])
def test_apply_on_a_terminal_asks_and_writes_only_after_yes(tmp_path: Path, db_path: Path, answer: str) -> None:
    (tmp_path / "links.yaml").write_text(MANIFEST)
    controller, terminal = pty.openpty()
    process = subprocess.Popen([sys.executable, "-m", "reconciler", "--local-db", str(db_path), "apply",
                                str(tmp_path / "links.yaml")],
                               cwd=REPO_ROOT, stdin=terminal, stdout=terminal, stderr=terminal,
                               env={**os.environ, "NO_COLOR": "1"})
    os.close(terminal)
    try:
        shown = read_until(controller, "Only 'yes' is accepted")
        assert "+ link sale" in shown and live_datapoints(db_path) == {}
        os.write(controller, f"{answer}\n".encode())
        shown = read_until(controller, "converged" if answer == "yes" else "apply cancelled")
        process.wait(timeout=30)
    finally:
        os.close(controller)
    if answer == "yes":
        assert process.returncode == 0
        assert "\r[########################] 1/1 items, 1/1 calls" in shown  # the bar, redrawn in place
        assert list(live_datapoints(db_path).values()) == [("TrackingLink", "sale")]
    else:
        assert process.returncode == 1 and "error: apply cancelled" in shown
        assert live_datapoints(db_path) == {}
