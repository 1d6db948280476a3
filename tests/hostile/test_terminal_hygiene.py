"""Every string from outside is escaped for the terminal and clipped in messages (issue 15, item 9)."""

from __future__ import annotations

import dataclasses
import io
import json
from pathlib import Path

import pytest

from reconciler.apply.progress import CallRecord, Progress
from reconciler.model import DatapointSpec, GroupSpec, LiveDatapoint, LiveGroup, LiveState
from reconciler.plan.planner import plan_changes
from reconciler.render import PlanJson, PlanText
from reconciler.stats.table import Column, Tabular, render_table
from reconciler.terminal import MAX_SHOWN, clipped, shown
from tests.helpers import desired_state, run_local

HOSTILE = "evil\x1b[2J\x9b31m\x7f\u2028\u2029\u202egnp.exe\x00\n\r\t"
UNSAFE = set("\x1b\x9b\x7f\u2028\u2029\u202e\x00\n\r\t")


def test_shown_escapes_every_unsafe_character_visibly() -> None:
    assert shown(HOSTILE) == "evil\\x1b[2J\\x9b31m\\x7f\\u2028\\u2029\\u202egnp.exe\\x00\\n\\r\\t"
    assert shown("naïve café 東京 🙂") == "naïve café 東京 🙂"


def test_clipped_cuts_long_strings_and_says_how_much() -> None:
    assert clipped("V" * 1_000_000) == "V" * MAX_SHOWN + f"... ({1_000_000 - MAX_SHOWN} more characters)"
    assert clipped(10 ** 5000, 40) == "a 16610-bit number"


def _hostile_plan() -> object:
    desired = desired_state([DatapointSpec("kept", url="https://shop.example.com/")],
                            groups=[GroupSpec("spring", prune=True)])
    live = LiveState(groups={1: LiveGroup(1, "spring")},
                     datapoints={2: LiveDatapoint(2, HOSTILE, "link", url=f"https://x.example/{HOSTILE}",
                                                  group="spring")})
    return dataclasses.replace(plan_changes(desired, live), target=f"target: {HOSTILE}")


def test_the_text_plan_prints_no_control_character_from_a_live_name_or_url() -> None:
    text = PlanText(color=False).render(_hostile_plan())
    assert not UNSAFE & set(text.replace("\n", ""))
    assert "datapoint evil\\x1b[2J\\x9b31m" in text or "link evil\\x1b[2J\\x9b31m" in text


def test_the_coloured_plan_keeps_only_its_own_escapes() -> None:
    text = PlanText(color=True).render(_hostile_plan())
    assert "\x9b" not in text and "\u202e" not in text and "\x1b[2J" not in text


def test_the_json_plan_keeps_exact_values() -> None:
    document = json.loads(PlanJson().render(_hostile_plan()))
    assert HOSTILE in [change["name"] for change in document["changes"]]


def test_a_file_name_with_a_newline_is_one_problem_line(tmp_path: Path, db_path: Path) -> None:
    path = tmp_path / "bad\nname\x1b.yaml"
    path.write_text("datapoints: 5\n")
    result = run_local(db_path, "validate", str(path))
    lines = result.output.splitlines()
    assert (result.exit_code, len(lines)) == (1, 2)
    assert lines[0].startswith(f"{tmp_path}/bad\\nname\\x1b.yaml:1:13: datapoints: ")


def test_a_1mb_variable_name_in_a_saved_plan_is_clipped(tmp_path: Path, db_path: Path) -> None:
    manifest = tmp_path / "m.yaml"
    manifest.write_text("datapoints:\n  - name: sale\n    url: https://shop.example.com/\n"
                        "    password: {env: SALE_PASSWORD}\n")
    out = tmp_path / "plan.json"
    assert run_local(db_path, "plan", str(manifest), "--out", str(out),
                     env={"SALE_PASSWORD": "pass-word"}).exit_code == 0
    out.write_text(out.read_text().replace('"SALE_PASSWORD"', '"' + "V" * 1_000_000 + '"'))
    result = run_local(db_path, "apply", "--plan", str(out), env={"SALE_PASSWORD": ""})
    assert result.exit_code == 1
    assert len(result.output) < 1000
    assert f"environment variable {'V' * MAX_SHOWN}... ({1_000_000 - MAX_SHOWN} more characters) is not set" \
        in result.output


def test_progress_lines_escape_the_operation_from_a_plan_file() -> None:
    stream = io.StringIO()
    progress = Progress(total_calls=1, total_items=1, stream=stream, is_terminal=False)
    progress.call_finished(CallRecord(f"PUT /x/{HOSTILE}", 1, "ok", 0.1))
    assert not UNSAFE & set(stream.getvalue().rstrip("\n"))


@pytest.mark.parametrize("char", ["\x1b", "\x9b", "\u202e", "\u2028"])
def test_error_lines_escape_outside_strings(tmp_path: Path, db_path: Path, char: str) -> None:
    result = run_local(db_path, "apply", "--plan", str(tmp_path / f"missing{char}.json"))
    assert result.exit_code == 1
    assert char not in result.output


def test_stats_tables_escape_and_clip_text_from_the_service() -> None:
    table = Tabular("referrers", [Column("referrer", "referrer"), Column("hits", "hits", numeric=True)],
                    [{"referrer": HOSTILE, "hits": 3}, {"referrer": "r" * 5000, "hits": 1}])
    text = render_table(table)
    assert not UNSAFE & set(text.replace("\n", ""))
    assert max(map(len, text.splitlines())) < 150
