"""Statistics routes: aggregated, aggregated/list and the summary, from the recorded hits.

* `GET /datapoints/aggregated`, `/datapoints/{id}/aggregated` and
  `/groups/{id}/aggregated`: one `AggregatedResult` for the window
  (`hourly=true` with today/yesterday adds `hourlyBreakDown`, keyed `00`..`23`);
* `GET /datapoints/aggregated/list`, `/datapoints/{id}/aggregated/list` and
  `/groups/{id}/aggregated/list`: `{"entities": [AggregatedResult]}`, one per
  day, week or month (`groupBy`) of the window, zeros included, each with
  `activityDay` (the period's start);
* `GET /aggregated/summary/datapoints` and `/groups/{id}/aggregated/summary`:
  a page of datapoints with their statistics and, in `entityData`, the
  summary of the datapoint the live service sends (REAL-API 7: not a whole
  datapoint). Sortable by the datapoint fields the list endpoint takes and by
  every statistic;
* `GET /aggregated/summary/groups`: a page of groups with their datapoints'
  statistics and the group's summary.

The account-wide endpoints take the list filters (type, status, tag,
favourite, groupId, textSearch); without `status` deleted datapoints are
included, as in the recorded summaries. A `beginning` window starts at the scope's first hit.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime
from typing import Any

from starlette.requests import Request
from starlette.routing import BaseRoute, Route

from reconciler.apishapes import DATAPOINT_TYPES, DAY_FORMAT, STATUS_DELETED
from reconciler.server.context import account_of, store_of
from reconciler.server.datapoint_store import fetch_datapoints
from reconciler.server.entities import own_row
from reconciler.server.groups import group_filter, group_tags
from reconciler.server.hit_totals import (
    ANSWER_KEYS,
    BY_DATAPOINT,
    BY_DAY,
    BY_HOUR,
    WHOLE_WINDOW,
    Scope,
    Totals,
    bucketed_totals,
    first_hit_time,
    rows_sorted_by_totals,
    sum_totals,
)
from reconciler.server.listing import (
    Filter,
    count_rows,
    datapoint_filter,
    datapoint_order,
    page_ids,
)
from reconciler.server.requests import paging, parse_enum, parse_id, query_bool, query_text
from reconciler.server.responses import JSONAnswer, bad_request
from reconciler.server.timeframes import Window, periods, requested_grouping, requested_window

HOURLY_TIMEFRAMES = ("today", "yesterday")
STAT_SORTS = {key.lower(): name for name, key in ANSWER_KEYS.items()} | {"lasthitdate": "last_hit"}


def clock_of(request: Request) -> datetime:
    """The app clock's now."""
    now: datetime = request.app.state.settings.clock()
    return now


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
    datapoint_id: int = request.path_params["id"]
    with store_of(request).transaction() as db:
        own_row(db, "datapoints", "datapoint", datapoint_id, account_id)
    return datapoint_id


def scoped_window(request: Request, scope: Scope) -> tuple[str, Window]:
    """The request's window; `beginning` narrowed to the scope's first hit (or today)."""
    timeframe, window = requested_window(request, clock_of(request))
    if timeframe == "beginning":
        with store_of(request).transaction() as db:
            first = first_hit_time(db, scope)
        first_day = window.last if first is None else datetime.strptime(first[:8], DAY_FORMAT).date()
        window = Window(min(first_day, window.last), window.last)
    return timeframe, window


def aggregated_answer(request: Request, scope: Scope) -> dict[str, Any]:
    """One `AggregatedResult` for the scope and the request's window (and hours if asked)."""
    timeframe, window = scoped_window(request, scope)
    hourly = query_bool(request, "hourly")
    if hourly and timeframe not in HOURLY_TIMEFRAMES:
        raise bad_request("hourly", "hourly needs timeFrame today or yesterday")
    with store_of(request).transaction() as db:
        total = bucketed_totals(db, scope, window, WHOLE_WINDOW).get("", Totals())
        hours = bucketed_totals(db, scope, window, BY_HOUR) if hourly else None
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
        days = bucketed_totals(db, scope, window, BY_DAY)
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


def group_datapoints_filter(request: Request, account_id: int) -> Filter:
    """The statistics filters narrowed to the path's group; 404 unless it is the account's."""
    group_id = request.path_params["id"]
    with store_of(request).transaction() as db:
        own_row(db, "groups", "group", group_id, account_id)
    found = statistics_filter(request, account_id)
    found.add("d.group_id = ?", group_id)
    return found


async def group_aggregated(request: Request) -> JSONAnswer:
    account_id = account_of(request)
    answer = aggregated_answer(request, Scope.matching(account_id, group_datapoints_filter(request, account_id)))
    return JSONAnswer({"entityId": str(request.path_params["id"]), **answer})


async def group_aggregated_list(request: Request) -> JSONAnswer:
    account_id = account_of(request)
    return JSONAnswer(list_answer(request, Scope.matching(account_id, group_datapoints_filter(request, account_id)),
                                  str(request.path_params["id"])))


def stat_order(request: Request) -> str | None:
    """`ORDER BY` for a summary sorted by a statistic (`sortBy=totalClicks`...), else None."""
    sort_by = (query_text(request, "sortBy") or "").lower()
    if sort_by not in STAT_SORTS:
        return None
    direction = parse_enum("sortDirection", (query_text(request, "sortDirection") or "asc").lower(),
                           ("asc", "desc")).upper()
    column = STAT_SORTS[sort_by]
    key = column if column == "last_hit" else f"COALESCE({column}, 0)"
    return f"{key} {direction}, d.id {direction}"


