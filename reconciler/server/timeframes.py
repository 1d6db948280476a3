"""Statistics windows: a `timeFrame` (with `fromDay`/`toDay` for `custom`) as whole UTC days.

Every window ends today (by the app's clock) except `yesterday`,
`previousmonth` and `lastyear`, which are whole past periods:

* `today`, `yesterday`: that one day;
* `last7` .. `last180`: the last N days, today included;
* `lastmonth`, `last12months`: from the same day one (twelve) month(s) ago, exclusive, to today;
* `currentmonth`, `currentyear`: from the 1st of the month (of January) to today;
* `previousmonth`: the whole previous calendar month; `lastyear`: the whole previous year;
* `beginning`: from the first recorded hit (the caller narrows it) to today;
* `custom`: `fromDay` (required) to `toDay` (default today), YYYYMMDD, inclusive.

`periods` splits a window into days, ISO weeks (Monday first) or calendar
months, each clipped to the window, for the `aggregated/list` answers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from starlette.requests import Request

from reconciler.apishapes import DAY_FORMAT, TIMEFRAMES
from reconciler.server.requests import parse_enum, query_day, query_text
from reconciler.server.responses import bad_request

ROLLING_DAYS = {"last7": 7, "last30": 30, "last90": 90, "last120": 120, "last180": 180}
GROUPINGS = ("day", "week", "month")
EPOCH = date(1970, 1, 1)


@dataclass(frozen=True)
class Window:
    """Whole days `first`..`last`, both included."""

    first: date
    last: date

    @property
    def start(self) -> str:
        """The first instant as YmdHis (compares as text with stored hit times)."""
        return self.first.strftime(DAY_FORMAT) + "000000"

    @property
    def end(self) -> str:
        """The last instant as YmdHis."""
        return self.last.strftime(DAY_FORMAT) + "235959"


def window_for(timeframe: str, today: date, from_day: date | None = None,
               to_day: date | None = None) -> Window:
    """The days a timeframe covers on `today` (see the module docstring)."""
    if timeframe in ROLLING_DAYS:
        return Window(today - timedelta(days=ROLLING_DAYS[timeframe] - 1), today)
    if timeframe == "custom":
        if from_day is None:
            raise bad_request("fromDay", "fromDay is required with timeFrame=custom")
        last = to_day or today
        if last < from_day:
            raise bad_request("toDay", "toDay is before fromDay")
        return Window(from_day, last)
    first_of_month = today.replace(day=1)
    previous_month_end = first_of_month - timedelta(days=1)
    windows = {
        "today": Window(today, today),
        "yesterday": Window(today - timedelta(days=1), today - timedelta(days=1)),
        "lastmonth": Window(_months_before(today, 1) + timedelta(days=1), today),
        "last12months": Window(_months_before(today, 12) + timedelta(days=1), today),
        "currentmonth": Window(first_of_month, today),
        "previousmonth": Window(previous_month_end.replace(day=1), previous_month_end),
        "currentyear": Window(date(today.year, 1, 1), today),
        "lastyear": Window(date(today.year - 1, 1, 1), date(today.year - 1, 12, 31)),
        "beginning": Window(EPOCH, today),
    }
    return windows[timeframe]


def requested_timeframe(request: Request) -> str:
    """The `timeFrame` (or `timeframe`) parameter, required, in any case."""
    raw = query_text(request, "timeFrame")
    if raw is None:
        raise bad_request("timeFrame", f"timeFrame is required: one of {', '.join(TIMEFRAMES)}")
    return parse_enum("timeFrame", raw.lower(), TIMEFRAMES)


def requested_window(request: Request, now: datetime) -> tuple[str, Window]:
    """The request's timeframe name and window, days counted by the clock's `now`."""
    timeframe = requested_timeframe(request)
    return timeframe, window_for(timeframe, now.date(), _day(request, "fromDay"),
                                 _day(request, "toDay"))


def requested_grouping(request: Request) -> str:
    """`groupBy`: day (default), week or month."""
    raw = query_text(request, "groupBy")
    return "day" if raw is None else parse_enum("groupBy", raw.lower(), GROUPINGS)


def periods(window: Window, grouping: str) -> list[Window]:
    """The window cut into consecutive days, ISO weeks or calendar months, clipped to it."""
    found = []
    first = window.first
    while first <= window.last:
        if grouping == "week":
            end = first + timedelta(days=6 - first.weekday())
        elif grouping == "month":
            end = _months_after(first.replace(day=1), 1) - timedelta(days=1)
        else:
            end = first
        found.append(Window(first, min(end, window.last)))
        first = end + timedelta(days=1)
    return found


def _day(request: Request, name: str) -> date | None:
    stamp = query_day(request, name)
    return None if stamp is None else datetime.strptime(stamp[:8], DAY_FORMAT).date()


def _months_before(day: date, months: int) -> date:
    """The same day `months` earlier, clamped to the end of a shorter month."""
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    return _clamped(year, month + 1, day.day)


def _months_after(day: date, months: int) -> date:
    return _months_before(day, -months)


def _clamped(year: int, month: int, day: int) -> date:
    while True:
        try:
            return date(year, month, day)
        except ValueError:
            day -= 1
