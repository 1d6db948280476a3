"""A datapoint's recorded hits, one by one (`/hits`) or grouped into a top report (`/reports`).

* `GET /datapoints/{id}/hits?timeframe=..&limit=..&offset=..&filter=..`: a
  `HitListPage`, newest first. `offset` takes the previous page's `lastKey`;
  the last page has no `lastKey`. `filter`: spiders, uniques (unique
  non-spider hits), nonuniques, conversions (clicks credited with one). Each
  hit lists the conversions credited to it.
* `GET /datapoints/{id}/reports?type=..&timeframe=..`: an
  `Api.Core.Dto.Tops.Top` whose `data` counts the window's hits per browser,
  platform, country, language, referrer host or destination url, most hits first.
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.routing import BaseRoute, Route

from reconciler.apishapes import DATAPOINT_STATUSES, DATAPOINT_TYPES, DEFAULT_LIMIT, MAX_LIMIT
from reconciler.server.context import account_of, now_of, store_of
from reconciler.server.datapoint_store import fetch_datapoint
from reconciler.server.requests import parse_enum, query_int, query_text
from reconciler.server.responses import JSONAnswer, bad_request
from reconciler.server.statistics import clock_of
from reconciler.server.timeframes import Window, requested_window
from reconciler.server.visitors import OTHER, browser_of, country_of, platform_of

HIT_FILTERS = {
    "spiders": "is_spider = 1",
    "uniques": "is_unique = 1 AND is_spider = 0",
    "nonuniques": "is_unique = 0",
    "conversions": "id IN (SELECT hit_id FROM hit_conversions)",
}
REPORTS: dict[str, Callable[[sqlite3.Row], str]] = {
    "browsers": lambda hit: browser_of(hit["user_agent"]),
    "platforms": lambda hit: platform_of(hit["user_agent"]),
    "countries": lambda hit: country_of(hit["language"]),
    "languages": lambda hit: hit["language"].lower() if hit["language"] else OTHER,
    "referrers": lambda hit: _referrer_host(hit["referrer"]),
    "destinations": lambda hit: hit["destination"] or OTHER,
}


def hit_entity(datapoint: dict[str, Any]) -> dict[str, Any]:
    """The `HitDatapointInfo` of a datapoint as `GET /datapoints/{id}` answers it.

    No recorded hit shows this part (the recorded clickstream is empty), so it
    stays as openapi.json has it: type and status as text, like the
    statistics' `datapointType`.
    """
    info = {"datapointId": datapoint["id"], "datapointName": datapoint["name"],
            "datapointType": DATAPOINT_TYPES[datapoint.get("type", 0)],
            "status": DATAPOINT_STATUSES[datapoint.get("status", 0)],
            "trackingCode": datapoint["trackingCode"], "creationDate": datapoint["creationDate"],
            "datapointFavourite": datapoint.get("preferred", False), "tags": datapoint["tags"]}
    optional = {"datapointTitle": datapoint.get("title"), "notes": datapoint.get("notes"),
                "groupId": datapoint.get("groupId"), "groupName": datapoint.get("groupName"),
                "destinationUrl": datapoint.get("typeTL", {}).get("url")}
    info.update({key: value for key, value in optional.items() if value is not None})
    return info


def render_hit(hit: sqlite3.Row, entity: dict[str, Any],
               conversions: list[dict[str, Any]]) -> dict[str, Any]:
    """The documented `Hit` for a stored hit."""
    answer = {"accessTime": hit["hit_time"], "type": hit["kind"], "ip": hit["ip"],
              "isUnique": _flag(hit["is_unique"]), "isSpider": _flag(hit["is_spider"]),
              "browser": {"name": browser_of(hit["user_agent"])},
              "os": {"name": platform_of(hit["user_agent"])},
              "location": {"country": country_of(hit["language"])},
              "entity": entity, "conversions": conversions}
    optional = {"referer": hit["referrer"], "clientLanguage": hit["language"],
                "queryParams": hit["query"], "realDestinationUrl": hit["destination"]}
    answer.update({key: value for key, value in optional.items() if value is not None})
    return answer


def credited_conversions(db: sqlite3.Connection, hit_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    """The `HitConversionInfo`s credited to each of the hits, in one query."""
    found: dict[int, list[dict[str, Any]]] = defaultdict(list)
    marks = ",".join("?" * len(hit_ids))
    rows = db.execute(
        "SELECT hc.*, c.name, c.deleted FROM hit_conversions hc "
        f"JOIN conversions c ON c.id = hc.conversion_id WHERE hc.hit_id IN ({marks}) "
        "ORDER BY hc.conversion_time, hc.id", hit_ids)
    for row in rows:
        info = {"id": row["conversion_id"], "name": row["name"], "value": row["value"],
                "date": row["conversion_time"], "deleted": bool(row["deleted"])}
        if row["parameter"] is not None:
            info["parameter"] = row["parameter"]
        found[row["hit_id"]].append(info)
    return found


async def list_hits(request: Request) -> JSONAnswer:
    """`GET /datapoints/{id}/hits`: one page of the window's hits, newest first."""
    account_id = account_of(request)
    _, window = requested_window(request, clock_of(request))
    limit = query_int(request, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT)
    conditions = ["datapoint_id = ?", "hit_time BETWEEN ? AND ?"]
    params: list[Any] = [request.path_params["id"], window.start, window.end]
    chosen = query_text(request, "filter")
    if chosen is not None:
        conditions.append(HIT_FILTERS[parse_enum("filter", chosen.lower(), tuple(HIT_FILTERS))])
    last_key = query_text(request, "offset")
    if last_key is not None:
        hit_time, hit_id = _parse_last_key(last_key)
        conditions.append("(hit_time < ? OR (hit_time = ? AND id < ?))")
        params += [hit_time, hit_time, hit_id]
    with store_of(request).transaction() as db:
        entity = hit_entity(fetch_datapoint(db, account_id, request.path_params["id"]))
        rows = db.execute(f"SELECT * FROM hits WHERE {' AND '.join(conditions)} "
                          "ORDER BY hit_time DESC, id DESC LIMIT ?", (*params, limit + 1)).fetchall()
        page = rows[:limit]
        conversions = credited_conversions(db, [row["id"] for row in page])
    answer: dict[str, Any] = {"hits": [render_hit(row, entity, conversions.get(row["id"], []))
                                       for row in page]}
    if len(rows) > limit:
        answer["lastKey"] = f"{page[-1]['hit_time']}-{page[-1]['id']}"
    return JSONAnswer(answer)


