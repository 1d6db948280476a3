"""The installed entry points answer."""

import subprocess
import sys


def test_module_entry_point_prints_help() -> None:
    done = subprocess.run([sys.executable, "-m", "reconciler", "--help"],
                          capture_output=True, text=True, check=True)
    assert "--target" in done.stdout
