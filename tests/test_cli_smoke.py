"""The installed entry points answer."""

import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from reconciler.cli import cli
from tests.helpers import run_local


def test_module_entry_point_lists_every_command() -> None:
    done = subprocess.run([sys.executable, "-m", "reconciler", "--help"],
                          capture_output=True, text=True, check=True)
    listed = done.stdout.split("Commands:\n", 1)[1].splitlines()
    assert [line.split()[0] for line in listed] == ["apply", "export", "plan", "serve", "show", "stats", "validate"]
    assert "--target" in done.stdout


def test_help_says_where_the_target_and_its_key_come_from_and_what_each_plan_format_is_for() -> None:
    top = subprocess.run([sys.executable, "-m", "reconciler", "--help"], capture_output=True, text=True, check=True)
    words = " ".join(top.stdout.split())
    assert "env var: CLICKMETER_TARGET" in words and "CLICKMETER_API_KEY" in words
    plan = subprocess.run([sys.executable, "-m", "reconciler", "plan", "--help"],
                          capture_output=True, text=True, check=True)
    assert "markdown for pull requests" in " ".join(plan.stdout.split())


def test_the_local_database_folder_it_creates_is_kept_out_of_git(tmp_path: Path) -> None:
    (tmp_path / "manifests").mkdir()
    (tmp_path / "manifests" / "empty.yaml").write_text("")
    db_path = tmp_path / "repo" / ".clickmeter" / "local.db"
    assert run_local(db_path, "plan", str(tmp_path / "manifests")).exit_code == 0
    assert (db_path.parent / ".gitignore").read_text().splitlines()[-1] == "*"
    mine = tmp_path / "mine"
    mine.mkdir()
    assert run_local(mine / "local.db", "plan", str(tmp_path / "manifests")).exit_code == 0
    assert not (mine / ".gitignore").exists()  # a folder the user made is theirs


def test_target_options_are_accepted_after_the_command_name(tmp_path: Path) -> None:
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "links.yaml").write_text("datapoints:\n  - {name: sale, url: https://shop.example.com/}\n")
    after = tmp_path / "after" / "local.db"
    result = CliRunner().invoke(cli, ["plan", str(tmp_path / "m"), "--target", "local", "--local-db", str(after)],
                                catch_exceptions=False)
    assert result.exit_code == 0 and result.output.startswith(f"target: local ({after})\n")
    first = tmp_path / "first.db"  # given after the command, it wins over the global one
    assert CliRunner().invoke(cli, ["--local-db", str(first), "stats", str(tmp_path / "m"), "--local-db",
                                    str(after)]).output.startswith(f"target: local ({after})")
    assert not first.exists()
