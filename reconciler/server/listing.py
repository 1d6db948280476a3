"""List filters and paging shared by every list/count endpoint.

A `Filter` is a piece of SQL (conditions joined with AND) plus its
parameters; endpoints add their own scope (a group, a tag, a conversion) and
the query-string filters the spec names for them, then page with `page_ids`.
Without `status` (or with `status=all`), deleted entities are listed, as the
live service lists them (REAL-API 6).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request

from reconciler.apishapes import (
    STATUS_ABUSE,
    STATUS_ACTIVE,
    STATUS_DELETED,
    STATUS_PAUSED,
    TYPE_FILTERS,
)
from reconciler.server.db import CountingConnection
from reconciler.server.requests import paging, parse_enum, query_bool, query_day, query_text
from reconciler.server.responses import bad_request

DATAPOINT_STATUS_FILTERS = {"active": STATUS_ACTIVE, "paused": STATUS_PAUSED,
                            "spam": STATUS_ABUSE, "deleted": STATUS_DELETED}
DATAPOINT_SORT_COLUMNS = {"id": "d.id", "name": "d.name", "title": "d.title",
                          "creationdate": "d.creation_date", "status": "d.status",
                          "type": "d.type", "preferred": "d.preferred"}


@dataclass
class Filter:
    """SQL conditions over one table alias, ANDed, with their parameters."""

    conditions: list[str] = field(default_factory=list)
    params: list[Any] = field(default_factory=list)

    def add(self, condition: str, *params: Any) -> None:
        self.conditions.append(condition)
        self.params.extend(params)

    @property
    def where(self) -> str:
        return " AND ".join(self.conditions) or "1"


def like_pattern(text: str) -> str:
    """A LIKE pattern matching `text` anywhere, with its wildcards escaped."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def add_text_search(found: Filter, request: Request, columns: tuple[str, ...]) -> None:
    """`textSearch`: a case-insensitive substring of any of `columns`."""
    text = query_text(request, "textSearch")
    if text is not None:
        pattern = like_pattern(text)
        found.add("(" + " OR ".join(f"{c} LIKE ? ESCAPE '\\'" for c in columns) + ")",
                  *([pattern] * len(columns)))


def add_created_range(found: Filter, request: Request, column: str) -> None:
    """`createdAfter` / `createdBefore` (YYYYMMDD, inclusive days)."""
    after = query_day(request, "createdAfter")
    before = query_day(request, "createdBefore")
    if after is not None:
        found.add(f"{column} >= ?", after)
    if before is not None:
        found.add(f"{column} <= ?", before[:8] + "235959")


def datapoint_filter(request: Request, account_id: int) -> Filter:
    """The account's datapoints narrowed by type, status, tags, textSearch, onlyFavorites, dates."""
    found = Filter()
    found.add("d.account_id = ?", account_id)
    kind = query_text(request, "type")
    if kind is not None:
        found.add("d.type = ?", TYPE_FILTERS[parse_enum("type", kind.lower(), tuple(TYPE_FILTERS))])
    status = query_text(request, "status")
    chosen = parse_enum("status", (status or "all").lower(), ("all", *DATAPOINT_STATUS_FILTERS))
    if chosen != "all":
        found.add("d.status = ?", DATAPOINT_STATUS_FILTERS[chosen])
    for tag in _tag_names(request):
        found.add("d.id IN (SELECT dt.datapoint_id FROM datapoint_tags dt JOIN tags t "
                  "ON t.id = dt.tag_id WHERE t.account_id = d.account_id AND t.name = ?)", tag)
    add_text_search(found, request, ("d.name", "d.title", "d.url", "d.notes"))
    if query_bool(request, "onlyFavorites"):
        found.add("d.preferred = 1")
    add_created_range(found, request, "d.creation_date")
    return found


def datapoint_order(request: Request) -> str:
    """`ORDER BY` from sortBy (id, name, title, creationDate, status, type, preferred) and sortDirection."""
    sort_by = query_text(request, "sortBy")
    column = "d.id"
    if sort_by is not None:
        key = parse_enum("sortBy", sort_by.lower(), tuple(DATAPOINT_SORT_COLUMNS))
        column = DATAPOINT_SORT_COLUMNS[key]
    direction = query_text(request, "sortDirection") or "asc"
    if direction.lower() not in ("asc", "desc"):
        raise bad_request("sortDirection", "sortDirection must be asc or desc")
    return f"{column} {direction.upper()}, d.id {direction.upper()}"


def page_ids(db: sqlite3.Connection, request: Request, table: str, found: Filter,
             order: str) -> list[int]:
    """One page (offset/limit from the request) of the ids matching `found`."""
    offset, limit = paging(request)
    alias = table.split()[-1]
    if isinstance(db, CountingConnection) and order.replace(" ", "") in (
            f"{alias}.id", f"{alias}.idASC", f"{alias}.idASC,{alias}.idASC"):
        return db.id_page(f"SELECT {alias}.id FROM {table} WHERE ({found.where})", found.params,
                          f"{alias}.id", offset, limit)
    rows = db.execute(f"SELECT {alias}.id FROM {table} WHERE {found.where} ORDER BY {order} "
                      "LIMIT ? OFFSET ?", (*found.params, limit, offset))
    return [row[0] for row in rows]


def count_rows(db: CountingConnection, table: str, found: Filter) -> int:
    """How many rows of `table` match `found` (remembered until the database changes)."""
    return db.count(f"SELECT COUNT(*) FROM {table} WHERE {found.where}", found.params)


def _tag_names(request: Request) -> list[str]:
    raw = query_text(request, "tags") or query_text(request, "tag")
    return [name.strip() for name in raw.split(",") if name.strip()] if raw else []


def add_deleted_status(found: Filter, request: Request, column: str) -> None:
    """`status=active|deleted|all` for entities with a deleted flag; all when absent."""
    status = parse_enum("status", (query_text(request, "status") or "all").lower(),
                        ("all", "active", "deleted"))
    if status != "all":
        found.add(f"{column} = ?", int(status == "deleted"))
