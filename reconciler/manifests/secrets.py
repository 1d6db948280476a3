"""Link passwords: named in manifests by environment variable, read only when needed.

The loader never reads the environment (validate is offline and the digest
depends on the files alone): it records an `EnvPassword` naming the variable.
`plan` and `apply` call `resolve_secrets` before comparing with the account.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from reconciler.manifests.problems import ManifestError, Problem
from reconciler.model import DesiredState, Secret


class EnvPassword(Secret):
    """A password still to be read from the environment variable `env`."""

    __slots__ = ("optional",)

    def __init__(self, env: str, optional: bool = False) -> None:
        super().__init__("", env=env)
        self.optional = optional


def resolve_secrets(desired: DesiredState, environ: Mapping[str, str] | None = None) -> list[str]:
    """Fill every declared password from the environment, in place.

    A required variable that is unset or empty is a `ManifestError` naming the
    file:line:col and the variable (never a value). An `optional: true` one that
    is unset leaves the password undeclared (kept as live); the returned notes
    say which, for the plan to show.
    """
    environ = os.environ if environ is None else environ
    problems: list[Problem] = []
    notes: list[str] = []
    for spec in desired.datapoints.values():
        password = spec.password
        if not isinstance(password, EnvPassword):
            continue
        value = environ.get(password.env or "", "")
        where = spec.locations["password"]
        if value:
            spec.password = Secret(value, env=password.env)
        elif password.optional:
            spec.password = None
            notes.append(f"{where}: password of {spec.name!r} not managed: "
                         f"environment variable {password.env} is not set")
        else:
            problems.append(Problem(where, "password",
                                    f"environment variable {password.env} is not set (or empty); "
                                    f"export it with the password of {spec.name!r}"))
    if problems:
        raise ManifestError(problems)
    return notes
