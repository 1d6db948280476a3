"""Each bad manifest under bad/ gives exactly the problems in its .expected file.

A case is a file (`X.yaml`) or a directory of files (`X/`), loaded by its path
relative to bad/, so the expected lines hold the paths as a user would give them.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.manifests import ManifestError, load_manifests

BAD = Path(__file__).parent / "bad"
CASES = sorted(path.stem for path in BAD.glob("*.expected"))


def case_path(name: str) -> str:
    directory = BAD / name
    return name if directory.is_dir() else next(path.name for path in BAD.glob(f"{name}.*")
                                                 if path.suffix != ".expected")


def test_the_corpus_is_large_enough() -> None:
    assert len(CASES) >= 30


@pytest.mark.parametrize("name", CASES)
def test_bad_manifest_reports_exactly_its_problems(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(BAD)
    with pytest.raises(ManifestError) as raised:
        load_manifests([case_path(name)])
    expected = (BAD / f"{name}.expected").read_text().splitlines()
    assert [str(problem) for problem in raised.value.problems] == expected
    assert str(raised.value).splitlines() == expected
