"""Hypothesis over manifests and saved plan files (issue 15, item 10).

Whatever the bytes: `validate`'s loader gives a desired state or one
`ManifestError`, never another exception, and never a desired state that
misses a datapoint some file declares (a partial read would plan deletions);
a plan file is read as a plan or refused with one `ReconcilerError`, and the
plan read is rendered and checked without any other exception. The budget is
fixed and derandomized so the default run stays at a few seconds; `-m
slow` runs many more examples.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import tempfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciler.apply.executor import check_operations
from reconciler.apply.run import check_secrets
from reconciler.errors import ReconcilerError
from reconciler.manifests import ManifestError, load_manifests
from reconciler.model import DatapointSpec, GroupSpec, LiveDatapoint, LiveGroup, LiveState, Secret
from reconciler.plan.planner import plan_changes
from reconciler.plan.saved import read_plan
from reconciler.render import PlanJson, PlanMarkdown, PlanText
from tests.helpers import desired_state

COMMON = {"deadline": None, "derandomize": True, "database": None,
          "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large]}
BUDGETS = [pytest.param(settings(max_examples=150, **COMMON), id="fast"),
           pytest.param(settings(max_examples=3000, **COMMON), id="long", marks=pytest.mark.slow)]

HOSTILE = st.sampled_from([
    "", " ", "a b", "x/y", "\x1b[2J", "\x9b", "\u202e", "\u2028", "\x00", "\x7f", "\n", "http://[::1/",
    "http://x]/", "http://[zz]/", "https://shop.example.com/", "ftp://x", "1e999", ".nan", "SALE_PASSWORD",
    "V" * 300, "link", "pixel", "permanent", "active", "spring",
])
TEXT = st.text(max_size=12) | HOSTILE
SCALARS = (st.none() | st.booleans() | st.integers() | st.integers(min_value=2 ** 63 - 2, max_value=2 ** 70)
           | st.floats() | TEXT)
VALUES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=3)
                      | st.dictionaries(TEXT, inner, max_size=3), max_leaves=10)
KEYS = ("name", "url", "type", "group", "tags", "conversions", "id", "password", "redirect", "status",
        "notes", "title", "favourite", "renamed_from", "prune", "value", "protocol", "domain")
ITEM = st.dictionaries(st.sampled_from(KEYS) | TEXT, VALUES | TEXT, max_size=5) | VALUES
SECTIONS = ("settings", "defaults", "groups", "conversions", "tags", "datapoints")
DOCUMENT = st.dictionaries(st.sampled_from(SECTIONS), st.lists(ITEM, max_size=4) | ITEM, max_size=4) | VALUES


@st.composite
def manifest_texts(draw: st.DrawFn) -> str:
    """YAML of a random document, sometimes with random text cut into it."""
    text = yaml.safe_dump(draw(DOCUMENT), allow_unicode=True, sort_keys=False)
    if draw(st.booleans()):
        cut = draw(st.integers(0, len(text)))
        text = text[:cut] + draw(st.text(max_size=8) | st.sampled_from(["*a", "&a [", "!!python/object:x {}",
                                                                         "{", ": :", "\t", "- "])) + text[cut:]
    return text


GOOD = "datapoints:\n  - name: kept\n    url: https://shop.example.com/kept\n"


def _declared_names(text: str) -> set[str]:
    """The datapoint names plain PyYAML finds in `text` (empty when it cannot read it)."""
    try:
        document = yaml.safe_load(text)
    except (yaml.YAMLError, ValueError, RecursionError):
        return set()
    items = document.get("datapoints") if isinstance(document, dict) else None
    return {item["name"] for item in items if isinstance(item, dict) and isinstance(item.get("name"), str)} \
        if isinstance(items, list) else set()


def check_manifest(text: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        Path(folder, "good.yaml").write_text(GOOD, encoding="utf-8")
        Path(folder, "fuzzed.yaml").write_text(text, encoding="utf-8", errors="surrogatepass")
        try:
            desired = load_manifests([folder])
        except ManifestError as error:
            assert error.problems and all("\n" not in str(problem) for problem in error.problems)
            return
    names = {spec.name for spec in desired.datapoints.values()}
    assert {"kept"} | _declared_names(text) <= names


@pytest.mark.parametrize("budget", BUDGETS)
def test_any_manifest_is_a_desired_state_or_its_problems(budget: settings) -> None:
    budget(given(manifest_texts())(check_manifest))()


# ------------------------------------------------------------------ plan files


def _real_plan_document() -> dict[str, Any]:
    desired = desired_state([DatapointSpec("sale", url="https://shop.example.com/", group="spring",
                                           tags=frozenset({"news"}), password=Secret("pw", env="SALE_PASSWORD")),
                             DatapointSpec("view", type="pixel")],
                            groups=[GroupSpec("spring", prune=True)])
    live = LiveState(groups={1: LiveGroup(1, "spring")},
                     datapoints={2: LiveDatapoint(2, "old", "link", url="https://x.example/", group="spring")})
    return dataclasses.replace(plan_changes(desired, live), target="target: fuzz").to_document()


REAL_PLAN = _real_plan_document()


def _paths(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [path]
    if isinstance(value, dict):
        found += [p for key, item in value.items() for p in _paths(item, (*path, key))]
    elif isinstance(value, list):
        found += [p for index, item in enumerate(value) for p in _paths(item, (*path, index))]
    return found


@st.composite
def plan_documents(draw: st.DrawFn) -> Any:
    """A real saved plan with a few of its values replaced or removed, or any JSON value."""
    if draw(st.integers(0, 9)) == 0:
        return draw(VALUES)
    document = json.loads(json.dumps(REAL_PLAN))
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(_paths(document)[1:]))
        parent = document
        for step in path[:-1]:
            parent = parent[step]
        if isinstance(parent, dict) and draw(st.booleans()):
            del parent[path[-1]]
        else:
            parent[path[-1]] = draw(VALUES)
    return document


def check_plan(document: Any) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder, "plan.json")
        path.write_text(json.dumps(document), encoding="utf-8")
        try:
            plan = read_plan(str(path))
        except ReconcilerError as error:
            assert "\n" not in str(error)
            return
    for render in (PlanText(color=True), PlanMarkdown()):
        render.render(plan)
    for check in (lambda: PlanJson().render(plan), lambda: check_secrets(plan, {}),
                  lambda: check_operations(plan, {}), lambda: plan.refusals(force=False, allow_active=False)):
        with contextlib.suppress(ReconcilerError):
            check()


@pytest.mark.parametrize("budget", BUDGETS)
def test_any_plan_file_is_a_plan_or_one_error(budget: settings) -> None:
    budget(given(plan_documents())(check_plan))()
