"""Statistics computed from the recorded hits and conversions, in SQL.

What the numbers mean (documented in docs/local-server.md too):

* `totalClicks` / `totalViews`: clicks on links / views of pixels, spiders excluded;
* `uniqueClicks` / `uniqueViews`: those that were the visitor's first on that
  datapoint that day;
* `spiderHitsCount`: hits from crawlers (by user agent), clicks and views;
* `convertedClicks`: distinct clicks credited with a conversion in the window;
* `uniqueConversions`: conversions that were a click's first of that conversion;
* `conversionsValue`: the sum of the conversions' values;
* `lastHitDate`: the latest non-spider hit in the window (absent when none).

A `Scope` selects hits by datapoint: its condition uses the unqualified
`account_id` / `datapoint_id` columns that `hits` and `hit_conversions` share.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass, fields
from typing import Any

from reconciler.server.listing import Filter
from reconciler.server.timeframes import Window

HIT_COLUMNS = {
    "total_clicks": "SUM(kind = 'click' AND is_spider = 0)",
    "unique_clicks": "SUM(kind = 'click' AND is_spider = 0 AND is_unique = 1)",
    "total_views": "SUM(kind = 'view' AND is_spider = 0)",
    "unique_views": "SUM(kind = 'view' AND is_spider = 0 AND is_unique = 1)",
    "spider_hits": "SUM(is_spider)",
    "last_hit": "MAX(CASE WHEN is_spider = 0 THEN hit_time END)",
}
CONVERSION_COLUMNS = {
    "converted_clicks": "COUNT(DISTINCT hit_id)",
    "unique_conversions": "SUM(is_unique)",
    "conversions_value": "TOTAL(value)",
}
ANSWER_KEYS = {
    "total_clicks": "totalClicks", "unique_clicks": "uniqueClicks",
    "total_views": "totalViews", "unique_views": "uniqueViews",
    "spider_hits": "spiderHitsCount", "converted_clicks": "convertedClicks",
    "unique_conversions": "uniqueConversions", "conversions_value": "conversionsValue",
}


@dataclass
class Totals:
    """One window's (or bucket's) statistics."""

    total_clicks: int = 0
    unique_clicks: int = 0
    total_views: int = 0
    unique_views: int = 0
    spider_hits: int = 0
    converted_clicks: int = 0
    unique_conversions: int = 0
    conversions_value: float = 0.0
    last_hit: str | None = None

    @classmethod
    def from_row(cls, row: sqlite3.Row | dict[str, Any]) -> Totals:
        """From a row holding (some of) the columns; NULL (no hits) counts as zero."""
        keys = row.keys()
        given = {f.name: row[f.name] for f in fields(cls) if f.name in keys and row[f.name] is not None}
        return cls(**given)

    def __add__(self, other: Totals) -> Totals:
        sums = {f.name: getattr(self, f.name) + getattr(other, f.name)
                for f in fields(self) if f.name != "last_hit"}
        latest = max(filter(None, (self.last_hit, other.last_hit)), default=None)
        return Totals(**sums, last_hit=latest)

    def answer(self, start: str, end: str) -> dict[str, Any]:
        """The `AggregatedResult` statistics for the period `start`..`end` (YmdHis)."""
        result: dict[str, Any] = {"fromDay": start, "toDay": end}
        result.update({key: getattr(self, name) for name, key in ANSWER_KEYS.items()})
        result["conversionsValue"] = float(self.conversions_value)
        if self.last_hit is not None:
            result["lastHitDate"] = self.last_hit
        return result


@dataclass(frozen=True)
class Scope:
    """Which datapoints' hits count: a condition on `account_id`/`datapoint_id`."""

    condition: str
    params: tuple[Any, ...]

    @classmethod
    def datapoint(cls, datapoint_id: int) -> Scope:
        return cls("datapoint_id = ?", (datapoint_id,))

    @classmethod
    def datapoints(cls, datapoint_ids: list[int]) -> Scope:
        return cls(f"datapoint_id IN ({','.join('?' * len(datapoint_ids))})", tuple(datapoint_ids))

    @classmethod
    def matching(cls, account_id: int, found: Filter) -> Scope:
        """The hits of the account's datapoints matching a list filter (over alias `d`)."""
        return cls(f"account_id = ? AND datapoint_id IN (SELECT d.id FROM datapoints d "
                   f"WHERE {found.where})", (account_id, *found.params))


