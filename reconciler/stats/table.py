"""`stats` output: one tabular shape, printed as an aligned table, CSV or JSON.

Every `stats` mode (summary, series, stale, hits, report) first becomes a
`Tabular` (columns, rows of raw values, an optional totals row), so the three
formats are written once and agree with each other. Tables are for people
(a bar column on a terminal); CSV and JSON keep raw values for machines.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from reconciler.terminal import BAR_WIDTH, clipped

BAR_BLOCKS = " ▏▎▍▌▋▊▉█"
MAX_CELL = 80  # characters of one text cell: a 2,000-character referrer would stretch every row


@dataclass(frozen=True, slots=True)
class Column:
    key: str
    title: str
    numeric: bool = False


@dataclass(slots=True)
class Tabular:
    """Rows of raw values under named columns; `bar` names the column a bar scales."""

    title: str
    columns: Sequence[Column]
    rows: list[Mapping[str, Any]]
    totals: Mapping[str, Any] | None = None
    bar: str | None = None
    notes: list[str] = field(default_factory=list)


def format_cell(value: Any) -> str:
    """A value as a person reads it: `-` for nothing, two decimals for money, text escaped
    for the terminal and clipped."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:,.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return clipped(value, MAX_CELL)  # referrers, browsers, names: from outside


def plain_value(value: Any) -> Any:
    """A value as JSON and CSV carry it: dates in ISO 8601, the rest unchanged."""
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return value


def draw_bar(value: float, largest: float) -> str:
    """A bar of up to `BAR_WIDTH` cells, in eighths, proportional to `largest`."""
    if largest <= 0 or value <= 0:
        return ""
    eighths = max(1, round(value / largest * BAR_WIDTH * 8))
    full, rest = divmod(eighths, 8)
    return BAR_BLOCKS[-1] * full + (BAR_BLOCKS[rest] if rest else "")


def render_table(data: Tabular, *, bars: bool = False) -> str:
    """Aligned columns, numbers to the right, the totals under a rule."""
    header = {column.key: column.title for column in data.columns}
    body = [{column.key: format_cell(row.get(column.key)) for column in data.columns}
            for row in data.rows]
    footer = ([{column.key: format_cell(data.totals.get(column.key)) for column in data.columns}]
              if data.totals is not None else [])
    widths = {column.key: max(len(line[column.key]) for line in [header, *body, *footer])
              for column in data.columns}

    def line(cells: Mapping[str, str]) -> str:
        return "  ".join(cells[column.key].rjust(widths[column.key]) if column.numeric
                         else cells[column.key].ljust(widths[column.key])
                         for column in data.columns).rstrip()

    lines = [data.title, line(header)]
    bar_values = [float(row.get(data.bar) or 0) for row in data.rows] if bars and data.bar else []
    largest = max(bar_values, default=0.0)
    for index, cells in enumerate(body):
        text = line(cells)
        if bar_values:
            text = f"{text.ljust(len(line(header)))}  {draw_bar(bar_values[index], largest)}".rstrip()
        lines.append(text)
    if not data.rows:
        lines.append("(none)")
    if footer:
        lines.append("-" * len(line(header)))
        lines.append(line(footer[0]))
    lines.extend(data.notes)
    return "\n".join(lines) + "\n"


def render_csv(data: Tabular) -> str:
    """A header of column keys, the rows, then the totals row when there is one."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([column.key for column in data.columns])
    for row in [*data.rows, *([data.totals] if data.totals is not None else [])]:
        writer.writerow(["" if row.get(column.key) is None else plain_value(row.get(column.key))
                         for column in data.columns])
    return out.getvalue()


def render_json(data: Tabular, meta: Mapping[str, Any]) -> str:
    """`meta` (target, timeframe, ...), the rows and the totals as one object."""
    payload: dict[str, Any] = dict(meta)
    payload["rows"] = [{column.key: plain_value(row.get(column.key)) for column in data.columns}
                       for row in data.rows]
    if data.totals is not None:
        payload["totals"] = {column.key: plain_value(data.totals.get(column.key))
                             for column in data.columns if column.key in data.totals}
    return json.dumps(payload, indent=2) + "\n"


def render(data: Tabular, output_format: str, meta: Mapping[str, Any], *, bars: bool = False) -> str:
    """The one entry point: `table`, `csv` or `json`."""
    if output_format == "csv":
        return render_csv(data)
    if output_format == "json":
        return render_json(data, meta)
    return render_table(data, bars=bars)
