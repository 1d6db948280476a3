"""Retargeting script routes: list, count, get, create, update, delete, and
the script's datapoints (list, count).

A script name is unique per account. Deleting a script removes it from every
datapoint. Datapoints take scripts through `typeTL.scripts` on create and
update.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from starlette.requests import Request
from starlette.routing import BaseRoute, Route

from reconciler.server.context import account_of, store_of
from reconciler.server.datapoints import scoped_datapoint_routes
from reconciler.server.db import insert_row, update_row
from reconciler.server.listing import Filter, count_rows, page_ids
from reconciler.server.requests import (
    FailureCollector, optional_text, read_object, required_name,
)
from reconciler.server.responses import (
    ApiError, JSONAnswer, count_answer, entities_answer, entity_uri, failure, not_found,
)

OWNER_SQL = "SELECT 1 FROM retargeting_scripts WHERE id = ? AND account_id = ?"


def _own_script(db: sqlite3.Connection, account_id: int, script_id: int) -> sqlite3.Row:
    row = db.execute("SELECT * FROM retargeting_scripts WHERE id = ? AND account_id = ?",
                     (script_id, account_id)).fetchone()
    if row is None:
        raise not_found("retargeting script", script_id)
    return row


def parse_script(body: dict[str, Any], *, creating: bool) -> dict[str, Any]:
    """The script columns a body gives (`name`, `script`)."""
    collector = FailureCollector()
    columns: dict[str, Any] = {}
    if creating or "name" in body:
        columns["name"] = collector.read(required_name, "name", body.get("name"))
    if "script" in body:
        columns["script"] = collector.read(optional_text, "script", body["script"], 20000)
    collector.raise_any()
    return columns


def _check_unique(db: sqlite3.Connection, account_id: int, name: str, own_id: int) -> None:
    if db.execute("SELECT 1 FROM retargeting_scripts WHERE account_id = ? AND name = ? AND id != ?",
                  (account_id, name, own_id)).fetchone():
        raise ApiError(400, [failure("name", "a retargeting script with this name exists", name,
                                     "duplicate")])


def _account_scripts(request: Request) -> Filter:
    found = Filter()
    found.add("r.account_id = ?", account_of(request))
    return found


async def list_scripts(request: Request) -> JSONAnswer:
    found = _account_scripts(request)
    with store_of(request).transaction() as db:
        return entities_answer("retargeting", page_ids(db, request, "retargeting_scripts r", found, "r.id"))


async def count_scripts(request: Request) -> JSONAnswer:
    found = _account_scripts(request)
    with store_of(request).transaction() as db:
        return count_answer(count_rows(db, "retargeting_scripts r", found))


async def get_script(request: Request) -> JSONAnswer:
    account_id = account_of(request)
    with store_of(request).transaction() as db:
        row = _own_script(db, account_id, request.path_params["id"])
    answer = {"id": row["id"], "name": row["name"]}
    if row["script"] is not None:
        answer["script"] = row["script"]
    return JSONAnswer(answer)


async def create_script(request: Request) -> JSONAnswer:
    account_id = account_of(request)
    columns = parse_script(await read_object(request), creating=True)
    with store_of(request).transaction() as db:
        _check_unique(db, account_id, columns["name"], 0)
        script_id = insert_row(db, "retargeting_scripts", {"account_id": account_id, **columns})
    return JSONAnswer(entity_uri("retargeting", script_id))


async def update_script(request: Request) -> JSONAnswer:
    account_id = account_of(request)
    script_id = request.path_params["id"]
    columns = parse_script(await read_object(request), creating=False)
    with store_of(request).transaction() as db:
        _own_script(db, account_id, script_id)
        if "name" in columns:
            _check_unique(db, account_id, columns["name"], script_id)
        update_row(db, "retargeting_scripts", script_id, columns)
    return JSONAnswer(entity_uri("retargeting", script_id))


async def delete_script(request: Request) -> JSONAnswer:
    account_id = account_of(request)
    script_id = request.path_params["id"]
    with store_of(request).transaction() as db:
        _own_script(db, account_id, script_id)
        db.execute("DELETE FROM datapoint_scripts WHERE script_id = ?", (script_id,))
        db.execute("DELETE FROM retargeting_scripts WHERE id = ?", (script_id,))
    return JSONAnswer(entity_uri("retargeting", script_id))


def retargeting_routes() -> list[BaseRoute]:
    """The `/retargeting` routes."""
    return [
        Route("/retargeting", list_scripts, methods=["GET"]),
        Route("/retargeting", create_script, methods=["POST"]),
        Route("/retargeting/count", count_scripts, methods=["GET"]),
        Route("/retargeting/{id:int}", get_script, methods=["GET"]),
        Route("/retargeting/{id:int}", update_script, methods=["POST"]),
        Route("/retargeting/{id:int}", delete_script, methods=["DELETE"]),
        *scoped_datapoint_routes(
            "/retargeting/{scope_id:int}", "retargeting script", OWNER_SQL,
            "d.id IN (SELECT datapoint_id FROM datapoint_scripts WHERE script_id = ?)"),
    ]
