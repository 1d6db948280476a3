"""Names and numbers the manifests cannot hold, read from a live account (issue 15, item 7):
export refuses to write manifests that would not validate, naming the live object; the plan
JSON is strict (a non-finite live value is an error line, never `Infinity` in a file)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from reconciler.errors import ReconcilerError
from reconciler.export.documents import ExportError, export_manifests, refuse_invalid
from reconciler.model import ConversionSpec, DatapointSpec, LiveConversion, LiveDatapoint, LiveGroup, LiveState
from reconciler.plan.planner import plan_changes
from reconciler.render import PlanJson
from tests.apply.helpers import rows
from tests.helpers import desired_state, run_local

INFINITY = float("inf")


def _account(group: str = "spring", value: float | None = 1.0) -> LiveState:
    return LiveState(groups={1: LiveGroup(1, group)}, conversions={2: LiveConversion(2, "signup", value=value)},
                     datapoints={3: LiveDatapoint(3, "sale", "link", url="https://shop.example.com/",
                                                  group=group, conversions=frozenset({"signup"}))})


def test_a_sound_account_passes_the_check() -> None:
    refuse_invalid(export_manifests(_account()).files)


@pytest.mark.parametrize("char", ["\n", "\t", "\r", "\x1b", "\x00", "\x7f", "\x9b"])
def test_export_refuses_a_group_name_with_a_control_character(char: str) -> None:
    name = f"spring{char}sale"
    with pytest.raises(ExportError) as raised:
        refuse_invalid(export_manifests(_account(group=name)).files)
    message = str(raised.value)
    assert message.startswith(f"export: the account holds what manifests cannot: group {name!r}: name: ")
    assert message.endswith("; nothing was written (fix these in the account first)")
    assert "\n" not in message


@pytest.mark.parametrize("value", [INFINITY, float("nan")])
def test_export_refuses_a_non_finite_conversion_value(value: float) -> None:
    with pytest.raises(ExportError) as raised:
        refuse_invalid(export_manifests(_account(value=value)).files)
    assert "conversion 'signup': value: " in str(raised.value)


def test_export_from_the_cli_writes_nothing_for_a_name_it_cannot_hold(tmp_path: Path, db_path: Path) -> None:
    manifest = tmp_path / "m.yaml"
    manifest.write_text("groups:\n  - name: spring\ndatapoints:\n  - name: sale\n"
                        "    url: https://shop.example.com/\n    group: spring\n")
    assert run_local(db_path, "apply", str(manifest), "--auto-approve").exit_code == 0
    rows(db_path, "UPDATE groups SET name = ? WHERE name = 'spring'", "spring\x1bsale")  # as the web UI may
    out = tmp_path / "out"
    result = run_local(db_path, "export", "--out", str(out))
    assert result.exit_code == 1
    assert result.stderr.startswith("error: export: the account holds what manifests cannot: group "
                                    "'spring\\x1bsale': name: ")
    assert not out.exists() or list(out.iterdir()) == []


def test_a_non_finite_live_value_is_an_error_line_not_infinity_in_the_plan() -> None:
    desired = desired_state([DatapointSpec("sale", url="https://shop.example.com/")],
                            conversions=[ConversionSpec("signup", value=5.0)])
    live = _account(value=INFINITY)
    plan = plan_changes(desired, live)
    with pytest.raises(ReconcilerError) as raised:
        PlanJson().render(dataclasses.replace(plan, target="t"))
    assert str(raised.value) == ("the plan cannot be written as strict JSON: plan.changes[0][conversion "
                                 "'signup'].diffs[0].before (inf) is not a finite number (as read from the "
                                 "account)")


def test_the_plan_json_of_finite_values_parses_strictly() -> None:
    desired = desired_state([DatapointSpec("sale", url="https://shop.example.com/")],
                            conversions=[ConversionSpec("signup", value=5.0)])
    text = PlanJson().render(dataclasses.replace(plan_changes(desired, _account(value=2.0)), target="t"))
    json.loads(text, parse_constant=lambda constant: pytest.fail(f"non-standard JSON: {constant}"))
