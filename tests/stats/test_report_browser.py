"""The HTML report opened in a real browser: headless Chromium (Debian's `chromium`).

The page is static SVG, so the DOM Chromium dumps after loading it is the
rendered page; its console log (stderr with `--enable-logging`) must stay
empty: the page's Content-Security-Policy turns any fetch or script into a
console message. A screenshot is kept under the test's tmp path.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tests.helpers import run_local

BROWSERS = ("chromium", "chromium-browser", "google-chrome")
NOVEMBER = ("--timeframe", "custom", "--from", "20261101", "--to", "20261127")
DAYS = 27


def browser() -> str:
    """The Chromium binary; a skip outside CI when there is none (CI must have one)."""
    found = next((path for path in map(shutil.which, BROWSERS) if path), None)
    if found:
        return found
    if os.environ.get("CI"):
        pytest.fail("no chromium binary on PATH in CI: .ci/run installs Debian's chromium")
    pytest.skip("no chromium binary on PATH (apt-get install chromium); CI runs this test")


def headless(binary: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([binary, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                           "--enable-logging=stderr", "--v=0", *args],
                          capture_output=True, text=True, timeout=120, check=True)


class RenderedReport(HTMLParser):
    """What the test reads off the rendered DOM: per chart figure its marks, and the totals."""

    def __init__(self) -> None:
        super().__init__()
        self.charts: list[dict[str, object]] = []
        self.totals: dict[str, str] = {}
        self._total: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        classes = (found.get("class") or "").split()
        if tag == "figure" and "data-series" in found:
            self.charts.append({"series": found["data-series"], "periods": int(found["data-periods"] or 0),
                                "bars": 0, "points": 0, "described": False})
        elif self.charts and tag == "rect" and classes == ["bar", "clicks"]:
            self.charts[-1]["bars"] += 1  # type: ignore[operator]
        elif self.charts and tag == "circle" and classes == ["point", "uniques"]:
            self.charts[-1]["points"] += 1  # type: ignore[operator]
        elif self.charts and tag == "desc":
            self.charts[-1]["described"] = True
        elif tag == "dd" and found.get("data-total"):
            self._total = found["data-total"]

    def handle_data(self, data: str) -> None:
        if self._total:
            self.totals[self._total] = data.strip()
            self._total = None


def test_the_report_renders_in_chromium_with_every_period_and_the_account_totals(
        db_path: Path, scenario_ids: dict[str, int], manifests: Path, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    binary = browser()
    page = tmp_path / "report.html"
    made = run_local(db_path, "stats", str(manifests), *NOVEMBER, "--format", "html", "--out", str(page))
    assert made.exit_code == 0, made.output
    assert made.stdout.startswith(f"wrote {page} (")
    account = json.loads(run_local(db_path, "stats", str(manifests), *NOVEMBER, "--format", "json").stdout)

    shown = headless(binary, "--dump-dom", page.as_uri())
    assert [line for line in shown.stderr.splitlines() if ":CONSOLE" in line] == []
    report = RenderedReport()
    report.feed(shown.stdout)
    assert [(chart["series"], chart["periods"], chart["bars"], chart["points"], chart["described"])
            for chart in report.charts] == [
        ("all declared datapoints", DAYS, DAYS, DAYS, True), ("spring", DAYS, DAYS, DAYS, True)]
    totals = account["totals"]
    assert report.totals == {"clicks": f"{totals['clicks']:,}", "uniques": f"{totals['uniques']:,}",
                             "conversions": f"{totals['conversions']:,}", "value": f"{totals['value']:,.2f}"}
    assert report.totals == {"clicks": "7", "uniques": "6", "conversions": "1", "value": "12.50"}

    screenshot = tmp_path / "report.png"
    headless(binary, "--hide-scrollbars", "--window-size=1100,2000", f"--screenshot={screenshot}",
             page.as_uri())
    assert screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert screenshot.stat().st_size > 20_000  # a drawn page, not a blank one
    with capsys.disabled():
        print(f"\nreport screenshot: {screenshot}")
