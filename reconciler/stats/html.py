"""A stats report as one self-contained HTML page: inline CSS and SVG, nothing fetched.

The page forbids itself every fetch and script (a Content-Security-Policy
meta), so it reads the same offline, as a CI artifact or attached to an
e-mail. Colours are CSS variables with a dark set under
`prefers-color-scheme: dark` and a plain one for print.
"""

from __future__ import annotations

from html import escape

from reconciler import __version__
from reconciler.stats.overview import Overview, SeriesLine
from reconciler.stats.overview_views import (
    chart_steps,
    conversions_table,
    describe_series,
    groups_table,
    headline,
    overview_stale_table,
    set_series_table,
    top_links_table,
    total_cells,
)
from reconciler.stats.svg_charts import WIDTH, bar_chart, time_chart
from reconciler.stats.table import Tabular, format_cell

STYLE = """
:root { color-scheme: light dark; --ink: #1b1f24; --muted: #59636e; --line: #d1d9e0; --paper: #ffffff;
  --tile: #f6f8fa; --clicks: #2f6fdd; --uniques: #d4581a; --top: #1a7f64; }
@media (prefers-color-scheme: dark) { :root { --ink: #e6edf3; --muted: #9198a1; --line: #3d444d;
  --paper: #0d1117; --tile: #161b22; --clicks: #5d9cf5; --uniques: #f0883e; --top: #3fb98f; } }
@media print { :root { --ink: #000; --muted: #444; --paper: #fff; --tile: #fff; }
  body { margin: 0; max-width: none; } details { display: none; }
  section, figure, table { break-inside: avoid; } }
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink);
  background: var(--paper); max-width: 60rem; margin: 2rem auto; padding: 0 1rem; }
h1 { font-size: 1.6rem; margin: 0 0 .25rem; } h2 { font-size: 1.2rem; margin: 2rem 0 .5rem; }
h3 { font-size: 1rem; margin: 1rem 0 .25rem; }
.meta, .note, figcaption, footer { color: var(--muted); font-size: .9rem; }
.totals { display: grid; grid-template-columns: repeat(auto-fit, minmax(10rem, 1fr)); gap: .75rem; margin: 0; }
.totals div { background: var(--tile); border: 1px solid var(--line); border-radius: 6px; padding: .75rem 1rem; }
.totals dt { color: var(--muted); font-size: .85rem; } .totals dd { margin: 0; font-size: 1.6rem; font-weight: 600; }
figure { margin: 1rem 0; }
.groups { display: grid; grid-template-columns: repeat(auto-fit, minmax(24rem, 1fr)); gap: 0 1.5rem; }
h4 { margin: .5rem 0 0; font-size: .95rem; } .chart-svg { width: 100%; height: auto; display: block; }
.chart-svg text { fill: var(--ink); font-size: 11px; } .chart-svg .axis-title { fill: var(--muted); font-size: 12px; }
.chart-svg .grid { stroke: var(--line); stroke-width: 1; } .chart-svg .axis { stroke: var(--muted); stroke-width: 1; }
.bar.clicks { fill: var(--clicks); } .bar.top { fill: var(--top); }
.line.uniques { fill: none; stroke: var(--uniques); stroke-width: 2; } .point.uniques { fill: var(--uniques); }
.key { display: inline-block; width: .8em; height: .8em; margin: 0 .3em 0 .8em; vertical-align: -.05em; }
.key.clicks { background: var(--clicks); } .key.uniques { background: var(--uniques); border-radius: 50%; }
table { border-collapse: collapse; width: 100%; margin: .5rem 0; font-size: .9rem; }
caption { text-align: left; color: var(--muted); padding-bottom: .25rem; }
th, td { padding: .3rem .6rem; border-bottom: 1px solid var(--line); text-align: left; }
th.num, td.num { text-align: right; font-variant-numeric: tabular-nums; } tfoot td { font-weight: 600; }
summary { cursor: pointer; color: var(--muted); }
"""
CSP = "default-src 'none'; style-src 'unsafe-inline'"
SMALL_CHART_WIDTH = 440


def html_table(data: Tabular) -> str:
    """A `Tabular` as a table: its title as caption, numbers to the right, totals in the foot."""
    def cells(row: dict[str, object] | None, tag: str) -> str:
        row = row or {}
        return "<tr>" + "".join(
            f'<{tag}{" class=num" if column.numeric else ""}>{escape(format_cell(row.get(column.key)))}</{tag}>'
            for column in data.columns) + "</tr>"

    head = "<tr>" + "".join(f'<th scope="col"{" class=num" if column.numeric else ""}>{escape(column.title)}</th>'
                            for column in data.columns) + "</tr>"
    body = [cells(dict(row), "td") for row in data.rows] or [
        f'<tr><td colspan="{len(data.columns)}">(none)</td></tr>']
    foot = f"<tfoot>{cells(dict(data.totals), 'td')}</tfoot>" if data.totals is not None else ""
    notes = "".join(f'<p class="note">{escape(note)}</p>' for note in data.notes)
    return (f"<table><caption>{escape(data.title)}</caption><thead>{head}</thead>"
            f"<tbody>{''.join(body)}</tbody>{foot}</table>{notes}")


