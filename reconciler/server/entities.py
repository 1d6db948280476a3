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

from reconciler.server.context import account_of, now_of, store_of
from reconciler.server.db import insert_row, update_row
from reconciler.server.listing import Filter, count_rows, page_ids
from reconciler.server.requests import read_object
from reconciler.server.responses import (
    ApiError, JSONAnswer, count_answer, entities_answer, entity_uri, failure, not_found,
)

FilterMaker = Callable[[Request, int], Filter]  # (request, account id) -> filter
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
    row = db.execute(f"SELECT * FROM {table} WHERE id = ? AND account_id = ?{extra}",
                     (row_id, account_id)).fetchone()
    if row is None:
        raise not_found(kind, row_id)
    return row


def check_unique_name(db: sqlite3.Connection, table: str, kind: str, account_id: int, name: str,
                      own_id: int = 0, *, live_only: bool = False) -> None:
    """400 naming `name` if another (non-deleted, with `live_only`) row of the account has it."""
    extra = " AND deleted = 0" if live_only else ""
    if db.execute(f"SELECT 1 FROM {table} WHERE account_id = ? AND name = ? AND id != ?{extra}",
                  (account_id, name, own_id)).fetchone():
        raise ApiError(400, [failure("name", f"a {kind} with this name exists", name, "duplicate")])


def list_and_count_routes(path: str, collection: str, table: str, make_filter: FilterMaker,
                          order: str | Callable[[Request], str]) -> list[BaseRoute]:
    """`GET {path}` (a page of `{id, uri}` in `collection`) and `GET {path}/count`.

    `table` is "name alias" (e.g. "groups g"); `make_filter` gives the
    conditions on that alias; `order` is an ORDER BY or makes one from the request.
    """

    async def list_page(request: Request) -> JSONAnswer:
        found = make_filter(request, account_of(request))
        ordering = order(request) if callable(order) else order
        with store_of(request).transaction() as db:
            return entities_answer(collection, page_ids(db, request, table, found, ordering))

    async def count(request: Request) -> JSONAnswer:
        found = make_filter(request, account_of(request))
        with store_of(request).transaction() as db:
            return count_answer(count_rows(db, table, found))

    return [Route(path, list_page, methods=["GET"]), Route(f"{path}/count", count, methods=["GET"])]


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
    on_delete: tuple[str, ...] = ()  # statements run with the id, before the row goes
    after_create: Callable[[sqlite3.Connection, int, int, dict[str, Any]], None] | None = None


def entity_routes(entity: NamedEntity, make_filter: FilterMaker) -> list[BaseRoute]:
    """List, count, get, create, update and delete routes for a `NamedEntity`.

    Names are unique per account (among non-deleted rows when soft-deleted);
    a deleted row stays readable by id but is no longer writable (404).
    """
    live_only = entity.soft_delete

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
            check_unique_name(db, entity.table, entity.kind, account_id, columns["name"],
                              live_only=live_only)
            row_id = insert_row(db, entity.table, {"account_id": account_id, **columns})
            if entity.after_create is not None:
                entity.after_create(db, account_id, row_id, body)
        return JSONAnswer(entity_uri(entity.collection, row_id))

    async def update(request: Request) -> JSONAnswer:
        account_id = account_of(request)
        row_id = request.path_params["id"]
        columns = entity.parse(await read_object(request), False)
        with store_of(request).transaction() as db:
            own_row(db, entity.table, entity.kind, row_id, account_id, live_only=live_only)
            if "name" in columns:
                check_unique_name(db, entity.table, entity.kind, account_id, columns["name"],
                                  row_id, live_only=live_only)
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
    return [
        *list_and_count_routes(path, entity.collection, f"{entity.table} {entity.alias}",
                               make_filter, f"{entity.alias}.id"),
        Route(path, create, methods=["POST"]),
        Route(f"{path}/{{id:int}}", get_one, methods=["GET"]),
        Route(f"{path}/{{id:int}}", update, methods=["POST"]),
        Route(f"{path}/{{id:int}}", delete, methods=["DELETE"]),
    ]
