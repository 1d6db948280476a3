"""Problems found in manifests, and the one error that carries all of them.

Every check appends `Problem`s instead of raising, so that `validate` reports
everything wrong at once; the loader raises a single `ManifestError` at the end.
"""

from __future__ import annotations

from dataclasses import dataclass

from reconciler.errors import ReconcilerError
from reconciler.model import Location
from reconciler.terminal import MAX_LINE, clipped

MAX_SHOWN_PROBLEMS = 200  # printed one per line; the rest are counted ("... and N more")


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
        """One line whatever the file name, key or value holds (`terminal.clipped`)."""
        return clipped(f"{self.location}: {self.field}: {self.message}", MAX_LINE)


class ManifestError(ReconcilerError):
    """The manifests are invalid; `problems` lists every problem, by file and line."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(problems, key=Problem.sort_key)
        super().__init__("\n".join(self.shown_lines()))

    def shown_lines(self) -> list[str]:
        """The first MAX_SHOWN_PROBLEMS problems, then how many more there are: 100,000
        problems printed whole would bury the first ones, which usually explain the rest."""
        lines = [str(problem) for problem in self.problems[:MAX_SHOWN_PROBLEMS]]
        hidden = len(self.problems) - MAX_SHOWN_PROBLEMS
        return [*lines, f"... and {hidden} more"] if hidden > 0 else lines

    lines = shown_lines


def field_path(path: tuple[str | int, ...]) -> str:
    """`("datapoints", 3, "url")` -> `datapoints[3].url`; the empty path is `document`."""
    text = ""
    for step in path:
        text += f"[{step}]" if isinstance(step, int) else (f".{step}" if text else str(step))
    return text or "document"
