"""The one error type the CLI turns into a single line and exit status 1.

Every stage raises a subclass of `ReconcilerError` for anything the user can
cause (bad input, an API answer, a refusal). Its message is one line, names the
place (file:line:col and field, or the API call and its status) and never holds
a secret. Anything else escaping to the CLI is a bug.
"""

from __future__ import annotations


class ReconcilerError(Exception):
    """A failure the user can act on; `str()` is the one line to print."""

    exit_code = 1

    def lines(self) -> list[str]:
        """The lines to print (one, except for errors that list problems)."""
        return [str(self)]
