"""What valid manifests still deserve a word about: a rotation's shares, an expiry already past.

Not problems (nothing here stops `validate` or `plan`): `validate` prints the
weight notes and the expiry warnings, `plan` the expiry warnings, each one line
naming the file and line.
"""

from __future__ import annotations

import datetime

from reconciler.manifests.problems import Problem
from reconciler.model import PAUSE, DesiredState


def weight_notes(desired: DesiredState) -> list[Problem]:
    """One line per weighted rotation: the weights' sum and each url's share of the visits."""
    notes = []
    for spec in desired.datapoints.values():
        if spec.destinations is None or spec.destinations.mode != "rotate":
            continue
        weights = [entry.weight for entry in spec.destinations.entries if entry.weight is not None]
        if not weights:
            continue
        total = sum(weights)
        shares = ", ".join(f"{weight / total:.0%}" for weight in weights)
        notes.append(Problem(spec.locations["destinations"], "destinations",
                             f"{spec.name!r} rotates {len(weights)} urls by weight: the weights sum to {total} "
                             f"({shares} of the visits)"))
    return notes


def expiry_warnings(desired: DesiredState, now: datetime.datetime) -> list[Problem]:
    """One line per declared `expires.on` not after `now`: applied, the link is expired at once."""
    warnings = []
    for spec in desired.datapoints.values():
        if spec.expires is None or spec.expires.on is None or spec.absent:
            continue
        if datetime.datetime.fromisoformat(spec.expires.on) <= now:
            then = "paused" if spec.expires.then == PAUSE else f"visits sent to {spec.expires.then}"
            warnings.append(Problem(spec.locations["expires"], "expires.on",
                                    f"{spec.name!r} expires on {spec.expires.on}, already past: "
                                    f"once applied it is expired ({then})"))
    return warnings
