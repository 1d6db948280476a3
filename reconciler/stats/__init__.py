"""Statistics: what the live service counted for the declared datapoints.

`parse_request` (or `parse_overview`) checks the `stats` options into a
`StatsRequest`; `collect_text` reads the figures and renders them (table, CSV,
JSON, HTML, Markdown); `write_output` writes a report file safely.
"""

from reconciler.stats.options import StatsRequest, Timeframe, parse_overview, parse_request
from reconciler.stats.results import StatsError
from reconciler.stats.run import collect_stats, collect_text, write_output

__all__ = [
    "StatsError",
    "StatsRequest",
    "Timeframe",
    "collect_stats",
    "collect_text",
    "parse_overview",
    "parse_request",
    "write_output",
]
