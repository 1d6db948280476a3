"""The sample GitOps repository in examples/: valid, editor-ready, and plannable without secrets."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml

from reconciler.manifests import load_manifests, resolve_secrets
from reconciler.model import Secret

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
MANIFESTS = sorted(path for path in EXAMPLES.rglob("*.yaml") if ".github" not in path.parts)


def test_examples_validate_together_and_file_by_file() -> None:
    desired = load_manifests([str(EXAMPLES)])
    assert len(desired.files) == len(MANIFESTS) >= 5
    assert {spec.type for spec in desired.datapoints.values()} == {"link", "pixel"}
    assert any(group.prune for group in desired.groups.values())
    assert desired.conversions and desired.tags
    for path in MANIFESTS:
        load_manifests([str(path)])


def test_each_manifest_points_editors_at_the_schema() -> None:
    for path in MANIFESTS:
        first = path.read_text().splitlines()[0]
        match = re.fullmatch(r"# yaml-language-server: \$schema=(\S+)", first)
        assert match, path
        assert (path.parent / match.group(1)).resolve() == ROOT / "schemas" / "manifest.schema.json"


def test_the_example_password_is_optional_so_plan_runs_without_it() -> None:
    desired = load_manifests([str(EXAMPLES)])
    notes = resolve_secrets(desired, {})
    assert len(notes) == 1 and "SPRING_LINK_PASSWORD is not set" in notes[0]
    desired = load_manifests([str(EXAMPLES)])
    assert resolve_secrets(desired, {"SPRING_LINK_PASSWORD": "press-2027"}) == []
    assert desired.datapoints["spring-press-preview"].password == Secret("press-2027")


def test_workflow_plans_pull_requests_applies_main_and_checks_drift() -> None:
    workflow = yaml.safe_load((EXAMPLES / ".github" / "workflows" / "clickmeter.yml").read_text())
    triggers = workflow[True]  # YAML 1.1 reads the key `on` as true
    assert {"pull_request", "push", "schedule"} <= set(triggers)
    assert triggers["push"]["branches"] == ["main"]
    commands = {name: [(step["with"]["command"], step["with"].get("args", "")) for step in job["steps"]
                       if step.get("uses") == "./"]  # this repository's action (action.yml)
                for name, job in workflow["jobs"].items()}
    assert commands["plan"] == [("validate", ""), ("plan", "")]
    assert workflow["jobs"]["plan"]["permissions"]["pull-requests"] == "write"  # the plan comment
    assert commands["apply"] == [("apply", "")] and "refs/heads/main" in workflow["jobs"]["apply"]["if"]
    assert ("plan", "--detailed-exitcode") in commands["drift"]


def test_pre_commit_hook_runs_validate_on_yaml_changes() -> None:
    [hook] = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert hook["id"] == "clickmeter-validate"
    assert hook["entry"] == "clickmeter-reconciler validate" and "clickmeter-reconciler" in scripts
    assert all(re.search(hook["files"], name) for name in ("a.yaml", "team/b.yml"))
    assert not re.search(hook["files"], "package.json")
