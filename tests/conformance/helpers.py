"""The recorded exchanges with the live service (`tests/recorded/gem-2015.json`), and shape comparison.

A copy of `../shared/clickmeter/recorded/gem-2015.json`: 70 request/answer
pairs from the Ruby gem's test cassettes (March 2015). `shape_problems`
compares two JSON answers by shape: the same keys present and absent at every
level, numbers where the recording has numbers, text where it has text.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

RECORDING = Path(__file__).resolve().parents[1] / "recorded" / "gem-2015.json"


@dataclass(frozen=True)
class Exchange:
    """One recorded request and the live service's answer."""

    name: str
    method: str
    path: str  # with its query string, as recorded
    body: Any
    status: int
    answer: Any


def exchanges() -> list[Exchange]:
    """Every recorded exchange, in the file's order."""
    recorded = json.loads(RECORDING.read_text())["exchanges"]
    return [Exchange(item["name"], item["request"]["method"], item["request"]["path"],
                     item["request"]["body"], item["response"]["status"], item["response"]["body"])
            for item in recorded]


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "text"
    if value is None:
        return "null"
    return "list" if isinstance(value, list) else "object"


def shape_problems(recorded: Any, ours: Any, ignored: frozenset[str] = frozenset(),
                   where: str = "$") -> list[str]:
    """How `ours` differs in shape from `recorded` ([] when alike); keys in `ignored` are skipped."""
    if _kind(recorded) != _kind(ours):
        return [f"{where}: {_kind(ours)} where the recording has {_kind(recorded)}"]
    if isinstance(recorded, dict):
        problems = [f"{where}: {sorted(keys)} {label}" for keys, label in (
            (set(recorded) - set(ours) - ignored, "missing"), (set(ours) - set(recorded) - ignored, "extra"))
            if keys]
        for key in (set(recorded) & set(ours)) - ignored:
            problems += shape_problems(recorded[key], ours[key], ignored, f"{where}.{key}")
        return problems
    if isinstance(recorded, list):
        if len(recorded) != len(ours):
            return [f"{where}: {len(ours)} items where the recording has {len(recorded)}"]
        return [problem for index, (mine, theirs) in enumerate(zip(recorded, ours, strict=True))
                for problem in shape_problems(mine, theirs, ignored, f"{where}[{index}]")]
    return []
