"""Helpers for the manifests tests: write manifest files under a temporary directory."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

WriteManifest = Callable[[str, str], Path]


@pytest.fixture
def write_manifest(tmp_path: Path) -> WriteManifest:
    """write_manifest("campaigns/a.yaml", text) -> the file's path (folders created)."""

    def write(relative: str, text: str) -> Path:
        path = tmp_path / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        return path

    return write
