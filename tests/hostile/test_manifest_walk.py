"""The manifest walk refuses what it cannot read or follow safely (issue 15, item 1).

A folder skipped silently would have its datapoints planned for deletion, so
each case must be one line naming the path and exit 1, never a plan.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from reconciler.cli import cli
from reconciler.manifests import ManifestError, load_manifests
from reconciler.manifests.schema import manifest_schema
from tests.helpers import run_local

LINK = "datapoints:\n  - name: {name}\n    url: https://shop.example.com/{name}\n"
UNPRIVILEGED = 65534  # nobody


def _problems(*paths: Path) -> list[str]:
    with pytest.raises(ManifestError) as raised:
        load_manifests([str(path) for path in paths])
    return [str(problem) for problem in raised.value.problems]


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """manifests/a.yaml inside the tree; outside/b.yaml next to it."""
    (tmp_path / "manifests").mkdir()
    (tmp_path / "manifests" / "a.yaml").write_text(LINK.format(name="a"))
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "b.yaml").write_text(LINK.format(name="b"))
    return tmp_path / "manifests"


def test_a_symlinked_folder_leaving_the_tree_is_refused(tree: Path) -> None:
    (tree / "shared").symlink_to("../outside")
    assert _problems(tree) == [f"{tree}/shared:1:1: path: a symlink leading outside {tree}: refused "
                               "(symlinks are followed only inside the folder given)"]


def test_a_symlinked_manifest_leaving_the_tree_is_refused(tree: Path) -> None:
    (tree / "b.yaml").symlink_to("../outside/b.yaml")
    assert [line.split(": path: ")[0] for line in _problems(tree)] == [f"{tree}/b.yaml:1:1"]


def test_a_symlink_loop_is_refused(tree: Path) -> None:
    (tree / "sub").mkdir()
    (tree / "sub" / "up").symlink_to("..")
    (tree / "one").symlink_to("two")
    (tree / "two").symlink_to("one")
    assert _problems(tree) == [f"{tree}/one:1:1: path: a symlink loop",
                               f"{tree}/sub/up:1:1: path: a symlink loop: it leads back to a folder above it",
                               f"{tree}/two:1:1: path: a symlink loop"]


def test_a_broken_manifest_symlink_is_refused(tree: Path) -> None:
    (tree / "gone.yaml").symlink_to("nowhere.yaml")
    assert _problems(tree) == [f"{tree}/gone.yaml:1:1: path: a broken symlink: No such file or directory"]


def test_symlinks_inside_the_tree_are_followed_and_read_once(tree: Path) -> None:
    (tree / "real").mkdir()
    (tree / "real" / "c.yaml").write_text(LINK.format(name="c"))
    (tree / "alias").symlink_to("real")
    (tree / "again.yaml").symlink_to("a.yaml")
    (tree / "notes.txt").symlink_to("/etc/hostname")  # not a manifest: never read, never refused
    desired = load_manifests([str(tree)])
    assert sorted(desired.datapoints) == ["a", "c"]


def test_plan_of_a_tree_with_a_foreign_symlink_plans_nothing(tree: Path, tmp_path: Path) -> None:
    (tree / "shared").symlink_to("../outside")
    result = run_local(tmp_path / "local.db", "plan", str(tree))
    assert result.exit_code == 1
    assert "a symlink leading outside" in result.output and "Plan:" not in result.output


@pytest.fixture
def shared_tree() -> Iterator[Path]:
    """A tree an unprivileged user can reach (pytest's tmp_path is root's alone)."""
    top = Path(tempfile.mkdtemp(prefix="walk-"))
    top.chmod(0o755)
    try:
        yield top
    finally:
        for folder, _, _ in os.walk(top):
            os.chmod(folder, 0o755)
        shutil.rmtree(top)


def _validate_as_unprivileged(path: Path) -> tuple[int, str]:
    """`validate path` in a forked child that drops to an unprivileged uid first (root reads
    any folder); the child needs no file of the installation once forked."""
    manifest_schema()  # read by the parent: the child may not reach the installation
    reader, writer = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - the child reports through the pipe
        code = 3
        try:
            os.close(reader)
            if os.geteuid() == 0:
                os.setgroups([])
                os.setgid(UNPRIVILEGED)
                os.setuid(UNPRIVILEGED)
            result = CliRunner().invoke(cli, ["validate", str(path)])
            os.write(writer, result.output.encode())
            code = result.exit_code
        finally:
            os._exit(code)
    os.close(writer)
    with os.fdopen(reader, encoding="utf-8") as stream:
        output = stream.read()
    _, status = os.waitpid(child, 0)
    return os.waitstatus_to_exitcode(status), output


def test_an_unreadable_folder_is_refused_as_an_unprivileged_user(shared_tree: Path) -> None:
    top = shared_tree / "manifests"
    (top / "locked").mkdir(parents=True)
    (top / "a.yaml").write_text(LINK.format(name="a"))
    (top / "locked" / "b.yaml").write_text(LINK.format(name="b"))
    top.chmod(0o755)
    (top / "a.yaml").chmod(0o644)
    (top / "locked").chmod(0o000)
    code, output = _validate_as_unprivileged(top)
    assert (code, output.splitlines()) == (1, [
        f"{top}/locked:1:1: path: cannot read this folder: Permission denied", "invalid: 1 problem"])
