"""The report renderers on hand-made overviews: names are text, never markup."""

from __future__ import annotations

from datetime import date

from reconciler.stats.html import StatsHtml
from reconciler.stats.markdown import StatsMarkdown
from reconciler.stats.overview import Overview, SeriesLine
from reconciler.stats.results import DatapointStats, Figures, Period, StatsReport

HOSTILE = '<img src=x onerror=alert(1)>|"&'
FIGURES = Figures(clicks=3, uniques=2, conversions=1, value=5.0)


def overview() -> Overview:
    row = DatapointStats(HOSTILE, "link", 1, FIGURES, None)
    periods = [Period(date(2026, 11, 26), Figures()), Period(date(2026, 11, 27), FIGURES)]
    return Overview(target="target: local (x.db)", timeframe="last7", grouping="day", group=None,
                    today=date(2026, 11, 27), report=StatsReport([row], FIGURES),
                    series=[SeriesLine("all declared datapoints", periods), SeriesLine(HOSTILE, periods)],
                    stale=[row], stale_days=30)


def test_html_escapes_names_everywhere() -> None:
    page = StatsHtml().render(overview())
    assert "<img" not in page
    assert page.count("&lt;img src=x onerror=alert(1)&gt;|&quot;&amp;") >= 5  # chart, tables, stale
    assert page.count('data-series="') == 2


def test_markdown_keeps_names_out_of_markup_and_out_of_the_table_columns() -> None:
    text = StatsMarkdown().render(overview())
    assert "<img" not in text
    assert "| &lt;img src=x onerror=alert(1)&gt;\\|\"&amp; | 3 | 2 | 1 | 5.00 | - |" in text  # top links
