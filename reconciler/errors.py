"""The one error type the CLI turns into a single line and exit status 1.

Every stage raises a subclass of `ReconcilerError` for anything the user can
cause (bad input, an API answer, a refusal). Its message is one line, names the
place (file:line:col and field, or the API call and its status) and never holds
a secret. Anything else escaping to the CLI is a bug.

The tree (each error's module in brackets; tests/test_package_surface.py
checks that it lists every subclass, and docs/api.md repeats it):

    ReconcilerError (reconciler.errors)
    ├── ManifestError (reconciler.manifests.problems)
    ├── ApiError (reconciler.clickmeter.errors)
    │   ├── BadRequestError (reconciler.clickmeter.errors)
    │   ├── AuthenticationError (reconciler.clickmeter.errors)
    │   ├── NotFoundError (reconciler.clickmeter.errors)
    │   ├── NameUsedError (reconciler.clickmeter.errors)
    │   ├── ConflictError (reconciler.clickmeter.errors)
    │   ├── RateLimitedError (reconciler.clickmeter.errors)
    │   ├── ServerError (reconciler.clickmeter.errors)
    │   ├── AmbiguousWriteError (reconciler.clickmeter.errors)
    │   └── TransportError (reconciler.clickmeter.errors)
    ├── TargetError (reconciler.clickmeter.errors)
    ├── WireError (reconciler.clickmeter.decoding)
    ├── LiveStateChangedError (reconciler.live.reader)
    ├── UnknownGroupError (reconciler.live.reader)
    ├── PlanningError (reconciler.plan.planner)
    │   └── UnresolvedReferencesError (reconciler.plan.planner)
    ├── PlanFileError (reconciler.plan.document)
    ├── UnknownOperationError (reconciler.plan.effects)
    ├── StalePlanError (reconciler.apply.run)
    ├── ExportError (reconciler.export.documents)
    ├── StatsError (reconciler.stats.results)
    ├── UnsafeWriteError (reconciler.safe_files)
    └── ServeError (reconciler.server.serving)
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class ReconcilerError(Exception):
    """A failure the user can act on; `str()` is the one line to print."""

    exit_code = 1

    def lines(self) -> list[str]:
        """The lines to print (one, except for errors that list problems)."""
        return [str(self)]


def did_you_mean(name: str, known: Iterable[str]) -> str:
    """` (did you mean 'paid-order'?)` when one known name is close to a mistyped one, else ""."""
    close = difflib.get_close_matches(name, sorted(set(known)), n=1, cutoff=0.75)
    return f" (did you mean {close[0]!r}?)" if close else ""
