"""Problems found in manifests, and the one error that carries all of them.

Every check appends `Problem`s instead of raising, so that `validate` reports
everything wrong at once; the loader raises a single `ManifestError` at the end.
"""

from __future__ import annotations

from dataclasses import dataclass

from reconciler.errors import ReconcilerError
from reconciler.model import Location


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong, at one place: `path:line:col: field: message`."""

    location: Location
    field: str
    message: str

    def sort_key(self) -> tuple[str, int, int, str, str]:
        where = self.location
        return (where.file, where.line, where.column, self.field, self.message)

    def __str__(self) -> str:
        return f"{self.location}: {self.field}: {self.message}"


class ManifestError(ReconcilerError):
    """The manifests are invalid; `problems` lists every problem, by file and line."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(problems, key=Problem.sort_key)
        super().__init__("\n".join(map(str, self.problems)))


def field_path(path: tuple[str | int, ...]) -> str:
    """`("datapoints", 3, "url")` -> `datapoints[3].url`; the empty path is `document`."""
    text = ""
    for step in path:
        text += f"[{step}]" if isinstance(step, int) else (f".{step}" if text else str(step))
    return text or "document"
