"""Group routes: list, count, get, create, update, delete, and a group's datapoints.

A group name is unique per account among non-deleted groups. Deleting a group
marks it deleted (still readable by id) and leaves its datapoints ungrouped.
Tags given on create are attached; afterwards they change only through
`PUT /tags/{tagId}/groups/patch`.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from starlette.requests import Request
from starlette.routing import BaseRoute, Route

from reconciler.server.context import account_of, now_of, store_of
from reconciler.server.datapoint_bodies import parse_datapoint
from reconciler.server.datapoint_store import create_datapoint, resolve_tag_names
from reconciler.server.datapoints import scoped_datapoint_routes
from reconciler.server.db import insert_row, update_row
from reconciler.server.listing import (
    Filter, add_created_range, add_deleted_status, add_text_search, count_rows, page_ids,
)
from reconciler.server.requests import (
    FailureCollector, optional_text, parse_bool, query_text, read_object, required_name,
)
from reconciler.server.responses import (
    ApiError, JSONAnswer, count_answer, entities_answer, entity_uri, failure, not_found,
)

GROUP_SQL = """
SELECT g.*, (SELECT json_group_array(json_object('id', t.id, 'name', t.name))
               FROM group_tags gt JOIN tags t ON t.id = gt.tag_id
              WHERE gt.group_id = g.id) AS tags_json
FROM groups g WHERE g.id = ? AND g.account_id = ?
"""


def render_group(row: sqlite3.Row) -> dict[str, Any]:
    """The documented `Api.Core.Dto.Groups.Group` body."""
    answer = {"id": row["id"], "name": row["name"], "preferred": bool(row["preferred"]),
              "isPublic": bool(row["is_public"]), "deleted": bool(row["deleted"]),
              "creationDate": row["creation_date"], "tags": json.loads(row["tags_json"]),
              "redirectOnly": False, "writePermited": not row["deleted"]}
    if row["notes"] is not None:
        answer["notes"] = row["notes"]
    return answer


def live_group(db: sqlite3.Connection, account_id: int, group_id: int) -> None:
    """404 unless the group is the account's and not deleted."""
    if db.execute("SELECT 1 FROM groups WHERE id = ? AND account_id = ? AND deleted = 0",
                  (group_id, account_id)).fetchone() is None:
        raise not_found("group", group_id)


def parse_group(body: dict[str, Any], *, creating: bool) -> tuple[dict[str, Any], list[str]]:
    """The group columns a body gives, and the tag names it lists (create only)."""
    collector = FailureCollector()
    columns: dict[str, Any] = {}
    if creating or "name" in body:
        columns["name"] = collector.read(required_name, "name", body.get("name"))
    if "notes" in body:
        columns["notes"] = collector.read(optional_text, "notes", body["notes"])
    for prop, column in (("preferred", "preferred"), ("ispublic", "is_public")):
        if prop in body:
            columns[column] = collector.read(parse_bool, prop, body[prop])
    tags = collector.read(_tag_names, body.get("tags")) if creating else []
    collector.raise_any()
    return columns, tags or []


def _tag_names(value: Any) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise ApiError(400, [failure("tags", "tags must be a list", value)])
    names = []
    for index, item in enumerate(value):
        name = item.get("name") if isinstance(item, dict) else item
        names.append(required_name(f"tags[{index}].name", name))
    return names


def _check_unique(db: sqlite3.Connection, account_id: int, name: str, own_id: int) -> None:
    if db.execute("SELECT 1 FROM groups WHERE account_id = ? AND name = ? AND deleted = 0 "
                  "AND id != ?", (account_id, name, own_id)).fetchone():
        raise ApiError(400, [failure("name", "a group with this name exists", name, "duplicate")])