WHOLE_WINDOW = "''"
BY_DAY = "substr({time}, 1, 8)"
BY_HOUR = "substr({time}, 1, 10)"
BY_DATAPOINT = "datapoint_id"


def bucketed_totals(db: sqlite3.Connection, scope: Scope, window: Window,
                    bucket: str) -> dict[Any, Totals]:
    """Totals per bucket, in two queries whatever the window: `bucket` is an SQL key over
    the hit's or conversion's `{time}` (WHOLE_WINDOW, BY_DAY, BY_HOUR) or BY_DATAPOINT."""
    hits = db.execute(
        f"SELECT {bucket.format(time='hit_time')} AS bucket, {_select(HIT_COLUMNS)} FROM hits "
        f"WHERE {scope.condition} AND hit_time BETWEEN ? AND ? GROUP BY bucket",
        (*scope.params, window.start, window.end))
    found = {row["bucket"]: Totals.from_row(row) for row in hits}
    conversions = db.execute(
        f"SELECT {bucket.format(time='conversion_time')} AS bucket, "
        f"{_select(CONVERSION_COLUMNS)} FROM hit_conversions "
        f"WHERE {scope.condition} AND conversion_time BETWEEN ? AND ? GROUP BY bucket",
        (*scope.params, window.start, window.end))
    for row in conversions:
        found[row["bucket"]] = found.get(row["bucket"], Totals()) + Totals.from_row(row)
    return found


def first_hit_time(db: sqlite3.Connection, scope: Scope) -> str | None:
    """When the scope's first hit was recorded (YmdHis), or None."""
    first: str | None = db.execute(f"SELECT MIN(hit_time) FROM hits WHERE {scope.condition}",
                                   scope.params).fetchone()[0]
    return first


def rows_sorted_by_totals(db: sqlite3.Connection, account_id: int, window: Window,
                          found: Filter, order: str, offset: int, limit: int) -> list[sqlite3.Row]:
    """One page of the datapoints matching `found`, each with its totals, in one query.

    `order` may name the totals' column names: every matching datapoint's
    totals are computed to sort them (the summary pages by id much faster).
    """
    hit_names = ", ".join(f"hs.{name}" for name in HIT_COLUMNS)
    conversion_names = ", ".join(f"cs.{name}" for name in CONVERSION_COLUMNS)
    sql = (f"SELECT d.id, {hit_names}, {conversion_names} FROM datapoints d "
           f"LEFT JOIN (SELECT datapoint_id, {_select(HIT_COLUMNS)} FROM hits "
           "  WHERE account_id = ? AND hit_time BETWEEN ? AND ? GROUP BY datapoint_id) hs "
           "  ON hs.datapoint_id = d.id "
           f"LEFT JOIN (SELECT datapoint_id, {_select(CONVERSION_COLUMNS)} FROM hit_conversions "
           "  WHERE account_id = ? AND conversion_time BETWEEN ? AND ? GROUP BY datapoint_id) cs "
           "  ON cs.datapoint_id = d.id "
           f"WHERE {found.where} ORDER BY {order} LIMIT ? OFFSET ?")
    window_params = (account_id, window.start, window.end)
    return db.execute(sql, (*window_params, *window_params, *found.params, limit, offset)).fetchall()


def sum_totals(totals: Iterable[Totals]) -> Totals:
    """All of them added up (zero for none)."""
    total = Totals()
    for one in totals:
        total = total + one
    return total


def _select(columns: dict[str, str]) -> str:
    return ", ".join(f"{expression} AS {name}" for name, expression in columns.items())