async def top_report(request: Request) -> JSONAnswer:
    """`GET /datapoints/{id}/reports?type=...`: the window's hits grouped by one trait."""
    account_id = account_of(request)
    raw_type = query_text(request, "type")
    if raw_type is None:
        raise bad_request("type", f"type is required: one of {', '.join(REPORTS)}")
    report = parse_enum("type", raw_type.lower(), tuple(REPORTS))
    _, window = requested_window(request, clock_of(request))
    with store_of(request).transaction() as db:
        fetch_datapoint(db, account_id, request.path_params["id"])
        hits = _hits_with_conversions(db, request.path_params["id"], window)
    items: dict[str, dict[str, Any]] = {}
    for hit in hits:
        key = REPORTS[report](hit)
        _count_into(items.setdefault(key, _empty_item(key)), hit)
    ranked = sorted(items.values(), key=lambda item: (-item["totalHits"], item["id"]))
    return JSONAnswer({"key": report, "createdAt": now_of(request), "data": ranked})


def _hits_with_conversions(db: sqlite3.Connection, datapoint_id: int, window: Window) -> list[sqlite3.Row]:
    return db.execute(
        "SELECT h.*, (SELECT COUNT(*) FROM hit_conversions c WHERE c.hit_id = h.id) AS conversions, "
        "(SELECT TOTAL(c.value) FROM hit_conversions c WHERE c.hit_id = h.id) AS conversions_value "
        "FROM hits h WHERE h.datapoint_id = ? AND h.hit_time BETWEEN ? AND ?",
        (datapoint_id, window.start, window.end)).fetchall()


def _empty_item(key: str) -> dict[str, Any]:
    counters = ("totalHits", "uniqueHits", "totalClicks", "uniqueClicks", "totalViews",
                "uniqueViews", "spiderHits", "spiderClicks", "spiderViews", "totalConversions")
    return {"id": key, **dict.fromkeys(counters, 0), "totalConversionsValue": 0.0}


def _count_into(item: dict[str, Any], hit: sqlite3.Row) -> None:
    kind = "Clicks" if hit["kind"] == "click" else "Views"
    if hit["is_spider"]:
        item["spiderHits"] += 1
        item[f"spider{kind}"] += 1
        return
    unique = int(hit["is_unique"])
    item["totalHits"] += 1
    item["uniqueHits"] += unique
    item[f"total{kind}"] += 1
    item[f"unique{kind}"] += unique
    item["totalConversions"] += hit["conversions"]
    item["totalConversionsValue"] += hit["conversions_value"]
    item["lastHitDate"] = max(item.get("lastHitDate", ""), hit["hit_time"])


def _parse_last_key(raw: str) -> tuple[str, int]:
    hit_time, _, hit_id = raw.partition("-")
    if len(hit_time) != 14 or not hit_time.isdigit() or not hit_id.isdigit():
        raise bad_request("offset", "offset must be the lastKey of the previous page")
    return hit_time, int(hit_id)


def _referrer_host(referrer: str | None) -> str:
    if not referrer:
        return "Direct"
    return urlsplit(referrer).hostname or OTHER


def _flag(value: int) -> str:
    return "true" if value else "false"


def clickstream_routes() -> list[BaseRoute]:
    """The hits and reports routes."""
    return [
        Route("/datapoints/{id:id}/hits", list_hits, methods=["GET"]),
        Route("/datapoints/{id:id}/reports", top_report, methods=["GET"]),
    ]
