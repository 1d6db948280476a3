"""Which live datapoint a declared one is, shared by the planner and the statistics.

Pure and generic over the live item (the planner's `LiveDatapoint`, the
statistics' summary rows), so both follow one rule: a pinned `id:` wins, then
the name and type, then each `renamed_from` name in turn. What a miss or an
ambiguous name means is the caller's to say, in its own terms.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TypeVar

from reconciler.model import DatapointSpec

Live = TypeVar("Live")


def live_candidates(spec: DatapointSpec, by_id: Mapping[int, Live],
                    by_name: Mapping[tuple[str, str], Sequence[Live]]) -> tuple[str, Sequence[Live]]:
    """The name that matched and the live items under it (`by_name` is keyed by (type, name)).

    A pinned spec gives its live item by id, if any; otherwise the first of its
    names that is live gives every live item of its type with that name, so
    more than one means the name is ambiguous.
    """
    if spec.id is not None:
        pinned = by_id.get(spec.id)
        return spec.name, [] if pinned is None else [pinned]
    for name in (spec.name, *spec.renamed_from):
        found = by_name.get((spec.type, name), ())
        if found:
            return name, found
    return spec.name, ()