def group_filter(request: Request, account_id: int) -> Filter:
    """Groups by status (active/deleted), tags, textSearch, createdAfter/Before."""
    found = Filter()
    found.add("g.account_id = ?", account_id)
    add_deleted_status(found, request, "g.deleted")
    raw_tags = query_text(request, "tags")
    for tag in (t.strip() for t in (raw_tags or "").split(",") if t.strip()):
        found.add("g.id IN (SELECT gt.group_id FROM group_tags gt JOIN tags t ON t.id = gt.tag_id "
                  "WHERE t.account_id = g.account_id AND t.name = ?)", tag)
    add_text_search(found, request, ("g.name", "g.notes"))
    add_created_range(found, request, "g.creation_date")
    return found


async def list_groups(request: Request) -> JSONAnswer:
    found = group_filter(request, account_of(request))
    with store_of(request).transaction() as db:
        return entities_answer("groups", page_ids(db, request, "groups g", found, "g.id"))


async def count_groups(request: Request) -> JSONAnswer:
    found = group_filter(request, account_of(request))
    with store_of(request).transaction() as db:
        return count_answer(count_rows(db, "groups g", found))


async def get_group(request: Request) -> JSONAnswer:
    account_id = account_of(request)
    group_id = request.path_params["id"]
    with store_of(request).transaction() as db:
        row = db.execute(GROUP_SQL, (group_id, account_id)).fetchone()
    if row is None:
        raise not_found("group", group_id)
    return JSONAnswer(render_group(row))


async def create_group(request: Request) -> JSONAnswer:
    account_id = account_of(request)
    columns, tags = parse_group(await read_object(request), creating=True)
    with store_of(request).transaction() as db:
        _check_unique(db, account_id, columns["name"], 0)
        group_id = insert_row(db, "groups", {"account_id": account_id,
                                             "creation_date": now_of(request), **columns})
        db.executemany("INSERT OR IGNORE INTO group_tags (group_id, tag_id) VALUES (?, ?)",
                       [(group_id, tag_id) for tag_id in resolve_tag_names(db, account_id, tags)])
    return JSONAnswer(entity_uri("groups", group_id))


async def update_group(request: Request) -> JSONAnswer:
    account_id = account_of(request)
    group_id = request.path_params["id"]
    columns, _ = parse_group(await read_object(request), creating=False)
    with store_of(request).transaction() as db:
        live_group(db, account_id, group_id)
        if "name" in columns:
            _check_unique(db, account_id, columns["name"], group_id)
        update_row(db, "groups", group_id, columns)
    return JSONAnswer(entity_uri("groups", group_id))


async def delete_group(request: Request) -> JSONAnswer:
    account_id = account_of(request)
    group_id = request.path_params["id"]
    with store_of(request).transaction() as db:
        live_group(db, account_id, group_id)
        db.execute("UPDATE groups SET deleted = 1 WHERE id = ?", (group_id,))
        db.execute("UPDATE datapoints SET group_id = NULL WHERE group_id = ?", (group_id,))
    return JSONAnswer(entity_uri("groups", group_id))


async def create_in_group(request: Request) -> JSONAnswer:
    """`POST /groups/{id}/datapoints`: create a datapoint in this group."""
    account_id = account_of(request)
    group_id = request.path_params["scope_id"]
    given = parse_datapoint(await read_object(request), creating=True)
    given.columns["group_id"] = group_id
    with store_of(request).transaction() as db:
        live_group(db, account_id, group_id)
        datapoint_id = create_datapoint(db, account_id, given, now_of(request))
    return JSONAnswer(entity_uri("datapoints", datapoint_id))


def group_routes() -> list[BaseRoute]:
    """The `/groups` routes."""
    return [
        Route("/groups", list_groups, methods=["GET"]),
        Route("/groups", create_group, methods=["POST"]),
        Route("/groups/count", count_groups, methods=["GET"]),
        Route("/groups/{id:int}", get_group, methods=["GET"]),
        Route("/groups/{id:int}", update_group, methods=["POST"]),
        Route("/groups/{id:int}", delete_group, methods=["DELETE"]),
        Route("/groups/{scope_id:int}/datapoints", create_in_group, methods=["POST"]),
        *scoped_datapoint_routes("/groups/{scope_id:int}", "group",
                                 "SELECT 1 FROM groups WHERE id = ? AND account_id = ?",
                                 "d.group_id = ?"),
    ]
