"""The GitHub Action (`action.yml`, `action/*.sh`) and the example workflow that uses it.

actionlint checks the example workflow with the action beside it (so each
`with:` is checked against the action's inputs), and the action's own steps
as the jobs of a reusable workflow whose inputs are the action's (actionlint
reads workflows, not action metadata). The action's scripts run here for
real against the local target, as a runner would run them.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
ACTION = ROOT / "action.yml"
WORKFLOW = ROOT / "examples" / ".github" / "workflows" / "clickmeter.yml"
SEARCH_PATH = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
"""The commands this Python's environment installed (actionlint, clickmeter-reconciler) come first."""


def actionlint(project: Path) -> subprocess.CompletedProcess[str]:
    binary = shutil.which("actionlint", path=SEARCH_PATH)
    if binary is None:
        pytest.fail("actionlint is not installed: pip install -e '.[test]'")
    return subprocess.run([binary, "-oneline", "-no-color"], cwd=project, capture_output=True, text=True,
                          timeout=120, check=False)


def action_steps_workflow(action: dict[str, Any]) -> dict[str, Any]:
    """The action's steps as a reusable workflow's job, `inputs` typed as the action's."""
    inputs = {name: {"type": "string", "required": False, "default": str(spec.get("default", ""))}
              for name, spec in action["inputs"].items()}
    return {"name": "action steps", "on": {"workflow_call": {"inputs": inputs}},
            "jobs": {"action": {"runs-on": "ubuntu-latest", "steps": action["runs"]["steps"]}}}


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A repository holding the action at its root and the example workflow."""
    workflows = tmp_path / ".github" / "workflows"
    workflows.mkdir(parents=True)
    shutil.copy(ACTION, tmp_path / "action.yml")
    shutil.copy(WORKFLOW, workflows / "clickmeter.yml")
    action = yaml.safe_load(ACTION.read_text())
    (workflows / "action-steps.yml").write_text(yaml.safe_dump(action_steps_workflow(action), sort_keys=False))
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    return tmp_path


def test_the_action_and_the_example_workflow_pass_actionlint(project: Path) -> None:
    result = actionlint(project)
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


def test_actionlint_checks_the_workflow_against_the_actions_inputs(project: Path) -> None:
    workflow = project / ".github" / "workflows" / "clickmeter.yml"
    workflow.write_text(workflow.read_text().replace("command: apply", "command: apply\n          bogus: 1"))
    result = actionlint(project)
    assert result.returncode == 1
    assert 'input "bogus" is not defined in action "clickmeter-reconciler"' in result.stdout


def test_the_composite_action_takes_the_documented_inputs() -> None:
    action = yaml.safe_load(ACTION.read_text())
    assert action["runs"]["using"] == "composite"
    assert {"command", "path", "target", "format", "args"} <= set(action["inputs"])
    install = next(step["run"] for step in action["runs"]["steps"] if "pip install" in step.get("run", ""))
    assert '"$GITHUB_ACTION_PATH"' in install


def step_script(name: str) -> str:
    action = yaml.safe_load(ACTION.read_text())
    return next(step["run"] for step in action["runs"]["steps"] if step.get("name") == name)


@pytest.mark.parametrize(("ref", "default", "allowed"), [
    ("main", "main", True), ("feature/new-links", "main", False), ("42/merge", "main", False),
    ("main", "", False),
])
def test_apply_runs_on_the_default_branch_only(ref: str, default: str, allowed: bool) -> None:
    guard = subprocess.run(["bash", "-c", step_script("Refuse apply outside the default branch")],
                           env={**os.environ, "REF_NAME": ref, "DEFAULT_BRANCH": default},
                           capture_output=True, text=True, check=False)
    assert (guard.returncode == 0) == allowed
    if not allowed:
        assert guard.stdout.startswith("::error::apply runs on the default branch")


def run_action(tmp_path: Path, **inputs: str) -> tuple[dict[str, str], str]:
    """`action/run.sh` as the runner runs it, in `tmp_path` (where the local target keeps its
    database); its outputs and the job summary."""
    outputs, summary = tmp_path / "outputs", tmp_path / "summary.md"
    env = {**os.environ, "COMMAND": "", "MANIFESTS": str(ROOT / "examples"), "TARGET": "local", "FORMAT": "",
           "ARGS": "", "PULL_REQUEST": "", **inputs,
           "RUNNER_TEMP": str(tmp_path), "GITHUB_OUTPUT": str(outputs), "GITHUB_STEP_SUMMARY": str(summary),
           "PATH": SEARCH_PATH}
    env.pop("CLICKMETER_TARGET", None)
    ran = subprocess.run(["bash", str(ROOT / "action" / "run.sh")], env=env, cwd=tmp_path,
                         capture_output=True, text=True, timeout=120, check=False)
    assert ran.returncode == 0, ran.stderr
    found = dict(line.split("=", 1) for line in outputs.read_text().splitlines())
    return found, summary.read_text()


def test_a_pull_requests_plan_becomes_a_summary_an_artifact_and_one_marked_comment(tmp_path: Path) -> None:
    outputs, summary = run_action(tmp_path, COMMAND="plan", PULL_REQUEST="7", ARGS="--detailed-exitcode")
    assert outputs["exit-code"] == "2"  # changes present
    assert summary.startswith("### clickmeter-reconciler plan (target: local (")
    comment = Path(outputs["comment-file"]).read_text()
    assert comment.splitlines()[0] == outputs["marker"] == f"<!-- clickmeter-reconciler plan: {ROOT / 'examples'} -->"
    assert comment.splitlines()[1:] == Path(outputs["output-file"]).read_text().splitlines()
    assert len(comment) <= 65_536
    assert sorted(path.name for path in Path(outputs["artifact-dir"]).iterdir()) == [
        "comment.md", "plan-full.md", "plan.md", "plan.stderr.txt", "saved-plan.json"]


def test_a_failing_command_hands_on_its_status_and_its_error(tmp_path: Path) -> None:
    outputs, summary = run_action(tmp_path, COMMAND="stats", MANIFESTS=str(tmp_path / "missing"))
    assert outputs["exit-code"] == "1"
    assert "**clickmeter-reconciler stats exited with status 1:**" in summary
    assert "error: " in summary


def test_apply_then_stats_puts_the_chart_in_the_job_summary(tmp_path: Path) -> None:
    applied, summary = run_action(tmp_path, COMMAND="apply")
    assert applied["exit-code"] == "0"
    assert summary.startswith("### clickmeter-reconciler apply\n```text\n")
    assert "converged" in summary
    stats, summary = run_action(tmp_path, COMMAND="stats", ARGS="--timeframe last7")
    assert stats["exit-code"] == "0" and stats["output-file"].endswith("/clickmeter-stats/stats.md")
    assert "### clickmeter-reconciler apply" in summary  # the summary file collects every step
    assert "### ClickMeter statistics (target: local (.clickmeter/local.db))" in summary
    assert "```mermaid\n%%{init:" in summary and "\nxychart-beta\n" in summary


def test_the_action_scripts_pass_shellcheck() -> None:
    binary = shutil.which("shellcheck")
    if binary is None:
        if os.environ.get("CI"):
            pytest.fail("no shellcheck in CI: .ci/run installs Debian's shellcheck")
        pytest.skip("no shellcheck on PATH (apt-get install shellcheck); CI runs this test")
    checked = subprocess.run([binary, *sorted(map(str, (ROOT / "action").glob("*.sh")))],
                             capture_output=True, text=True, check=False)
    assert (checked.returncode, checked.stdout) == (0, "")


FAKE_GH = """#!/usr/bin/env bash
# gh as the comment step calls it: the call is logged; a listing answers $EXISTING.
echo "$*" >> "$GH_LOG"
case "$*" in
  *--paginate*) [ -n "$EXISTING" ] && echo "$EXISTING" ;;
  *--method\\ POST*) [ -z "$FAIL_POST" ] || exit 1 ;;
