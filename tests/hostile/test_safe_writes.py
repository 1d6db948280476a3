"""`plan --out` and `export` never write through a symlink or onto a special file (issue 15, item 5)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from tests.helpers import run_local

MANIFEST = "groups:\n  - name: spring\ndatapoints:\n  - name: sale\n    url: https://shop.example.com/\n" \
           "    group: spring\n"


@pytest.fixture
def manifest(tmp_path: Path) -> Path:
    path = tmp_path / "m.yaml"
    path.write_text(MANIFEST)
    return path


@pytest.fixture
def victim(tmp_path: Path) -> Path:
    """A file outside every output folder that no write may touch."""
    path = tmp_path / "victim.txt"
    path.write_text("untouched\n")
    return path


def _plan_out(db_path: Path, manifest: Path, out: Path) -> tuple[int, list[str]]:
    result = run_local(db_path, "plan", str(manifest), "--out", str(out))
    return result.exit_code, result.stderr.splitlines()


def test_a_symlinked_partial_file_is_refused(db_path: Path, manifest: Path, victim: Path, tmp_path: Path) -> None:
    out = tmp_path / "plan.json"
    (tmp_path / "plan.json.partial").symlink_to(victim)
    assert _plan_out(db_path, manifest, out) == (1, [
        f"error: --out {out}: {out}.partial: a symlink, not a regular file: refusing to replace it or "
        "write through it"])
    assert victim.read_text() == "untouched\n" and not out.exists()


def test_a_fifo_at_the_out_path_is_refused(db_path: Path, manifest: Path, tmp_path: Path) -> None:
    out = tmp_path / "plan.json"
    os.mkfifo(out)
    assert _plan_out(db_path, manifest, out) == (1, [
        f"error: --out {out}: {out}: a FIFO, not a regular file: refusing to replace it or write through it"])
    assert stat.S_ISFIFO(out.lstat().st_mode)


def test_a_symlink_at_the_out_path_is_refused(db_path: Path, manifest: Path, victim: Path,
                                              tmp_path: Path) -> None:
    out = tmp_path / "plan.json"
    out.symlink_to(victim)
    code, errors = _plan_out(db_path, manifest, out)
    assert (code, errors) == (1, [f"error: --out {out}: {out}: a symlink, not a regular file: refusing to "
                                  "replace it or write through it"])
    assert out.is_symlink() and victim.read_text() == "untouched\n"


def test_a_device_at_the_out_path_is_refused(db_path: Path, manifest: Path, tmp_path: Path) -> None:
    out = tmp_path / "plan.json"
    try:
        os.mknod(out, stat.S_IFCHR | 0o600, os.makedev(1, 3))  # /dev/null's numbers
    except PermissionError:
        pytest.skip("creating a device node needs root")
    assert _plan_out(db_path, manifest, out)[1] == [
        f"error: --out {out}: {out}: a device, not a regular file: refusing to replace it or write through it"]
    assert stat.S_ISCHR(out.lstat().st_mode)


def test_a_regular_file_and_a_leftover_partial_are_replaced(db_path: Path, manifest: Path, tmp_path: Path) -> None:
    out = tmp_path / "plan.json"
    out.write_text("old plan")
    (tmp_path / "plan.json.partial").write_text("cut short")
    assert _plan_out(db_path, manifest, out) == (0, [])
    assert out.read_text().startswith("{") and not (tmp_path / "plan.json.partial").exists()


@pytest.fixture
def applied(db_path: Path, manifest: Path) -> Path:
    assert run_local(db_path, "apply", str(manifest), "--auto-approve").exit_code == 0
    return db_path


def test_export_force_never_writes_through_a_symlinked_folder(applied: Path, tmp_path: Path) -> None:
    out, elsewhere = tmp_path / "out", tmp_path / "elsewhere"
    out.mkdir()
    elsewhere.mkdir()
    (out / "groups").symlink_to(elsewhere)
    result = run_local(applied, "export", "--out", str(out), "--force")
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"error: export: {out / 'groups'}: a symlink, not a folder: refusing to write through it"]
    assert list(elsewhere.iterdir()) == []


def test_export_force_never_writes_through_a_symlinked_file(applied: Path, victim: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    (out / "groups").mkdir(parents=True)
    (out / "groups" / "spring.yaml").symlink_to(victim)
    result = run_local(applied, "export", "--out", str(out), "--force")
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"error: export: {out / 'groups' / 'spring.yaml'}: a symlink, not a regular file: refusing to "
        "replace it or write through it"]
    assert victim.read_text() == "untouched\n"
