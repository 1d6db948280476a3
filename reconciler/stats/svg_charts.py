"""Inline SVG charts for the HTML report: no script, colours from the page's CSS.

Every chart is an `<svg role="img">` with a `<title>` and a `<desc>` that
says in words what it shows (the text alternative), axes with labels and
ticks, and one `<title>` per mark for a pointer's tooltip. Marks carry
classes (`bar clicks`, `point uniques`) that the stylesheet colours, so one
chart reads in light and dark schemes and in print.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from reconciler.stats.table import format_cell

WIDTH = 720
TIME_HEIGHT = 280
LEFT, RIGHT, TOP, BOTTOM = 56, 16, 16, 72
MOST_X_LABELS = 12
BAR_ROW = 28
LABEL_WIDTH = 220
LABEL_CHARS = 32


@dataclass(frozen=True, slots=True)
class Step:
    """One period of a time chart: its label and the two figures drawn."""

    label: str
    clicks: int
    uniques: int


def nice_ceiling(largest: float) -> tuple[int, int]:
    """The axis top and tick step: a 1, 2 or 5 step times a power of ten, four ticks or so."""
    if largest <= 0:
        return 4, 1
    rough = largest / 4
    power = 10 ** math.floor(math.log10(rough)) if rough >= 1 else 1
    step = next(power * factor for factor in (1, 2, 5, 10) if power * factor >= rough)
    return step * math.ceil(largest / step), step


def _svg(chart_id: str, width: int, height: int, title: str, description: str, body: list[str]) -> str:
    return "\n".join([
        (f'<svg class="chart-svg" viewBox="0 0 {width} {height}" role="img" '
         f'aria-labelledby="{chart_id}-title {chart_id}-desc" xmlns="http://www.w3.org/2000/svg">'),
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(description)}</desc>',
        *body, "</svg>"])


def _y_axis(top_value: int, step: int, height: int, plot_right: int) -> list[str]:
    """Gridlines and tick labels from 0 to `top_value`, and the axis title."""
    plot_height = height - TOP - BOTTOM
    marks = []
    for value in range(0, top_value + 1, step):
        y = TOP + plot_height * (1 - value / top_value)
        marks.append(f'<line class="grid" x1="{LEFT}" x2="{plot_right}" y1="{y:.1f}" y2="{y:.1f}"/>')
        marks.append(f'<text class="tick" x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{value:,}</text>')
    marks.append(f'<line class="axis" x1="{LEFT}" x2="{LEFT}" y1="{TOP}" y2="{height - BOTTOM}"/>')
    marks.append(f'<line class="axis" x1="{LEFT}" x2="{plot_right}" y1="{height - BOTTOM}" '
                 f'y2="{height - BOTTOM}"/>')
    return marks


def time_chart(chart_id: str, title: str, description: str, steps: Sequence[Step], unit: str,
               width: int = WIDTH) -> str:
    """Clicks as bars and unique clicks as a line with a point per period; a narrower
    `width` draws a small chart whose text stays readable when it is shown small."""
    height, plot_right = TIME_HEIGHT, width - RIGHT
    top_value, tick = nice_ceiling(max((step.clicks for step in steps), default=0))
    band = (plot_right - LEFT) / max(len(steps), 1)
    base = height - BOTTOM

    def y_of(value: int) -> float:
        return base - (base - TOP) * value / top_value

    body = _y_axis(top_value, tick, height, plot_right)
    label_every = math.ceil(len(steps) / (MOST_X_LABELS * width // WIDTH)) or 1
    points = []
    for index, step in enumerate(steps):
        x = LEFT + band * index
        middle = x + band / 2
        body.append(f'<rect class="bar clicks" x="{x + band * 0.15:.1f}" y="{y_of(step.clicks):.1f}" '
                    f'width="{band * 0.7:.1f}" height="{base - y_of(step.clicks):.1f}">'
                    f'<title>{escape(step.label)}: {step.clicks:,} clicks</title></rect>')
        points.append((middle, y_of(step.uniques), step))
        if index % label_every == 0:
            body.append(f'<text class="tick" x="{middle:.1f}" y="{base + 14}" text-anchor="end" '
                        f'transform="rotate(-35 {middle:.1f} {base + 14})">{escape(step.label)}</text>')
    if points:
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y, _ in points)
        body.append(f'<polyline class="line uniques" points="{path}"/>')
    body += [f'<circle class="point uniques" cx="{x:.1f}" cy="{y:.1f}" r="3.5">'
             f'<title>{escape(step.label)}: {step.uniques:,} unique clicks</title></circle>'
             for x, y, step in points]
    body.append(f'<text class="axis-title" x="{(LEFT + plot_right) / 2:.0f}" y="{height - 4}" '
                f'text-anchor="middle">{escape(unit)}</text>')
    body.append(f'<text class="axis-title" x="14" y="{(TOP + base) / 2:.0f}" text-anchor="middle" '
                f'transform="rotate(-90 14 {(TOP + base) / 2:.0f})">clicks</text>')
    return _svg(chart_id, width, height, title, description, body)


def bar_chart(chart_id: str, title: str, description: str, bars: Sequence[tuple[str, int]],
              unit: str) -> str:
    """Horizontal bars, one per label, the value written at the bar's end."""
    height = TOP + BAR_ROW * max(len(bars), 1) + 40
    plot_left, plot_right = LABEL_WIDTH, WIDTH - RIGHT - 48
    largest = max((value for _, value in bars), default=0) or 1
    body = [f'<line class="axis" x1="{plot_left}" x2="{plot_left}" y1="{TOP}" y2="{height - 40}"/>']
    for index, (label, value) in enumerate(bars):
        y = TOP + BAR_ROW * index
        width = (plot_right - plot_left) * value / largest
        shown = label if len(label) <= LABEL_CHARS else label[:LABEL_CHARS - 1] + "\u2026"
        body.append(f'<text class="tick" x="{plot_left - 8}" y="{y + BAR_ROW / 2 + 4:.1f}" '
                    f'text-anchor="end">{escape(shown)}</text>')
        body.append(f'<rect class="bar top" x="{plot_left}" y="{y + 4}" width="{width:.1f}" '
                    f'height="{BAR_ROW - 8}"><title>{escape(label)}: {value:,} {escape(unit)}</title></rect>')
        body.append(f'<text class="value" x="{plot_left + width + 6:.1f}" y="{y + BAR_ROW / 2 + 4:.1f}">'
                    f'{format_cell(value)}</text>')
    body.append(f'<text class="axis-title" x="{(plot_left + plot_right) / 2:.0f}" y="{height - 12}" '
                f'text-anchor="middle">{escape(unit)}</text>')
    return _svg(chart_id, WIDTH, height, title, description, body)