def summary_answer(request: Request, account_id: int, found: Filter) -> dict[str, Any]:
    """An `AggregatedSummaryResult` page: the page's stats in one query, its bodies in four.

    Sorted by a datapoint field (the usual case), the page's ids come first
    and only their hits are read; sorted by a statistic, every matching
    datapoint's totals are computed in the one query that picks the page.
    """
    offset, limit = paging(request)
    by_stat = stat_order(request)
    _, window = requested_window(request, clock_of(request))
    with store_of(request).transaction() as db:
        count = count_rows(db, "datapoints d", found)
        if by_stat is None:
            ids = page_ids(db, request, "datapoints d", found, datapoint_order(request))
            totals = bucketed_totals(db, Scope.datapoints(ids), window, BY_DATAPOINT)
        else:
            rows = rows_sorted_by_totals(db, account_id, window, found, by_stat, offset, limit)
            ids = [row["id"] for row in rows]
            totals = {row["id"]: Totals.from_row(row) for row in rows}
        bodies = fetch_datapoints(db, account_id, ids)
    start, end = window.start, window.end
    result = [{"entityId": str(datapoint_id), **totals.get(datapoint_id, Totals()).answer(start, end),
               "entityData": datapoint_summary(bodies[datapoint_id])}
              for datapoint_id in ids]
    return {"count": count, "limit": limit, "result": result}


def datapoint_summary(datapoint: dict[str, Any]) -> dict[str, Any]:
    """A summary row's `entityData`, from the datapoint as its GET answers it.

    As gem:aggregatedstattest_test_datapoints_summary: the type as text,
    `status` (a number) and `notes` only when set, no redirect, domain,
    conversions or scripts.
    """
    summary: dict[str, Any] = {
        "datapointId": datapoint["id"], "datapointName": datapoint["name"],
        "datapointTitle": datapoint.get("title"),
        "datapointType": DATAPOINT_TYPES[datapoint.get("type", 0)],
    }
    for key in ("groupId", "groupName", "notes"):
        if key in datapoint:
            summary[key] = datapoint[key]
    summary["creationDate"] = datapoint["creationDate"]
    if "typeTL" in datapoint:
        summary["destinationUrl"] = datapoint["typeTL"]["url"]
    if "status" in datapoint:
        summary["status"] = datapoint["status"]
    else:
        summary["isPrivateShared"] = True
    summary["tags"] = datapoint["tags"]
    summary["trackingCode"] = datapoint["trackingCode"]
    return summary


GROUP_SUMMARY_SQL = """
SELECT g.*, (SELECT COUNT(*) FROM datapoints d WHERE d.group_id = g.id AND d.status != ?) AS links
FROM groups g WHERE g.id IN ({ids})
"""


def group_summary_row(row: sqlite3.Row, tags: list[dict[str, Any]]) -> dict[str, Any]:
    """A groups summary row's `entityData` (gem:aggregatedstattest_test_groups_summary):
    `linksCount` (live datapoints), `groupFavourite` and `deleted` only when set."""
    summary: dict[str, Any] = {"groupId": row["id"], "groupName": row["name"]}
    if row["links"]:
        summary["linksCount"] = row["links"]
    if row["preferred"]:
        summary["groupFavourite"] = True
    summary["creationDate"] = row["creation_date"]
    if row["deleted"]:
        summary["deleted"] = True
    else:
        summary["isPrivateShared"] = True
    summary["tags"] = tags
    return summary


async def groups_summary(request: Request) -> JSONAnswer:
    """`GET /aggregated/summary/groups`: a page of groups (deleted ones too, unless `status`
    says), each with its datapoints' statistics for the window."""
    account_id = account_of(request)
    _, limit = paging(request)
    _, window = requested_window(request, clock_of(request))
    found = group_filter(request, account_id)
    with store_of(request).transaction() as db:
        count = count_rows(db, "groups g", found)
        ids = page_ids(db, request, "groups g", found, "g.id")
        rows = {row["id"]: row for row in db.execute(
            GROUP_SUMMARY_SQL.format(ids=",".join("?" * len(ids))), (STATUS_DELETED, *ids))}
        result = []
        for group_id in ids:
            in_group = Filter()
            in_group.add("d.group_id = ?", group_id)
            totals = bucketed_totals(db, Scope.matching(account_id, in_group), window,
                                     WHOLE_WINDOW).get("", Totals())
            result.append({"entityId": str(group_id), **totals.answer(window.start, window.end),
                           "entityData": group_summary_row(rows[group_id], group_tags(db, group_id))})
    return JSONAnswer({"count": count, "limit": limit, "result": result})


async def datapoints_summary(request: Request) -> JSONAnswer:
    account_id = account_of(request)
    return JSONAnswer(summary_answer(request, account_id, statistics_filter(request, account_id)))


async def group_summary(request: Request) -> JSONAnswer:
    account_id = account_of(request)
    return JSONAnswer(summary_answer(request, account_id, group_datapoints_filter(request, account_id)))


def statistics_routes() -> list[BaseRoute]:
    """The aggregated and summary routes."""
    return [
        Route("/datapoints/aggregated", account_aggregated, methods=["GET"]),
        Route("/datapoints/aggregated/list", account_aggregated_list, methods=["GET"]),
        Route("/datapoints/{id:id}/aggregated", datapoint_aggregated, methods=["GET"]),
        Route("/datapoints/{id:id}/aggregated/list", datapoint_aggregated_list, methods=["GET"]),
        Route("/aggregated/summary/datapoints", datapoints_summary, methods=["GET"]),
        Route("/aggregated/summary/groups", groups_summary, methods=["GET"]),
        Route("/groups/{id:id}/aggregated", group_aggregated, methods=["GET"]),
        Route("/groups/{id:id}/aggregated/list", group_aggregated_list, methods=["GET"]),
        Route("/groups/{id:id}/aggregated/summary", group_summary, methods=["GET"]),
    ]
