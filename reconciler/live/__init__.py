"""The live account, read: client answers -> one `LiveState` (the planner's other input).

`read_live_state` reads everything a plan compares (cheap summary pages first,
details only where needed); `read_details` and `read_fresh` re-read what a
plan or an apply is about to touch; `read_recent_clicks` guards deletes.
"""

from reconciler.live.clicks import read_recent_clicks
from reconciler.live.details import details_of, details_of_bodies
from reconciler.live.reader import (
    TYPE_FILTER,
    LiveStateChangedError,
    UnknownGroupError,
    read_details,
    read_live_state,
)
from reconciler.live.touched import read_fresh

__all__ = [
    "TYPE_FILTER",
    "LiveStateChangedError",
    "UnknownGroupError",
    "details_of",
    "details_of_bodies",
    "read_details",
    "read_fresh",
    "read_live_state",
    "read_recent_clicks",
]
