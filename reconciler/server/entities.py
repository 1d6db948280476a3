"""What every entity module shares: rows by id for the account, unique names,
the list + count route pair of a collection, and the whole CRUD route set of a
named entity (groups, conversions, retargeting scripts).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.routing import BaseRoute, Route

from reconciler.server.context import account_of, now_of, store_of, variant_of
from reconciler.server.db import insert_row, update_row
from reconciler.server.listing import Filter, count_rows, page_ids
from reconciler.server.requests import query_bool, query_text, read_object
from reconciler.server.responses import (
    JSONAnswer,
    count_answer,
    entities_answer,
    entity_uri,
    expanded_answer,
    name_used,
    not_found,
)

FilterMaker = Callable[[Request, int], Filter]  # (request, account id) -> filter
Expander = Callable[[sqlite3.Connection, int, list[int]], list[dict[str, Any]]]  # (db, account, ids)
RowChange = Callable[[sqlite3.Connection, int, int], object]  # (db, account id, row id)


async def change_one(request: Request, collection: str, id_param: str, *changes: RowChange) -> JSONAnswer:
    """Run `changes` in order on the row the path names, in one transaction; answer its `{id, uri}`.

    The first change usually checks the row is the caller's (raising a 404).
    """
    account_id = account_of(request)
    row_id = request.path_params[id_param]
    with store_of(request).transaction() as db:
        for change in changes:
            change(db, account_id, row_id)
    return JSONAnswer(entity_uri(collection, row_id))


def own_row(db: sqlite3.Connection, table: str, kind: str, row_id: int, account_id: int,
            *, live_only: bool = False) -> sqlite3.Row:
    """The row if it is the account's (and, with `live_only`, not deleted); 404 otherwise."""
    extra = " AND deleted = 0" if live_only else ""
    row: sqlite3.Row | None = db.execute(f"SELECT * FROM {table} WHERE id = ? AND account_id = ?{extra}",
                                         (row_id, account_id)).fetchone()
    if row is None:
        raise not_found(kind, row_id)
    return row


def check_unique_name(db: sqlite3.Connection, table: str, account_id: int, name: str,
                      own_id: int = 0, *, live_only: bool = False) -> None:
    """403 (as the live service) if another (non-deleted, with `live_only`) row of the account has `name`."""
    extra = " AND deleted = 0" if live_only else ""
    if db.execute(f"SELECT 1 FROM {table} WHERE account_id = ? AND name = ? AND id != ?{extra}",
                  (account_id, name, own_id)).fetchone():
        raise name_used()


@dataclass(frozen=True)
class Listing:
    """One list endpoint's collection: where its rows are and how each is shown in full."""

    collection: str  # the URI collection: /{collection}/{id}
    table: str  # "name alias", e.g. "groups g"
    expand: Expander  # whole entities for `_expand=true`, in the ids' order
    live_sql: str | None = None  # the condition on the alias that leaves deleted rows out


def list_and_count_routes(path: str, listing: Listing, make_filter: FilterMaker,
                          order: str | Callable[[Request], str]) -> list[BaseRoute]:
    """`GET {path}` (a page of `{id, uri}`, or whole entities with `_expand=true`) and `GET {path}/count`.

    `make_filter` gives the conditions on the listing's alias; `order` is an
    ORDER BY or makes one from the request. Whether `_expand` is honoured and
    whether a count without `status` counts deleted rows is the service
    variant's choice.
    """

    async def list_page(request: Request) -> JSONAnswer:
        account_id = account_of(request)
        found = make_filter(request, account_id)
        ordering = order(request) if callable(order) else order
        expand = variant_of(request).expand and bool(query_bool(request, "_expand"))
        with store_of(request).transaction() as db:
            ids = page_ids(db, request, listing.table, found, ordering)
            if expand:
                return expanded_answer(listing.expand(db, account_id, ids))
            return entities_answer(listing.collection, ids)

    async def count(request: Request) -> JSONAnswer:
        found = make_filter(request, account_of(request))
        if (listing.live_sql is not None and not variant_of(request).counts_deleted
                and query_text(request, "status") is None):
            found.add(listing.live_sql)
        with store_of(request).transaction() as db:
            return count_answer(count_rows(db, listing.table, found))

    return [Route(path, list_page, methods=["GET"]), Route(f"{path}/count", count, methods=["GET"])]


