"""Datapoint routes: list, count, get, create, update, delete, the three batches,
the favourite toggle and notes, and the datapoint lists of a group, tag,
conversion or retargeting script (`scoped_datapoint_routes`).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.routing import BaseRoute, Route

from reconciler.apishapes import DATAPOINT_MISSING_CODE, STATUS_DELETED
from reconciler.server.batches import ItemResult, batch_items, run_items
from reconciler.server.context import account_of, now_of, store_of, variant_of
from reconciler.server.datapoint_bodies import parse_datapoint
from reconciler.server.datapoint_store import (
    create_datapoint,
    delete_datapoint,
    fetch_datapoint,
    fetch_datapoints,
    update_datapoint,
    writable_datapoint,
)
from reconciler.server.entities import Listing, RowChange, change_one, list_and_count_routes
from reconciler.server.listing import Filter, datapoint_filter, datapoint_order
from reconciler.server.requests import optional_text, read_object
from reconciler.server.responses import (
    ApiError,
    JSONAnswer,
    bad_request,
    entity_uri,
    failure,
    not_found,
)


def expand_datapoints(db: sqlite3.Connection, account_id: int, ids: list[int]) -> list[dict[str, Any]]:
    """The datapoints as their GETs answer them, in the ids' order."""
    found = fetch_datapoints(db, account_id, ids)
    return [found[i] for i in ids if i in found]


DATAPOINTS = Listing("datapoints", "datapoints d", expand_datapoints, f"d.status != '{STATUS_DELETED}'")
Endpoint = Callable[[Request], Awaitable[JSONAnswer]]
DatapointWrite = Callable[[sqlite3.Connection, int, Any, Request], int]  # (db, account, item, request) -> id


async def get_datapoint(request: Request) -> JSONAnswer:
    account_id = account_of(request)
    with store_of(request).transaction() as db:
        return JSONAnswer(fetch_datapoint(db, account_id, request.path_params["id"]))


async def create_one(request: Request) -> JSONAnswer:
    """`POST /datapoints`: create from a full body; answers `{id, uri}`."""
    account_id = account_of(request)
    given = parse_datapoint(await read_object(request), creating=True)
    with store_of(request).transaction() as db:
        datapoint_id = create_datapoint(db, account_id, given, now_of(request))
    return JSONAnswer(entity_uri("datapoints", datapoint_id))


async def _change(request: Request, change: RowChange) -> JSONAnswer:
    return await change_one(request, "datapoints", "id", change)


async def update_one(request: Request) -> JSONAnswer:
    """`POST /datapoints/{id}`: the fields given are written; the variant says what the others do."""
    given = parse_datapoint(await read_object(request), creating=False)
    variant = variant_of(request)
    return await _change(request, lambda db, account_id, datapoint_id: update_datapoint(
        db, account_id, datapoint_id, given, replace=variant.updates == "replace", slots=variant.update_slots))


async def delete_one(request: Request) -> JSONAnswer:
    """`DELETE /datapoints/{id}`: marks it Deleted."""
    return await _change(request, delete_datapoint)


def _flip_preferred(db: sqlite3.Connection, account_id: int, datapoint_id: int) -> None:
    writable_datapoint(db, account_id, datapoint_id)
    db.execute("UPDATE datapoints SET preferred = 1 - preferred WHERE id = ?", (datapoint_id,))


async def toggle_favourite(request: Request) -> JSONAnswer:
    """`PUT /datapoints/{id}/favourite`: flips `preferred`."""
    return await _change(request, _flip_preferred)


async def set_notes(request: Request) -> JSONAnswer:
    """`PUT /datapoints/{id}/notes` with `{"Text": ...}`."""
    body = await read_object(request)
    if "text" not in body:
        raise bad_request("Text", "Text is required")
    notes = optional_text("Text", body["text"])

    def write_notes(db: sqlite3.Connection, account_id: int, datapoint_id: int) -> None:
        writable_datapoint(db, account_id, datapoint_id)
        db.execute("UPDATE datapoints SET notes = ? WHERE id = ?", (notes, datapoint_id))

    return await _change(request, write_notes)


