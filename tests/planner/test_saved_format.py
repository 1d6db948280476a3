"""Saved plans written by an earlier version still load, re-render to the same bytes, and apply.

The fixtures were written by `plan --out` before operations became typed: `examples-plan.json`
creates the examples on an empty account; `changes-plan.json` then updates, re-tags,
re-links, creates and deletes (every endpoint kind the planner emits, a `$secret` and
`$ref`s in paths included). Their target is rewritten to the test's own database only.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from reconciler.live.reader import read_live_state
from reconciler.plan.document import fingerprint
from reconciler.plan.effects import LIVE_COLLECTIONS
from reconciler.plan.operations import OPERATIONS
from reconciler.plan.saved import read_plan
from reconciler.render import PlanJson
from reconciler.server.db import default_account_key
from tests.helpers import run_local
from tests.planner.helpers import in_account

FIXTURES = Path(__file__).parent / "fixtures"
SAVED_PLANS = ("examples-plan.json", "changes-plan.json")


@pytest.mark.parametrize("name", SAVED_PLANS)
def test_saved_plan_rerenders_byte_identically(name: str) -> None:
    path = FIXTURES / name
    assert PlanJson().render(read_plan(str(path))) == path.read_text(encoding="utf-8")


def test_each_saved_operation_is_read_back_as_its_class() -> None:
    operations = [op for name in SAVED_PLANS for op in read_plan(str(FIXTURES / name)).operations]
    assert {type(op) for op in operations} == set(OPERATIONS.values())  # every kind of call, once at least
    assert all(OPERATIONS[(op.method, op.path)] is type(op) for op in operations)


def _refingerprinted(document: dict[str, Any], db_path: Path) -> None:
    """A datapoint's fingerprint covers its creation second, which a fresh account cannot repeat:
    the recorded objects still there keep their id and name, and are fingerprinted anew."""
    live = in_account(db_path, default_account_key(db_path), lambda client: read_live_state(client))
    for recorded in document["fingerprints"]:
        if recorded["id"] is not None:
            current = getattr(live, LIVE_COLLECTIONS[recorded["kind"]]).get(recorded["id"])
            if current is not None:
                assert current.name == recorded["name"]
                recorded["sha256"] = fingerprint(current)


def _retargeted(name: str, db_path: Path, tmp_path: Path) -> Path:
    document = json.loads((FIXTURES / name).read_text(encoding="utf-8"))
    document["target"] = f"target: local ({db_path.resolve()})"
    if db_path.exists():
        _refingerprinted(document, db_path)
    copy = tmp_path / name
    copy.write_text(json.dumps(document), encoding="utf-8")
    return copy


def test_saved_plans_apply_and_converge(tmp_path: Path) -> None:
    db_path = tmp_path / "account.db"
    env = {"SPRING_LINK_PASSWORD": "s3cret-pw"}
    for name in SAVED_PLANS:
        result = run_local(db_path, "apply", "--plan", str(_retargeted(name, db_path, tmp_path)),
                           "--auto-approve", env=env)
        assert result.exit_code == 0, result.output
        assert "converged" in result.output
        assert "0 failed" in result.output
    again = run_local(db_path, "apply", "--plan", str(_retargeted("changes-plan.json", db_path, tmp_path)),
                      "--auto-approve", env=env)
    assert again.exit_code == 0, again.output
    assert "already as planned" in again.output
