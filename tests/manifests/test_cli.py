"""`clickmeter-reconciler validate`: exit codes and one line per problem, never a traceback."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from reconciler.cli import cli

from .conftest import WriteManifest

ROOT = Path(__file__).resolve().parents[2]


def validate(*paths: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["validate", *paths])
    assert result.exception is None or isinstance(result.exception, SystemExit)
    return result.exit_code, result.stdout, result.stderr


def test_valid_manifests_print_a_summary(write_manifest: WriteManifest) -> None:
    write_manifest("groups.yaml", "groups:\n  - name: spring\nconversions:\n  - name: signup\n")
    path = write_manifest("links.yaml", "datapoints:\n  - name: a\n    url: https://x.example.com/\n    tags: [t]\n"
                                        "  - name: b\n    type: pixel\n")
    assert validate(str(path.parent)) == (
        0, "valid: 2 datapoints (1 link, 1 pixel), 1 group, 1 conversion, 1 tag in 2 files\n", "")


def test_each_problem_gets_its_own_line_and_exit_1(write_manifest: WriteManifest) -> None:
    write_manifest("a.yaml", "datapoints:\n  - name: a\n    url: ftp://x\n")
    path = write_manifest("b.yaml", "datapoints:\n  - name: a\n    type: pixel\n    redirect: permanent\n")
    code, out, err = validate(str(path.parent))
    a, b = path.parent / "a.yaml", path
    assert (code, out) == (1, "")
    assert err.splitlines() == [
        f"{a}:3:10: datapoints[0].url: must be an absolute http:// or https:// URL without spaces; got 'ftp://x'",
        f"{b}:2:11: datapoints[0].name: duplicate datapoint name 'a' (first declared at {a}:2:11); "
        "a name may repeat only with a distinct `id:` pin on every entry",
        f"{b}:4:15: datapoints[0].redirect: 'redirect' is for links only; 'a' is a pixel",
        "invalid: 3 problems",
    ]


def test_unusable_paths_are_one_line_each(tmp_path: Path) -> None:
    (tmp_path / "binary.yaml").write_bytes(b"\x00\x01\x02")
    (tmp_path / "latin1.yaml").write_bytes(b"tags:\n  - name: caf\xe9\n")
    (tmp_path / "empty").mkdir()
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "gone.yaml").symlink_to(tmp_path / "nowhere.yaml")
    paths = [str(tmp_path / name) for name in ("binary.yaml", "latin1.yaml", "empty", "broken", "missing")]
    code, out, err = validate(*paths)
    assert (code, out) == (1, "")
    assert err.splitlines() == [
        f"{tmp_path}/binary.yaml:1:1: path: a binary file, not YAML text",
        f"{tmp_path}/broken/gone.yaml:1:1: path: a broken symlink: No such file or directory",
        f"{tmp_path}/empty:1:1: path: no *.yaml or *.yml files in this directory",
        f"{tmp_path}/latin1.yaml:2:14: yaml: not UTF-8 text (byte 0xe9)",
        f"{tmp_path}/missing:1:1: path: no such file or directory",
        "invalid: 5 problems",
    ]


def test_relative_paths_stay_relative(write_manifest: WriteManifest, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write_manifest("repo/team/a.yaml", "datapoints:\n  - name: a\n")
    monkeypatch.chdir(path.parent.parent)
    code, _, err = validate("team")
    assert (code, err.splitlines()[0]) == (
        1, "team/a.yaml:2:5: datapoints[0]: a link needs a url or destinations (or write type: pixel)")


def test_installed_entry_point_validates_the_examples() -> None:
    done = subprocess.run([sys.executable, "-m", "reconciler", "validate", "examples"], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stderr) == (0, "")
    note, valid = done.stdout.splitlines()
    assert valid.startswith("valid: 17 datapoints (13 links, 4 pixels), 3 groups, 3 conversions")
    assert note == ("note: examples/campaigns/spring-2027/links.yaml:50:7: destinations: 'spring-ab' rotates "
                    "2 urls by weight: the weights sum to 100 (70%, 30% of the visits)")


@pytest.mark.anyio
@pytest.mark.parametrize(("kind", "name"), [("link", "spring sale"), ("link", "spring/sale"), ("link", "spring-sale"),
                                            ("pixel", "spring banner"), ("pixel", "spring-banner")])
async def test_validate_refuses_exactly_the_datapoint_names_the_server_refuses(
        write_manifest: WriteManifest, asgi_client: Any, kind: str, name: str) -> None:
    body: dict[str, Any] = {"type": 0 if kind == "link" else 1, "name": name}
    if kind == "link":
        body["typeTL"] = {"url": "https://shop.example.com/"}
    created = await asgi_client.post("/datapoints", json=body)
    entry = f"datapoints:\n  - name: {json.dumps(name)}\n    type: {kind}\n"
    path = write_manifest("links.yaml", entry + ("    url: https://shop.example.com/\n" if kind == "link" else ""))
    status, _, errors = validate(str(path))
    assert (status == 0) == (created.status_code == 200), (created.text, errors)
    assert status == 0 or "a datapoint name may not hold '/' or spaces" in errors
