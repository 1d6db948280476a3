"""Statistics routes: aggregated, aggregated/list and the summary, from the recorded hits.

* `GET /datapoints/aggregated` and `/datapoints/{id}/aggregated`: one
  `AggregatedResult` for the window (`hourly=true` with today/yesterday adds
  `hourlyBreakDown`, keyed `00`..`23`);
* `GET /datapoints/aggregated/list` and `/datapoints/{id}/aggregated/list`:
  `{"entities": [AggregatedResult]}`, one per day, week or month (`groupBy`)
  of the window, zeros included, each with `activityDay` (the period's start);
* `GET /aggregated/summary/datapoints` and `/groups/{id}/aggregated/summary`:
  a page of datapoints with their statistics and, in `entityData`, the
  datapoint exactly as `GET /datapoints/{id}` answers it. Sortable by the
  datapoint fields the list endpoint takes and by every statistic.

The account-wide endpoints take the list filters (type, status, tag,
favourite, groupId, textSearch); without `status` deleted datapoints are left
out. A `beginning` window starts at the scope's first hit.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from starlette.requests import Request
from starlette.routing import BaseRoute, Route

from reconciler.server.context import account_of, store_of
from reconciler.server.datapoint_store import fetch_datapoint
from reconciler.server.hit_totals import (
    ANSWER_KEYS, Scope, Totals, bucketed_totals, first_hit_time, summary_rows, sum_totals,
)
from reconciler.server.listing import Filter, count_rows, datapoint_filter, datapoint_order
from reconciler.server.requests import (
    paging, parse_enum, parse_id, query_bool, query_text,
)
from reconciler.server.responses import JSONAnswer, bad_request, not_found
from reconciler.server.timeframes import (
    Window, periods, requested_grouping, requested_window,
)

HOURLY_TIMEFRAMES = ("today", "yesterday")
STAT_SORTS = {key.lower(): name for name, key in ANSWER_KEYS.items()} | {"lasthitdate": "last_hit"}


def clock_of(request: Request) -> datetime:
    """The app clock's now."""
    return request.app.state.settings.clock()


def statistics_filter(request: Request, account_id: int) -> Filter:
    """The list filters plus the statistics endpoints' own `favourite` and `groupId`."""
    found = datapoint_filter(request, account_id)
    favourite = query_bool(request, "favourite")
    if favourite is not None:
        found.add("d.preferred = ?", int(favourite))
    group_id = query_text(request, "groupId")
    if group_id is not None:
        found.add("d.group_id = ?", parse_id("groupId", group_id))
    return found


def owned_datapoint(request: Request, account_id: int) -> int:
    """The path's datapoint id; 404 unless it is the account's (deleted ones included)."""
    datapoint_id = request.path_params["id"]
    with store_of(request).transaction() as db:
        if db.execute("SELECT 1 FROM datapoints WHERE id = ? AND account_id = ?",
                      (datapoint_id, account_id)).fetchone() is None:
            raise not_found("datapoint", datapoint_id)
    return datapoint_id


def scoped_window(request: Request, scope: Scope) -> tuple[str, Window]:
    """The request's window; `beginning` narrowed to the scope's first hit (or today)."""
    timeframe, window = requested_window(request, clock_of(request))
    if timeframe == "beginning":
        with store_of(request).transaction() as db:
            first = first_hit_time(db, scope)
        first_day = window.last if first is None else datetime.strptime(first[:8], "%Y%m%d").date()
        window = Window(min(first_day, window.last), window.last)
    return timeframe, window


def aggregated_answer(request: Request, scope: Scope) -> dict[str, Any]:
    """One `AggregatedResult` for the scope and the request's window (and hours if asked)."""
    timeframe, window = scoped_window(request, scope)
    hourly = query_bool(request, "hourly")
    if hourly and timeframe not in HOURLY_TIMEFRAMES:
        raise bad_request("hourly", "hourly needs timeFrame today or yesterday", "true")
    with store_of(request).transaction() as db:
        total = bucketed_totals(db, scope, window, 0).get("", Totals())
        hours = bucketed_totals(db, scope, window, 10) if hourly else None
    answer = total.answer(window.start, window.end)
    if hours is not None:
        day = window.start[:8]
        answer["hourlyBreakDown"] = {
            f"{hour:02d}": {"activityDay": f"{day}{hour:02d}0000",
                            **hours.get(f"{day}{hour:02d}", Totals()).answer(
                                f"{day}{hour:02d}0000", f"{day}{hour:02d}5959")}
            for hour in range(24)}
    return answer