class StatsHtml:
    """`render(overview)`: the whole page as one string."""

    def render(self, overview: Overview) -> str:
        sections = [self._totals(overview), self._series(overview), self._top_links(overview),
                    self._conversions(overview), self._stale(overview)]
        title = f"ClickMeter statistics, {headline(overview)}"
        return "\n".join([
            "<!doctype html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            '<meta name="color-scheme" content="light dark">',
            f'<meta http-equiv="Content-Security-Policy" content="{CSP}">',
            f"<title>{escape(title)}</title>", f"<style>{STYLE}</style>", "</head>", "<body>",
            "<header><h1>ClickMeter statistics</h1>",
            (f'<p class="meta">{escape(headline(overview))}; {escape(overview.target)}; '
             f"as of {overview.today.isoformat()}</p></header>"),
            *sections,
            f"<footer>clickmeter-reconciler {escape(__version__)}</footer>", "</body>", "</html>", ""])

    @staticmethod
    def _totals(overview: Overview) -> str:
        tiles = "".join(f'<div><dt>{escape(label)}</dt><dd data-total="{key}">{escape(shown)}</dd></div>'
                        for key, label, shown in total_cells(overview))
        rows = overview.report.rows
        live = sum(1 for row in rows if row.live)
        missing = ", ".join(row.name for row in overview.report.missing)
        note = f"{len(rows)} declared datapoints, {live} live" + (f"; not live: {missing}" if missing else "")
        return (f'<section aria-labelledby="totals"><h2 id="totals">Totals</h2>'
                f'<dl class="totals">{tiles}</dl><p class="note">{escape(note)}</p></section>')

    @staticmethod
    def _figure(index: int, line: SeriesLine, grouping: str) -> str:
        """The set's chart (index 0) full width, each group's a small one."""
        steps = chart_steps(line, grouping)
        description = describe_series(line, grouping)
        svg = time_chart(f"series{index}", f"Clicks by {grouping}: {line.label}", description, steps, grouping,
                         width=SMALL_CHART_WIDTH if index else WIDTH)
        return (f'<figure class="chart" data-series="{escape(line.label)}" data-periods="{len(steps)}">'
                f"<h4>{escape(line.label)}</h4>{svg}"
                f'<figcaption><span class="key clicks"></span>clicks (bars)'
                f'<span class="key uniques"></span>unique clicks (line). {escape(description)}</figcaption>'
                f"</figure>")

    def _series(self, overview: Overview) -> str:
        figures = self._figure(0, overview.series[0], overview.grouping)
        groups = "".join(self._figure(index, line, overview.grouping)
                         for index, line in enumerate(overview.series) if index)
        tables = html_table(set_series_table(overview))
        if groups:
            figures += f'<h3>By group</h3><div class="groups">{groups}</div>'
            tables += html_table(groups_table(overview))
        return (f'<section aria-labelledby="series"><h2 id="series">Clicks over time</h2>{figures}'
                f"<details><summary>The figures as tables</summary>{tables}</details></section>")

    @staticmethod
    def _top_links(overview: Overview) -> str:
        bars = [(row.name, row.figures.clicks) for row in overview.top_links]
        listed = ", ".join(f"{name} {clicks:,}" for name, clicks in bars) or "none"
        svg = bar_chart("top", "Top links by clicks", f"Clicks per link, most first: {listed}.",
                        bars, "clicks") if bars else ""
        return (f'<section aria-labelledby="top"><h2 id="top">Top links</h2>'
                f'<figure class="chart" data-bars="{len(bars)}">{svg}</figure>'
                f"{html_table(top_links_table(overview))}</section>")

    @staticmethod
    def _conversions(overview: Overview) -> str:
        return (f'<section aria-labelledby="conversions"><h2 id="conversions">Conversions per link</h2>'
                f"{html_table(conversions_table(overview))}</section>")

    @staticmethod
    def _stale(overview: Overview) -> str:
        return (f'<section aria-labelledby="stale"><h2 id="stale">Stale datapoints</h2>'
                f"{html_table(overview_stale_table(overview))}</section>")

