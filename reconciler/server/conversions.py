"""Conversion routes: list, count, get, create, update, delete, and the
conversion's datapoints (list, count, patch one, batch patch).

A conversion name is unique per account among non-deleted conversions.
Deleting one marks it deleted (readable by id) and frees its datapoint slots.
Adding a conversion to a datapoint takes its first free slot of five (400
naming `Id` when all five are taken); `ReplaceId` puts it in that
conversion's slot instead.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from starlette.requests import Request
from starlette.routing import BaseRoute, Route

from reconciler.apishapes import CONVERSION_SLOTS, PATCH_ADD, PROTOCOLS
from reconciler.server.batches import ItemResult, batch_items, run_items
from reconciler.server.context import account_of, now_of, store_of
from reconciler.server.datapoint_store import writable_datapoint
from reconciler.server.datapoints import scoped_datapoint_routes
from reconciler.server.db import insert_row, update_row
from reconciler.server.listing import (
    Filter, add_created_range, add_deleted_status, add_text_search, count_rows, page_ids,
)
from reconciler.server.requests import (
    FailureCollector, optional_text, parse_enum, parse_id, parse_patch, read_object,
    required_name,
)
from reconciler.server.responses import (
    ApiError, JSONAnswer, bad_request, count_answer, entities_answer, entity_uri, failure,
    not_found,
)


def render_conversion(row: sqlite3.Row) -> dict[str, Any]:
    """The documented `Api.Core.Dto.Conversions.Conversion` body."""
    answer = {"id": row["id"], "name": row["name"], "protocol": row["protocol"],
              "creationDate": row["creation_date"], "deleted": bool(row["deleted"])}
    for column in ("description", "value", "code"):
        if row[column] is not None:
            answer[column] = row[column]
    return answer


def live_conversion(db: sqlite3.Connection, account_id: int, conversion_id: int) -> None:
    """404 unless the conversion is the account's and not deleted."""
    if db.execute("SELECT 1 FROM conversions WHERE id = ? AND account_id = ? AND deleted = 0",
                  (conversion_id, account_id)).fetchone() is None:
        raise not_found("conversion", conversion_id)


def parse_conversion(body: dict[str, Any], *, creating: bool) -> dict[str, Any]:
    """The conversion columns a body gives."""
    collector = FailureCollector()
    columns: dict[str, Any] = {}
    if creating or "name" in body:
        columns["name"] = collector.read(required_name, "name", body.get("name"))
    for prop in ("description", "code"):
        if prop in body:
            columns[prop] = collector.read(optional_text, prop, body[prop])
    if "value" in body:
        columns["value"] = collector.read(_money, body["value"])
    if "protocol" in body:
        columns["protocol"] = collector.read(parse_enum, "protocol", body["protocol"], PROTOCOLS)
    collector.raise_any()
    return columns