def list_answer(request: Request, scope: Scope, entity_id: str | None) -> dict[str, Any]:
    """`{"entities": [...]}`: the window's days, weeks or months with their totals."""
    _, window = scoped_window(request, scope)
    grouping = requested_grouping(request)
    with store_of(request).transaction() as db:
        days = bucketed_totals(db, scope, window, 8)
    entities = []
    for period in periods(window, grouping):
        first, last = period.start[:8], period.end[:8]
        total = sum_totals(totals for day, totals in days.items() if first <= day <= last)
        entry = {"activityDay": period.start, **total.answer(period.start, period.end)}
        if entity_id is not None:
            entry["entityId"] = entity_id
        entities.append(entry)
    return {"entities": entities}


async def account_aggregated(request: Request) -> JSONAnswer:
    account_id = account_of(request)
    return JSONAnswer(aggregated_answer(request, Scope.matching(
        account_id, statistics_filter(request, account_id))))


async def account_aggregated_list(request: Request) -> JSONAnswer:
    account_id = account_of(request)
    return JSONAnswer(list_answer(request, Scope.matching(
        account_id, statistics_filter(request, account_id)), None))


async def datapoint_aggregated(request: Request) -> JSONAnswer:
    datapoint_id = owned_datapoint(request, account_of(request))
    answer = aggregated_answer(request, Scope.datapoint(datapoint_id))
    return JSONAnswer({"entityId": str(datapoint_id), **answer})


async def datapoint_aggregated_list(request: Request) -> JSONAnswer:
    datapoint_id = owned_datapoint(request, account_of(request))
    return JSONAnswer(list_answer(request, Scope.datapoint(datapoint_id), str(datapoint_id)))


def summary_order(request: Request) -> str:
    """`ORDER BY` for the summary: a statistic, or whatever the datapoint list sorts by."""
    sort_by = (query_text(request, "sortBy") or "").lower()
    if sort_by not in STAT_SORTS:
        return datapoint_order(request)
    direction = parse_enum("sortDirection", (query_text(request, "sortDirection") or "asc").lower(),
                           ("asc", "desc")).upper()
    column = STAT_SORTS[sort_by]
    key = column if column == "last_hit" else f"COALESCE({column}, 0)"
    return f"{key} {direction}, d.id {direction}"


def summary_answer(request: Request, account_id: int, found: Filter) -> dict[str, Any]:
    """An `AggregatedSummaryResult` page: stats in one query, then each datapoint's body."""
    offset, limit = paging(request)
    order = summary_order(request)
    _, window = requested_window(request, clock_of(request))
    with store_of(request).transaction() as db:
        count = count_rows(db, "datapoints d", found)
        rows = summary_rows(db, account_id, window, found, order, offset, limit)
        result = [{"entityId": str(row["id"]),
                   **Totals.from_row(row).answer(window.start, window.end),
                   "entityData": fetch_datapoint(db, account_id, row["id"])}
                  for row in rows]
    return {"count": count, "offset": offset, "limit": limit, "result": result}


async def datapoints_summary(request: Request) -> JSONAnswer:
    account_id = account_of(request)
    return JSONAnswer(summary_answer(request, account_id, statistics_filter(request, account_id)))


async def group_summary(request: Request) -> JSONAnswer:
    account_id = account_of(request)
    group_id = request.path_params["id"]
    with store_of(request).transaction() as db:
        if db.execute("SELECT 1 FROM groups WHERE id = ? AND account_id = ?",
                      (group_id, account_id)).fetchone() is None:
            raise not_found("group", group_id)
    found = statistics_filter(request, account_id)
    found.add("d.group_id = ?", group_id)
    return JSONAnswer(summary_answer(request, account_id, found))


def statistics_routes() -> list[BaseRoute]:
    """The aggregated and summary routes."""
    return [
        Route("/datapoints/aggregated", account_aggregated, methods=["GET"]),
        Route("/datapoints/aggregated/list", account_aggregated_list, methods=["GET"]),
        Route("/datapoints/{id:int}/aggregated", datapoint_aggregated, methods=["GET"]),
        Route("/datapoints/{id:int}/aggregated/list", datapoint_aggregated_list, methods=["GET"]),
        Route("/aggregated/summary/datapoints", datapoints_summary, methods=["GET"]),
        Route("/groups/{id:int}/aggregated/summary", group_summary, methods=["GET"]),
    ]