def _datapoint_batch(key: str, prop: str, write: DatapointWrite) -> Endpoint:
    """A batch endpoint over `{prop: [...]}`: `write` each item, answer it with the datapoint.

    The written datapoints are rendered together (four queries, not four per item) into the
    answer's placeholders; a datapoint written again first has its earlier answer rendered,
    so each item is still answered as its own write left it.
    """

    async def run_batch(request: Request) -> JSONAnswer:
        account_id = account_of(request)
        items = batch_items(await read_object(request), key, prop)
        with store_of(request).transaction() as db:
            unrendered: dict[int, dict[str, Any]] = {}  # datapoint id -> its empty entityData

            def render() -> None:
                for datapoint_id, entity in fetch_datapoints(db, account_id, list(unrendered)).items():
                    unrendered[datapoint_id].update(entity)
                unrendered.clear()

            def apply_item(item: Any) -> ItemResult:
                if isinstance(item, dict) and isinstance(item.get("id"), int) and item["id"] in unrendered:
                    render()
                datapoint_id = write(db, account_id, item, request)
                entity: dict[str, Any] = {}
                unrendered[datapoint_id] = entity
                return entity_uri("datapoints", datapoint_id), entity

            answer = run_items(db, items, apply_item)
            render()
            return JSONAnswer(answer)

    return run_batch


def _create_item(db: sqlite3.Connection, account_id: int, item: Any, request: Request) -> int:
    """A `PUT /datapoints/batch` item: always a new datapoint (an id in it is ignored, as recorded)."""
    return create_datapoint(db, account_id, parse_datapoint(item, creating=True), now_of(request))


def _update_item(db: sqlite3.Connection, account_id: int, item: Any, request: Request) -> int:
    datapoint_id = _existing_item(db, account_id, item)
    variant = variant_of(request)
    update_datapoint(db, account_id, datapoint_id, parse_datapoint(item, creating=False),
                     replace=variant.updates == "replace", slots=variant.update_slots)
    return datapoint_id


def _delete_item(db: sqlite3.Connection, account_id: int, item: Any, request: Request) -> int:
    datapoint_id = _existing_item(db, account_id, item)
    delete_datapoint(db, account_id, datapoint_id)
    return datapoint_id


def _existing_item(db: sqlite3.Connection, account_id: int, item: Any) -> int:
    """The id of the account's live datapoint the item names; otherwise the recorded error."""
    datapoint_id = item.get("id") if isinstance(item, dict) else None
    if not isinstance(datapoint_id, int) or isinstance(datapoint_id, bool) or datapoint_id <= 0:
        raise no_such_datapoint()
    try:
        writable_datapoint(db, account_id, datapoint_id)
    except ApiError:
        raise no_such_datapoint() from None
    return datapoint_id


def no_such_datapoint() -> ApiError:
    """A batch item naming no existing datapoint, worded as gem:datapointtest_test_create_batch."""
    return ApiError(400, [failure("Id", "Specified datapoint does not exist.", DATAPOINT_MISSING_CODE)])


def scoped_datapoint_routes(prefix: str, kind: str, owner_sql: str, scope_sql: str) -> list[BaseRoute]:
    """`GET {prefix}/datapoints` and `.../count` for the datapoints of one group, tag, ....

    `owner_sql` selects the scope entity by `(id, account_id)` (404 when it is
    not the caller's); `scope_sql` is the condition on `d` taking its id.
    """

    def scoped_filter(request: Request, account_id: int) -> Filter:
        scope_id = request.path_params["scope_id"]
        found = datapoint_filter(request, account_id)
        found.add(scope_sql, scope_id)
        with store_of(request).transaction() as db:
            if db.execute(owner_sql, (scope_id, account_id)).fetchone() is None:
                raise not_found(kind, scope_id)
        return found

    return list_and_count_routes(f"{prefix}/datapoints", DATAPOINTS, scoped_filter, datapoint_order)


def datapoint_routes() -> list[BaseRoute]:
    """The `/datapoints` routes."""
    return [
        *list_and_count_routes("/datapoints", DATAPOINTS, datapoint_filter, datapoint_order),
        Route("/datapoints", create_one, methods=["POST"]),
        Route("/datapoints/batch", _datapoint_batch("list", "List", _create_item), methods=["PUT"]),
        Route("/datapoints/batch", _datapoint_batch("list", "List", _update_item), methods=["POST"]),
        Route("/datapoints/batch", _datapoint_batch("entities", "Entities", _delete_item),
              methods=["DELETE"]),
        Route("/datapoints/{id:id}", get_datapoint, methods=["GET"]),
        Route("/datapoints/{id:id}", update_one, methods=["POST"]),
        Route("/datapoints/{id:id}", delete_one, methods=["DELETE"]),
        Route("/datapoints/{id:id}/favourite", toggle_favourite, methods=["PUT"]),
        Route("/datapoints/{id:id}/notes", set_notes, methods=["PUT"]),
    ]