def _money(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise bad_request("value", "value must be a number >= 0", value)
    return float(value)


def _check_unique(db: sqlite3.Connection, account_id: int, name: str, own_id: int) -> None:
    if db.execute("SELECT 1 FROM conversions WHERE account_id = ? AND name = ? AND deleted = 0 "
                  "AND id != ?", (account_id, name, own_id)).fetchone():
        raise ApiError(400, [failure("name", "a conversion with this name exists", name, "duplicate")])


def conversion_filter(request: Request, account_id: int) -> Filter:
    """Conversions by status (active/deleted), textSearch, createdAfter/Before."""
    found = Filter()
    found.add("c.account_id = ?", account_id)
    add_deleted_status(found, request, "c.deleted")
    add_text_search(found, request, ("c.name", "c.description"))
    add_created_range(found, request, "c.creation_date")
    return found


async def list_conversions(request: Request) -> JSONAnswer:
    found = conversion_filter(request, account_of(request))
    with store_of(request).transaction() as db:
        return entities_answer("conversions", page_ids(db, request, "conversions c", found, "c.id"))


async def count_conversions(request: Request) -> JSONAnswer:
    found = conversion_filter(request, account_of(request))
    with store_of(request).transaction() as db:
        return count_answer(count_rows(db, "conversions c", found))


async def get_conversion(request: Request) -> JSONAnswer:
    account_id = account_of(request)
    conversion_id = request.path_params["id"]
    with store_of(request).transaction() as db:
        row = db.execute("SELECT * FROM conversions WHERE id = ? AND account_id = ?",
                         (conversion_id, account_id)).fetchone()
    if row is None:
        raise not_found("conversion", conversion_id)
    return JSONAnswer(render_conversion(row))


async def create_conversion(request: Request) -> JSONAnswer:
    account_id = account_of(request)
    columns = parse_conversion(await read_object(request), creating=True)
    with store_of(request).transaction() as db:
        _check_unique(db, account_id, columns["name"], 0)
        conversion_id = insert_row(db, "conversions", {"account_id": account_id,
                                                       "creation_date": now_of(request), **columns})
    return JSONAnswer(entity_uri("conversions", conversion_id))


async def update_conversion(request: Request) -> JSONAnswer:
    account_id = account_of(request)
    conversion_id = request.path_params["id"]
    columns = parse_conversion(await read_object(request), creating=False)
    with store_of(request).transaction() as db:
        live_conversion(db, account_id, conversion_id)
        if "name" in columns:
            _check_unique(db, account_id, columns["name"], conversion_id)
        update_row(db, "conversions", conversion_id, columns)
    return JSONAnswer(entity_uri("conversions", conversion_id))


async def delete_conversion(request: Request) -> JSONAnswer:
    account_id = account_of(request)
    conversion_id = request.path_params["id"]
    with store_of(request).transaction() as db:
        live_conversion(db, account_id, conversion_id)
        db.execute("UPDATE conversions SET deleted = 1 WHERE id = ?", (conversion_id,))
        db.execute("DELETE FROM datapoint_conversions WHERE conversion_id = ?", (conversion_id,))
    return JSONAnswer(entity_uri("conversions", conversion_id))


def patch_datapoint_conversion(db: sqlite3.Connection, account_id: int, conversion_id: int,
                               action: str, datapoint_id: int, replace_id: int | None = None) -> None:
    """Add the conversion to (or remove it from) one datapoint's five slots."""
    writable_datapoint(db, account_id, datapoint_id)
    taken = {row["slot"]: row["conversion_id"] for row in db.execute(
        "SELECT slot, conversion_id FROM datapoint_conversions WHERE datapoint_id = ?",
        (datapoint_id,))}
    if action != PATCH_ADD:
        db.execute("DELETE FROM datapoint_conversions WHERE datapoint_id = ? AND conversion_id = ?",
                   (datapoint_id, conversion_id))
        return
    if conversion_id in taken.values():
        return
    replaced = [slot for slot, cid in taken.items() if cid == replace_id]
    free = [slot for slot in range(1, len(CONVERSION_SLOTS) + 1) if slot not in taken]
    if not replaced and not free:
        raise ApiError(400, [failure("Id", "the datapoint already has 5 conversions",
                                     datapoint_id, "too_many")])
    slot = (replaced or free)[0]
    db.execute("INSERT OR REPLACE INTO datapoint_conversions (datapoint_id, slot, conversion_id) "
               "VALUES (?, ?, ?)", (datapoint_id, slot, conversion_id))


async def patch_one(request: Request) -> JSONAnswer:
    """`PUT /conversions/{id}/datapoints/patch` `{"Action", "Id", "ReplaceId"?}`."""
    account_id = account_of(request)
    conversion_id = request.path_params["scope_id"]
    body = await read_object(request)
    action, datapoint_id = parse_patch(body)
    replace_id = None if body.get("replaceid") is None else parse_id("ReplaceId", body["replaceid"])
    with store_of(request).transaction() as db:
        live_conversion(db, account_id, conversion_id)
        patch_datapoint_conversion(db, account_id, conversion_id, action, datapoint_id, replace_id)
    return JSONAnswer(entity_uri("conversions", conversion_id))


async def patch_batch(request: Request) -> JSONAnswer:
    """`PUT /conversions/{id}/datapoints/batch/patch` `{"PatchRequests": [{"Action", "Id"}...]}`."""
    account_id = account_of(request)
    conversion_id = request.path_params["scope_id"]
    items = batch_items(await read_object(request), "patchrequests", "PatchRequests")
    with store_of(request).transaction() as db:
        live_conversion(db, account_id, conversion_id)

        def patch_item(item: Any) -> ItemResult:
            if not isinstance(item, dict):
                raise bad_request("PatchRequests", "each patch request must be an object", item)
            action, datapoint_id = parse_patch(item)
            patch_datapoint_conversion(db, account_id, conversion_id, action, datapoint_id)
            return entity_uri("datapoints", datapoint_id), None

        return JSONAnswer(run_items(db, items, patch_item))


def conversion_routes() -> list[BaseRoute]:
    """The `/conversions` routes."""
    return [
        Route("/conversions", list_conversions, methods=["GET"]),
        Route("/conversions", create_conversion, methods=["POST"]),
        Route("/conversions/count", count_conversions, methods=["GET"]),
        Route("/conversions/{id:int}", get_conversion, methods=["GET"]),
        Route("/conversions/{id:int}", update_conversion, methods=["POST"]),
        Route("/conversions/{id:int}", delete_conversion, methods=["DELETE"]),
        Route("/conversions/{scope_id:int}/datapoints/patch", patch_one, methods=["PUT"]),
        Route("/conversions/{scope_id:int}/datapoints/batch/patch", patch_batch, methods=["PUT"]),
        *scoped_datapoint_routes(
            "/conversions/{scope_id:int}", "conversion",
            "SELECT 1 FROM conversions WHERE id = ? AND account_id = ?",
            "d.id IN (SELECT datapoint_id FROM datapoint_conversions WHERE conversion_id = ?)"),
    ]
