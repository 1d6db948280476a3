"""Inputs that used to end in a traceback end in one line and exit 1 (issue 15, item 8)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers import run_local

MANIFEST = "datapoints:\n  - name: sale\n    url: https://shop.example.com/\n"


@pytest.fixture
def manifest(tmp_path: Path) -> Path:
    path = tmp_path / "m.yaml"
    path.write_text(MANIFEST)
    return path


@pytest.mark.parametrize("key", ["ключ-€-ü", "kéy-ø-東京", "key\twith\x1bcontrols"])
def test_an_api_key_no_header_can_carry_is_one_line_that_never_shows_it(manifest: Path, db_path: Path,
                                                                        key: str) -> None:
    result = run_local(db_path, "--target", "http://127.0.0.1:9", "plan", str(manifest),
                       env={"CLICKMETER_API_KEY": key})
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        "error: target http://127.0.0.1:9: CLICKMETER_API_KEY holds characters an HTTP header cannot carry "
        "(a key is printable ASCII without spaces); check the variable"]
    assert not {char for char in key if not char.isascii() or not char.isprintable()} & set(result.output)


@pytest.mark.parametrize("text", ["[" * 100_000 + "]" * 100_000, '{"a":' * 500 + "1" + "}" * 500])
def test_a_deeply_nested_plan_file_is_one_line(tmp_path: Path, db_path: Path, text: str) -> None:
    plan = tmp_path / "plan.json"
    plan.write_text(text)
    result = run_local(db_path, "apply", "--plan", str(plan))
    assert result.exit_code == 1
    assert result.output.splitlines() == [f"error: {plan}: not a plan: nested more than 64 levels deep"]


def test_a_plan_written_by_plan_out_is_not_too_deep(manifest: Path, tmp_path: Path, db_path: Path) -> None:
    out = tmp_path / "plan.json"
    assert run_local(db_path, "plan", str(manifest), "--out", str(out)).exit_code == 0
    assert json.loads(out.read_text())["format_version"] == 1
    assert run_local(db_path, "apply", "--plan", str(out)).exit_code == 0


def test_an_id_of_5000_digits_is_clipped_in_its_problem(tmp_path: Path, db_path: Path) -> None:
    path = tmp_path / "id.yaml"
    path.write_text(MANIFEST + "    id: " + "7" * 5000 + "\n")
    result = run_local(db_path, "validate", str(path))
    assert result.exit_code == 1
    first = result.output.splitlines()[0]
    assert first.startswith(f"{path}:4:9: datapoints[0].id: '777") and len(first) < 300
    assert first.endswith(" more characters) is not a valid int")


@pytest.mark.parametrize(("edit", "message"), [
    (lambda operation: operation["body"]["list"][0].update(password={"$secret": []}),
     "operation 1: a $ref or $secret placeholder must be the only key of its object and name a text"),
    (lambda operation: operation.update(items="datapoint:sale"),
     "operations[0].items: 'datapoint:sale' is not of type 'array'"),
])
def test_a_hand_edited_plan_file_is_one_line(manifest: Path, tmp_path: Path, db_path: Path, edit: object,
                                             message: str) -> None:
    manifest.write_text(MANIFEST + "    password: {env: SALE_PASSWORD}\n")
    out = tmp_path / "plan.json"
    assert run_local(db_path, "plan", str(manifest), "--out", str(out),
                     env={"SALE_PASSWORD": "pass-word"}).exit_code == 0
    document = json.loads(out.read_text())
    edit(document["operations"][0])  # type: ignore[operator]
    out.write_text(json.dumps(document))
    result = run_local(db_path, "apply", "--plan", str(out), env={"SALE_PASSWORD": "pass-word"})
    assert (result.exit_code, result.output.splitlines()) == (1, [f"error: {out}: malformed plan: {message}"])
