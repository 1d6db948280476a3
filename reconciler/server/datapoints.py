"""Datapoint routes: list, count, get, create, update, delete, the three batches,
the favourite toggle and notes, and the datapoint lists of a group, tag,
conversion or retargeting script (`scoped_datapoint_routes`).
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.routing import BaseRoute, Route

from reconciler.server.batches import ItemResult, batch_items, run_items
from reconciler.server.context import account_of, now_of, store_of
from reconciler.server.datapoint_bodies import parse_datapoint
from reconciler.server.datapoint_store import (
    create_datapoint, delete_datapoint, fetch_datapoint, update_datapoint, writable_datapoint,
)
from reconciler.server.listing import (
    Filter, count_rows, datapoint_filter, datapoint_order, page_ids,
)
from reconciler.server.requests import optional_text, parse_id, read_object
from reconciler.server.responses import (
    JSONAnswer, bad_request, count_answer, entities_answer, entity_uri, not_found,
)

TABLE = "datapoints d"


async def list_datapoints(request: Request) -> JSONAnswer:
    account_id = account_of(request)
    found = datapoint_filter(request, account_id)
    with store_of(request).transaction() as db:
        ids = page_ids(db, request, TABLE, found, datapoint_order(request))
    return entities_answer("datapoints", ids)


async def count_datapoints(request: Request) -> JSONAnswer:
    account_id = account_of(request)
    found = datapoint_filter(request, account_id)
    with store_of(request).transaction() as db:
        return count_answer(count_rows(db, TABLE, found))


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


async def update_one(request: Request) -> JSONAnswer:
    """`POST /datapoints/{id}`: the fields given replace, the others stay."""
    account_id = account_of(request)
    datapoint_id = request.path_params["id"]
    given = parse_datapoint(await read_object(request), creating=False)
    with store_of(request).transaction() as db:
        update_datapoint(db, account_id, datapoint_id, given)
    return JSONAnswer(entity_uri("datapoints", datapoint_id))


async def delete_one(request: Request) -> JSONAnswer:
    account_id = account_of(request)
    datapoint_id = request.path_params["id"]
    with store_of(request).transaction() as db:
        delete_datapoint(db, account_id, datapoint_id)
    return JSONAnswer(entity_uri("datapoints", datapoint_id))


async def toggle_favourite(request: Request) -> JSONAnswer:
    """`PUT /datapoints/{id}/favourite`: flips `preferred`."""
    account_id = account_of(request)
    datapoint_id = request.path_params["id"]
    with store_of(request).transaction() as db:
        writable_datapoint(db, account_id, datapoint_id)
        db.execute("UPDATE datapoints SET preferred = 1 - preferred WHERE id = ?", (datapoint_id,))
    return JSONAnswer(entity_uri("datapoints", datapoint_id))


async def set_notes(request: Request) -> JSONAnswer:
    """`PUT /datapoints/{id}/notes` with `{"Text": ...}`."""
    account_id = account_of(request)
    datapoint_id = request.path_params["id"]
    body = await read_object(request)
    if "text" not in body:
        raise bad_request("Text", "Text is required")
    notes = optional_text("Text", body["text"])
    with store_of(request).transaction() as db:
        writable_datapoint(db, account_id, datapoint_id)
        db.execute("UPDATE datapoints SET notes = ? WHERE id = ?", (notes, datapoint_id))
    return JSONAnswer(entity_uri("datapoints", datapoint_id))


async def create_batch(request: Request) -> JSONAnswer:
    """`PUT /datapoints/batch` `{"List": [Datapoint...]}`."""
    account_id = account_of(request)
    items = batch_items(await read_object(request), "list", "List")
    now = now_of(request)
    with store_of(request).transaction() as db:
        def create_item(item: Any) -> ItemResult:
            datapoint_id = create_datapoint(db, account_id, parse_datapoint(item, creating=True), now)
            return entity_uri("datapoints", datapoint_id), fetch_datapoint(db, account_id, datapoint_id)

        return JSONAnswer(run_items(db, items, create_item))


async def update_batch(request: Request) -> JSONAnswer:
    """`POST /datapoints/batch` `{"List": [Datapoint with id...]}`."""
    account_id = account_of(request)
    items = batch_items(await read_object(request), "list", "List")
    with store_of(request).transaction() as db:
        def update_item(item: Any) -> ItemResult:
            datapoint_id = _item_id(item)
            update_datapoint(db, account_id, datapoint_id, parse_datapoint(item, creating=False))
            return entity_uri("datapoints", datapoint_id), fetch_datapoint(db, account_id, datapoint_id)

        return JSONAnswer(run_items(db, items, update_item))


async def delete_batch(request: Request) -> JSONAnswer:
    """`DELETE /datapoints/batch` `{"Entities": [{"id"}...]}`."""
    account_id = account_of(request)
    items = batch_items(await read_object(request), "entities", "Entities")
    with store_of(request).transaction() as db:
        def delete_item(item: Any) -> ItemResult:
            datapoint_id = _item_id(item)
            delete_datapoint(db, account_id, datapoint_id)
            return entity_uri("datapoints", datapoint_id), fetch_datapoint(db, account_id, datapoint_id)

        return JSONAnswer(run_items(db, items, delete_item))


def _item_id(item: Any) -> int:
    if not isinstance(item, dict):
        raise bad_request("id", "each item must be an object with an id", item)
    return parse_id("id", item.get("id"))


def scoped_datapoint_routes(prefix: str, kind: str, owner_sql: str, scope_sql: str) -> list[BaseRoute]:
    """`GET {prefix}/datapoints` and `.../count` for the datapoints of one group, tag, ....

    `owner_sql` selects the scope entity by `(id, account_id)` (404 when it is
    not the caller's); `scope_sql` is the condition on `d` taking its id.
    """

    def scoped_filter(request: Request) -> Filter:
        account_id = account_of(request)
        scope_id = request.path_params["scope_id"]
        found = datapoint_filter(request, account_id)
        found.add(scope_sql, scope_id)
        with store_of(request).transaction() as db:
            if db.execute(owner_sql, (scope_id, account_id)).fetchone() is None:
                raise not_found(kind, scope_id)
        return found

    async def list_scoped(request: Request) -> JSONAnswer:
        found = scoped_filter(request)
        with store_of(request).transaction() as db:
            return entities_answer("datapoints", page_ids(db, request, TABLE, found,
                                                          datapoint_order(request)))

    async def count_scoped(request: Request) -> JSONAnswer:
        found = scoped_filter(request)
        with store_of(request).transaction() as db:
            return count_answer(count_rows(db, TABLE, found))

    return [Route(f"{prefix}/datapoints", list_scoped, methods=["GET"]),
            Route(f"{prefix}/datapoints/count", count_scoped, methods=["GET"])]


def datapoint_routes() -> list[BaseRoute]:
    """The `/datapoints` routes."""
    return [
        Route("/datapoints", list_datapoints, methods=["GET"]),
        Route("/datapoints", create_one, methods=["POST"]),
        Route("/datapoints/count", count_datapoints, methods=["GET"]),
        Route("/datapoints/batch", create_batch, methods=["PUT"]),
        Route("/datapoints/batch", update_batch, methods=["POST"]),
        Route("/datapoints/batch", delete_batch, methods=["DELETE"]),
        Route("/datapoints/{id:int}", get_datapoint, methods=["GET"]),
        Route("/datapoints/{id:int}", update_one, methods=["POST"]),
        Route("/datapoints/{id:int}", delete_one, methods=["DELETE"]),
        Route("/datapoints/{id:int}/favourite", toggle_favourite, methods=["PUT"]),
        Route("/datapoints/{id:int}/notes", set_notes, methods=["PUT"]),
    ]
