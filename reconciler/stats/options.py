"""The `stats` command's options, checked together into one `StatsRequest`.

Click hands the options over as plain text so that every bad value or
combination (a custom timeframe without its days, two modes at once, an
option that does not apply) becomes one `StatsError` line and exit status 1,
as every other input error of the tool.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from reconciler.apishapes import DAY_FORMAT, TIMEFRAMES
from reconciler.stats.results import StatsError

HIT_TIMEFRAMES = (
    "yesterday", "last7", "last30", "lastmonth", "currentmonth", "previousmonth",
    "last90", "last120", "last180", "custom",
)
"""The hits endpoint knows fewer timeframes than the aggregated ones."""

SERIES_GROUPINGS = ("day", "week", "month")
SORT_KEYS = ("clicks", "uniques", "conversions", "name")
HIT_FILTERS = ("spiders", "uniques", "nonuniques", "conversions")
REPORT_TYPES = (
    "browsers", "browsersfamilies", "platforms", "cities", "countries", "keywords",
    "referrers", "convparameters", "destinations", "languages", "params",
)
OUTPUT_FORMATS = ("table", "csv", "json", "html", "markdown")
REPORT_FORMATS = ("html", "markdown")
"""Formats that show a whole overview (totals, series, top links, stale) in one page."""
DEFAULT_TIMEFRAME = "last30"
DEFAULT_HITS_LIMIT = 50
DEFAULT_STALE_DAYS = 30


@dataclass(frozen=True, slots=True)
class Timeframe:
    """A timeframe as the API takes it: a name, and two days when `custom`."""

    name: str
    from_day: date | None = None
    to_day: date | None = None

    def days(self) -> dict[str, str]:
        """`fromDay`/`toDay` for a custom timeframe, nothing otherwise."""
        if self.from_day and self.to_day:
            return {"fromDay": self.from_day.strftime(DAY_FORMAT),
                    "toDay": self.to_day.strftime(DAY_FORMAT)}
        return {}

    def describe(self) -> str:
        if self.from_day and self.to_day:
            return f"{self.from_day.isoformat()}..{self.to_day.isoformat()}"
        return self.name


def parse_day(text: str, option: str) -> date:
    """A YYYYMMDD day, or the YYYY-MM-DD the CSV and JSON print; else one line naming the
    option and the bad value."""
    try:
        if len(text) == len("YYYY-MM-DD") and text[4] == text[7] == "-":
            return date.fromisoformat(text)
        return datetime.strptime(text, DAY_FORMAT).date()
    except ValueError:
        raise StatsError(f"{option} {text!r}: expected a day as YYYYMMDD or YYYY-MM-DD") from None


def parse_timeframe(name: str, from_text: str | None, to_text: str | None) -> Timeframe:
    """Check the --timeframe/--from/--to combination: `custom` needs both days."""
    if name != "custom":
        if from_text or to_text:
            raise StatsError("--from and --to need --timeframe custom")
        return Timeframe(name)
    if not (from_text and to_text):
        raise StatsError("--timeframe custom needs both --from YYYYMMDD and --to YYYYMMDD")
    from_day, to_day = parse_day(from_text, "--from"), parse_day(to_text, "--to")
    if from_day > to_day:
        raise StatsError(f"--from {from_text} is after --to {to_text}")
    return Timeframe(name, from_day, to_day)


@dataclass(frozen=True, slots=True)
class StatsRequest:
    """What one `stats` run shows: `mode` is summary, series, stale, hits, report, or
    overview (every view at once, for the HTML and Markdown reports)."""

    mode: str
    timeframe: Timeframe
    output_format: str = "table"
    group: str | None = None
    sort: str = "clicks"
    grouping: str | None = None
    stale_days: int | None = None
    name: str | None = None
    hit_filter: str | None = None
    hits_limit: int = DEFAULT_HITS_LIMIT
    report_type: str | None = None


def choose(value: str | None, choices: Iterable[str], option: str) -> str | None:
    """`value` if it is one of `choices` (any case), else one line listing them."""
    if value is None:
        return None
    allowed = tuple(choices)
    if value.lower() not in allowed:
        raise StatsError(f"{option} {value!r}: expected one of {', '.join(allowed)}")
    return value.lower()


MODE_OPTIONS = {"--by": "series", "--stale": "stale", "--hits": "hits", "--report": "report"}
OPTION_MODES = {  # the options that apply to some modes only
    "--filter": ("hits",), "--limit": ("hits",), "--type": ("report",),
    "--sort": ("summary",), "--group": ("summary", "series", "stale"),
}


def parse_count(text: str | None, option: str) -> int | None:
    """A whole number of 1 or more (days, events), or one line naming the option."""
    if text is None:
        return None
    if not text.strip().isdigit() or int(text) < 1:
        raise StatsError(f"{option} {text!r}: expected a whole number, 1 or more")
    return int(text)


def parse_request(*, timeframe: str | None, from_day: str | None, to_day: str | None,
                  output_format: str, group: str | None, sort: str | None, by: str | None,
                  stale: str | None, hits: str | None, hit_filter: str | None, limit: str | None,
                  report: str | None, report_type: str | None) -> StatsRequest:
    """Check the options of one run (named as the command's parameters) together;
    any bad combination is one line."""
    output_format = choose(output_format, OUTPUT_FORMATS, "--format") or "table"
    if output_format in REPORT_FORMATS:
        return parse_overview(output_format, timeframe=timeframe, from_day=from_day, to_day=to_day,
                              group=group, by=by, stale=stale,
                              others={"--sort": sort, "--hits": hits, "--filter": hit_filter,
                                      "--limit": limit, "--report": report, "--type": report_type})
    chosen = [option for option, value in
              {"--by": by, "--stale": stale, "--hits": hits, "--report": report}.items()
              if value is not None]
    if len(chosen) > 1:
        raise StatsError(f"{' and '.join(chosen)} cannot be combined: choose one")
    mode = MODE_OPTIONS[chosen[0]] if chosen else "summary"
    given = {"--filter": hit_filter, "--limit": limit, "--type": report_type, "--sort": sort,
             "--group": group}
    for option, value in given.items():
        if value is not None and mode not in OPTION_MODES[option]:
            shown = chosen[0] if chosen else "the summary"
            raise StatsError(f"{option} does not apply to {shown}")
    if mode == "stale" and (timeframe or from_day or to_day):
        raise StatsError("--stale looks at all time: drop --timeframe/--from/--to")
    if mode == "report" and report_type is None:
        raise StatsError(f"--report needs --type ({', '.join(REPORT_TYPES)})")
    name = choose(timeframe, TIMEFRAMES, "--timeframe") or DEFAULT_TIMEFRAME
    if mode == "hits" and name not in HIT_TIMEFRAMES:
        raise StatsError(f"--hits --timeframe {name!r}: the hits endpoint takes {', '.join(HIT_TIMEFRAMES)}")
    return StatsRequest(
        mode=mode,
        timeframe=Timeframe("beginning") if mode == "stale" else parse_timeframe(name, from_day, to_day),
        output_format=output_format,
        group=group,
        sort=choose(sort, SORT_KEYS, "--sort") or "clicks",
        grouping=choose(by, SERIES_GROUPINGS, "--by"),
        stale_days=parse_count(stale, "--stale"),
        name=hits or report,
        hit_filter=choose(hit_filter, HIT_FILTERS, "--filter"),
        hits_limit=parse_count(limit, "--limit") or DEFAULT_HITS_LIMIT,
        report_type=choose(report_type, REPORT_TYPES, "--type"),
    )


def parse_overview(output_format: str, *, timeframe: str | None, from_day: str | None,
                   to_day: str | None, group: str | None, by: str | None, stale: str | None,
                   others: dict[str, str | None]) -> StatsRequest:
    """A report's options: the timeframe, `--group`, `--by` (default day) and `--stale`
    (the idle days that make a link stale, default 30); the one-datapoint options do not apply."""
    for option, value in others.items():
        if value is not None:
            raise StatsError(f"{option} does not apply to --format {output_format}")
    name = choose(timeframe, TIMEFRAMES, "--timeframe") or DEFAULT_TIMEFRAME
    return StatsRequest(
        mode="overview",
        timeframe=parse_timeframe(name, from_day, to_day),
        output_format=output_format,
        group=group,
        grouping=choose(by, SERIES_GROUPINGS, "--by") or "day",
        stale_days=parse_count(stale, "--stale") or DEFAULT_STALE_DAYS,
    )
