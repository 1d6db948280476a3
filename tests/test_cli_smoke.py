"""The installed entry points answer."""

import subprocess
import sys


def test_module_entry_point_lists_every_command() -> None:
    done = subprocess.run([sys.executable, "-m", "reconciler", "--help"],
                          capture_output=True, text=True, check=True)
    listed = done.stdout.split("Commands:\n", 1)[1].splitlines()
    assert [line.split()[0] for line in listed] == ["apply", "export", "plan", "serve", "stats", "validate"]
    assert "--target" in done.stdout