esac
exit 0
"""


@pytest.mark.parametrize(("existing", "fail_post", "expected", "message"), [
    ("", "", "--method POST repos/o/r/issues/7/comments -F body=@{body}", "commented the plan on pull request #7"),
    ("991", "", "--method PATCH repos/o/r/issues/comments/991 -F body=@{body}", "updated the plan comment 991"),
    ("", "yes", "--method POST repos/o/r/issues/7/comments -F body=@{body}", "::warning::could not comment"),
])
def test_the_comment_is_created_once_then_updated(tmp_path: Path, existing: str, fail_post: str,
                                                  expected: str, message: str) -> None:
    """`action/comment.sh` against a stand-in `gh` (GitHub is not reachable from tests)."""
    (tmp_path / "gh").write_text(FAKE_GH)
    (tmp_path / "gh").chmod(0o755)
    body = tmp_path / "comment.md"
    body.write_text("<!-- clickmeter-reconciler plan: . -->\nthe plan\n")
    env = {**os.environ, "PATH": f"{tmp_path}:{os.environ['PATH']}", "GH_LOG": str(tmp_path / "calls"),
           "EXISTING": existing, "FAIL_POST": fail_post, "REPOSITORY": "o/r", "PULL_REQUEST": "7",
           "BODY_FILE": str(body), "MARKER": "<!-- clickmeter-reconciler plan: . -->"}
    ran = subprocess.run(["bash", str(ROOT / "action" / "comment.sh")], env=env, capture_output=True, text=True,
                         check=False)
    assert ran.returncode == 0  # a comment that cannot be written never fails the job
    assert ran.stdout.startswith(message)
    calls = (tmp_path / "calls").read_text().splitlines()
    assert calls == [("api --paginate repos/o/r/issues/7/comments --jq "
                      ".[] | select(.body | startswith(env.MARKER)) | .id"),
                     "api " + expected.format(body=body)]