def rows_by_id(db: sqlite3.Connection, table: str, ids: list[int]) -> list[sqlite3.Row]:
    """The rows of `table` with these ids, in the ids' order."""
    marks = ",".join("?" * len(ids))
    found = {row["id"]: row for row in db.execute(f"SELECT * FROM {table} WHERE id IN ({marks})", ids)}
    return [found[i] for i in ids if i in found]


@dataclass(frozen=True)
class NamedEntity:
    """How one named, account-owned entity (group, conversion, script) is stored and shown."""

    table: str
    alias: str  # the table's alias in the list filters: "g" for groups
    collection: str  # the URI collection: /{collection}/{id}
    kind: str  # for messages: "group"
    parse: Callable[[dict[str, Any], bool], dict[str, Any]]  # (folded body, creating) -> columns
    render: Callable[[sqlite3.Connection, sqlite3.Row], dict[str, Any]]
    soft_delete: bool  # a `deleted` flag (and a creation date) instead of removal
    defaults: dict[str, Any]  # what a replacing update resets a column to when the body omits it
    on_delete: tuple[str, ...] = ()  # statements run with the id, before the row goes
    after_create: Callable[[sqlite3.Connection, int, int, dict[str, Any]], None] | None = None


def entity_routes(entity: NamedEntity, make_filter: FilterMaker) -> list[BaseRoute]:
    """List, count, get, create, update and delete routes for a `NamedEntity`.

    Names are unique per account (among non-deleted rows when soft-deleted,
    403 otherwise); a deleted row stays readable by id, and listed, but is no
    longer writable (404). An update replaces or merges as the variant says.
    """
    live_only = entity.soft_delete

    def expand(db: sqlite3.Connection, account_id: int, ids: list[int]) -> list[dict[str, Any]]:
        return [entity.render(db, row) for row in rows_by_id(db, entity.table, ids)]

    async def get_one(request: Request) -> JSONAnswer:
        account_id = account_of(request)
        with store_of(request).transaction() as db:
            row = own_row(db, entity.table, entity.kind, request.path_params["id"], account_id)
            return JSONAnswer(entity.render(db, row))

    async def create(request: Request) -> JSONAnswer:
        account_id = account_of(request)
        body = await read_object(request)
        columns = entity.parse(body, True)
        if entity.soft_delete:
            columns["creation_date"] = now_of(request)
        with store_of(request).transaction() as db:
            check_unique_name(db, entity.table, account_id, columns["name"], live_only=live_only)
            row_id = insert_row(db, entity.table, {"account_id": account_id, **columns})
            if entity.after_create is not None:
                entity.after_create(db, account_id, row_id, body)
        return JSONAnswer(entity_uri(entity.collection, row_id))

    async def update(request: Request) -> JSONAnswer:
        account_id = account_of(request)
        row_id = request.path_params["id"]
        replace = variant_of(request).updates == "replace"
        columns = entity.parse(await read_object(request), replace)
        if replace:
            columns = {**entity.defaults, **columns}
        with store_of(request).transaction() as db:
            own_row(db, entity.table, entity.kind, row_id, account_id, live_only=live_only)
            if "name" in columns:
                check_unique_name(db, entity.table, account_id, columns["name"], row_id,
                                  live_only=live_only)
            update_row(db, entity.table, row_id, columns)
        return JSONAnswer(entity_uri(entity.collection, row_id))

    async def delete(request: Request) -> JSONAnswer:
        account_id = account_of(request)
        row_id = request.path_params["id"]
        with store_of(request).transaction() as db:
            own_row(db, entity.table, entity.kind, row_id, account_id, live_only=live_only)
            for statement in entity.on_delete:
                db.execute(statement, (row_id,))
            if entity.soft_delete:
                db.execute(f"UPDATE {entity.table} SET deleted = 1 WHERE id = ?", (row_id,))
            else:
                db.execute(f"DELETE FROM {entity.table} WHERE id = ?", (row_id,))
        return JSONAnswer(entity_uri(entity.collection, row_id))

    path = f"/{entity.collection}"
    listing = Listing(entity.collection, f"{entity.table} {entity.alias}", expand,
                      f"{entity.alias}.deleted = 0" if entity.soft_delete else None)
    return [
        *list_and_count_routes(path, listing, make_filter, f"{entity.alias}.id"),
        Route(path, create, methods=["POST"]),
        Route(f"{path}/{{id:id}}", get_one, methods=["GET"]),
        Route(f"{path}/{{id:id}}", update, methods=["POST"]),
        Route(f"{path}/{{id:id}}", delete, methods=["DELETE"]),
    ]
