"""Whatever the bytes in a manifest file, loading gives a state or one clean ManifestError."""

from __future__ import annotations

import string
import tempfile
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciler.manifests import ManifestError, load_manifests
from reconciler.model import DesiredState

from .test_schema import DOCUMENTS, KEYS

YAML_ALPHABET = string.ascii_letters[:8] + string.digits[:4] + " -:[]{},&*!|>'\"#%@`?\n\t\\.<"
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def load_bytes(data: bytes) -> None:
    """Load `data` as the only manifest; anything but a state or a ManifestError fails the test."""
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "manifest.yaml"
        path.write_bytes(data)
        try:
            assert isinstance(load_manifests([str(path)]), DesiredState)
        except ManifestError as error:
            assert error.problems
            for problem in error.problems:
                assert problem.location.file == str(path) and problem.location.line >= 1
                assert "\n" not in str(problem)


@SETTINGS
@given(st.text(alphabet=YAML_ALPHABET, max_size=120))
def test_yaml_like_text_never_escapes_as_another_error(text: str) -> None:
    load_bytes(text.encode())


@SETTINGS
@given(st.text(max_size=80))
def test_any_unicode_text_never_escapes_as_another_error(text: str) -> None:
    load_bytes(text.encode("utf-8", "surrogatepass"))


@SETTINGS
@given(st.binary(max_size=80))
def test_any_bytes_never_escape_as_another_error(data: bytes) -> None:
    load_bytes(data)


@SETTINGS
@given(st.dictionaries(st.sampled_from(KEYS[:6]), DOCUMENTS, max_size=4),
       st.sampled_from([None, "'", '"', "|"]), st.booleans())
def test_structured_yaml_never_escapes_as_another_error(document: dict[str, Any], style: str | None,
                                                        flow: bool) -> None:
    load_bytes(yaml.safe_dump(document, default_style=style, default_flow_style=flow).encode())


NAMES = st.sampled_from(["a", "b", "Spring", "spring"])
ITEMS = st.fixed_dictionaries({"name": NAMES}, optional={
    "type": st.sampled_from(["link", "pixel"]), "url": st.sampled_from(["https://x.example.com/", "x"]),
    "group": NAMES, "tags": st.lists(NAMES, max_size=2), "conversions": st.lists(NAMES, max_size=6),
    "renamed_from": st.lists(NAMES, max_size=2), "id": st.integers(0, 2), "redirect": st.just("permanent"),
    "password": st.just({"env": "P"})})


@SETTINGS
@given(st.lists(st.fixed_dictionaries({}, optional={
    "settings": st.fixed_dictionaries({}, optional={"default_group": NAMES}),
    "defaults": st.fixed_dictionaries({}, optional={"type": st.sampled_from(["link", "pixel"]),
                                                     "tags": st.lists(NAMES, max_size=2), "group": NAMES}),
    "groups": st.lists(st.fixed_dictionaries({"name": NAMES}), max_size=2),
    "conversions": st.lists(st.fixed_dictionaries({"name": NAMES}), max_size=2),
    "datapoints": st.lists(ITEMS, max_size=4)}), min_size=1, max_size=3))
def test_nearly_valid_manifests_over_several_files(documents: list[dict[str, Any]]) -> None:
    """Reaches the cross-file checks: duplicates, renames, settings, case mismatches."""
    with tempfile.TemporaryDirectory() as directory:
        for index, document in enumerate(documents):
            (Path(directory) / f"m{index}.yaml").write_text(yaml.safe_dump(document))
        try:
            desired = load_manifests([directory])
        except ManifestError as error:
            assert error.problems == sorted(error.problems, key=lambda problem: problem.sort_key())
        else:
            assert len(desired.files) == len(documents)
