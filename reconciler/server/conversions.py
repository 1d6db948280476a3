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
import uuid
from typing import Any

from starlette.requests import Request
from starlette.routing import BaseRoute, Route

from reconciler.apishapes import CONVERSION_SLOTS, MAX_MONEY, PATCH_ADD, PROTOCOL_CODES, PROTOCOLS
from reconciler.server.batches import ItemResult, batch_items, run_items
from reconciler.server.context import account_of, store_of
from reconciler.server.datapoint_store import slots_of, writable_datapoint
from reconciler.server.datapoints import scoped_datapoint_routes
from reconciler.server.entities import NamedEntity, entity_routes, own_row
from reconciler.server.listing import (
    Filter,
    add_created_range,
    add_deleted_status,
    add_text_search,
)
from reconciler.server.requests import (
    FailureCollector,
    optional_text,
    parse_enum,
    parse_id,
    parse_patch,
    read_object,
    required_name,
)
from reconciler.server.responses import ApiError, JSONAnswer, bad_request, entity_uri, failure


def render_conversion(db: sqlite3.Connection, row: sqlite3.Row) -> dict[str, Any]:
    """The conversion as gem:conversiontest_test_find shows it: `{id, name, code,
    creationDate, value}` plus `description`, `protocol` (a number) and `deleted` only when set."""
    answer: dict[str, Any] = {"id": row["id"], "name": row["name"], "code": row["code"],
                              "creationDate": row["creation_date"],
                              "value": float(row["value"] or 0.0)}
    if row["description"] is not None:
        answer["description"] = row["description"]
    if row["protocol"] != PROTOCOLS[0]:
        answer["protocol"] = PROTOCOL_CODES[row["protocol"]]
    if row["deleted"]:
        answer["deleted"] = True
    return answer


def conversion_code(db: sqlite3.Connection, account_id: int, conversion_id: int,
                    body: dict[str, Any]) -> None:
    """Give a new conversion the tracking code the live service makes (32 hex digits) unless sent."""
    db.execute("UPDATE conversions SET code = ? WHERE id = ? AND code IS NULL",
               (uuid.uuid4().hex.upper(), conversion_id))


def live_conversion(db: sqlite3.Connection, account_id: int, conversion_id: int) -> None:
    """404 unless the conversion is the account's and not deleted."""
    own_row(db, "conversions", "conversion", conversion_id, account_id, live_only=True)


def parse_conversion(body: dict[str, Any], creating: bool) -> dict[str, Any]:
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
    """A conversion value: a .NET decimal >= 0 (so any sum of them stays a finite JSON number)."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= MAX_MONEY:
        raise bad_request("value", f"value must be a number from 0 to {MAX_MONEY}")
    return float(value)


def conversion_filter(request: Request, account_id: int) -> Filter:
    """Conversions by status (active/deleted), textSearch, createdAfter/Before."""
    found = Filter()
    found.add("c.account_id = ?", account_id)
    add_deleted_status(found, request, "c.deleted")
    add_text_search(found, request, ("c.name", "c.description"))
    add_created_range(found, request, "c.creation_date")
    return found


CONVERSIONS = NamedEntity(
    table="conversions", alias="c", collection="conversions", kind="conversion",
    parse=parse_conversion, render=render_conversion, soft_delete=True,
    defaults={"description": None, "value": None, "protocol": PROTOCOLS[0]},
    after_create=conversion_code,
    on_delete=("DELETE FROM datapoint_conversions WHERE conversion_id = ?",))


def patch_datapoint_conversion(db: sqlite3.Connection, account_id: int, conversion_id: int,
                               action: str, datapoint_id: int, replace_id: int | None = None) -> None:
    """Add the conversion to (or remove it from) one datapoint's five slots."""
    writable_datapoint(db, account_id, datapoint_id)
    taken = slots_of(db, datapoint_id)
    if action != PATCH_ADD:
        db.execute("DELETE FROM datapoint_conversions WHERE datapoint_id = ? AND conversion_id = ?",
                   (datapoint_id, conversion_id))
        return
    if conversion_id in taken.values():
        return
    replaced = [slot for slot, cid in taken.items() if cid == replace_id]
    free = [slot for slot in range(1, len(CONVERSION_SLOTS) + 1) if slot not in taken]
    if not replaced and not free:
        raise ApiError(400, [failure("Id", "the datapoint already has 5 conversions", "too_many")])
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
                raise bad_request("PatchRequests", "each patch request must be an object")
            action, datapoint_id = parse_patch(item)
            patch_datapoint_conversion(db, account_id, conversion_id, action, datapoint_id)
            return entity_uri("datapoints", datapoint_id), None

        return JSONAnswer(run_items(db, items, patch_item))


def conversion_routes() -> list[BaseRoute]:
    """The `/conversions` routes."""
    return [
        *entity_routes(CONVERSIONS, conversion_filter),
        Route("/conversions/{scope_id:id}/datapoints/patch", patch_one, methods=["PUT"]),
        Route("/conversions/{scope_id:id}/datapoints/batch/patch", patch_batch, methods=["PUT"]),
        *scoped_datapoint_routes(
            "/conversions/{scope_id:id}", "conversion",
            "SELECT 1 FROM conversions WHERE id = ? AND account_id = ?",
            "d.id IN (SELECT datapoint_id FROM datapoint_conversions WHERE conversion_id = ?)"),
    ]
