"""Tag routes: list, count, get, create, delete, rename, and the tag's links
to datapoints and groups (list, count, patch one, remove all).

A tag name is unique per account. Deleting a tag removes it from every
datapoint and group. Patches take `{"Action": "add"|"remove", "Id"}`; adding
twice or removing an absent link is a no-op, an unknown id is a 404.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from starlette.requests import Request
from starlette.routing import BaseRoute, Route

from reconciler.apishapes import PATCH_ADD, TYPE_FILTERS
from reconciler.server.context import account_of, store_of
from reconciler.server.datapoint_store import writable_datapoint
from reconciler.server.datapoints import scoped_datapoint_routes
from reconciler.server.db import insert_row
from reconciler.server.entities import (
    Listing,
    RowChange,
    change_one,
    check_unique_name,
    list_and_count_routes,
    own_row,
    rows_by_id,
)
from reconciler.server.groups import live_group, render_group
from reconciler.server.listing import Filter, add_deleted_status, like_pattern
from reconciler.server.requests import (
    parse_enum,
    parse_id,
    parse_patch,
    query_text,
    read_object,
    required_name,
)
from reconciler.server.responses import JSONAnswer, entity_uri

TAG_OWNER_SQL = "SELECT 1 FROM tags WHERE id = ? AND account_id = ?"


def own_tag(db: sqlite3.Connection, account_id: int, tag_id: int) -> sqlite3.Row:
    """The tag's row; 404 unless it is the account's."""
    return own_row(db, "tags", "tag", tag_id, account_id)


def tag_filter(request: Request, account_id: int) -> Filter:
    """Tags by name (substring), by the datapoints or groups (comma-separated ids) they mark, by type."""
    found = Filter()
    found.add("t.account_id = ?", account_id)
    name = query_text(request, "name")
    if name is not None:
        found.add("t.name LIKE ? ESCAPE '\\'", like_pattern(name))
    for param, link_table, column in (("datapoints", "datapoint_tags", "datapoint_id"),
                                      ("groups", "group_tags", "group_id")):
        raw = query_text(request, param)
        if raw is not None:
            ids = [parse_id(param, part) for part in raw.split(",") if part.strip()]
            marks = ", ".join("?" * len(ids))
            found.add(f"t.id IN (SELECT tag_id FROM {link_table} WHERE {column} IN ({marks}))", *ids)
    kind = query_text(request, "type")
    if kind is not None:
        chosen = TYPE_FILTERS[parse_enum("type", kind.lower(), tuple(TYPE_FILTERS))]
        found.add("t.id IN (SELECT dt.tag_id FROM datapoint_tags dt JOIN datapoints d "
                  "ON d.id = dt.datapoint_id WHERE d.type = ?)", chosen)
    return found


def render_tag(db: sqlite3.Connection, row: sqlite3.Row) -> dict[str, Any]:
    """The tag with the ids of every datapoint and group it marks, deleted ones too
    (gem:tagtest_test_find lists deleted members)."""
    datapoints = db.execute("SELECT datapoint_id FROM datapoint_tags WHERE tag_id = ? "
                            "ORDER BY datapoint_id", (row["id"],))
    groups = db.execute("SELECT group_id FROM group_tags WHERE tag_id = ? ORDER BY group_id",
                        (row["id"],))
    return {"id": row["id"], "name": row["name"], "datapoints": [r[0] for r in datapoints],
            "groups": [r[0] for r in groups]}


def expand_tags(db: sqlite3.Connection, account_id: int, ids: list[int]) -> list[dict[str, Any]]:
    return [render_tag(db, row) for row in rows_by_id(db, "tags", ids)]


async def get_tag(request: Request) -> JSONAnswer:
    account_id = account_of(request)
    with store_of(request).transaction() as db:
        return JSONAnswer(render_tag(db, own_tag(db, account_id, request.path_params["tag_id"])))


async def create_tag(request: Request) -> JSONAnswer:
    account_id = account_of(request)
    body = await read_object(request)
    name = required_name("name", body.get("name"))
    with store_of(request).transaction() as db:
        check_unique_name(db, "tags", account_id, name)
        tag_id = insert_row(db, "tags", {"account_id": account_id, "name": name})
    return JSONAnswer(entity_uri("tags", tag_id))


async def _change(request: Request, change: RowChange) -> JSONAnswer:
    return await change_one(request, "tags", "tag_id", own_tag, change)


async def rename_tag(request: Request) -> JSONAnswer:
    """`PUT /tags/{tagId}/name` with `{"Text": "new name"}`."""
    name = required_name("Text", (await read_object(request)).get("text"))

    def rename(db: sqlite3.Connection, account_id: int, tag_id: int) -> None:
        check_unique_name(db, "tags", account_id, name, tag_id)
        db.execute("UPDATE tags SET name = ? WHERE id = ?", (name, tag_id))

    return await _change(request, rename)


def _delete(db: sqlite3.Connection, account_id: int, tag_id: int) -> None:
    db.execute("DELETE FROM datapoint_tags WHERE tag_id = ?", (tag_id,))
    db.execute("DELETE FROM group_tags WHERE tag_id = ?", (tag_id,))
    db.execute("DELETE FROM tags WHERE id = ?", (tag_id,))


async def delete_tag(request: Request) -> JSONAnswer:
    """`DELETE /tags/{tagId}`: the tag goes, with its marks on datapoints and groups."""
    return await _change(request, _delete)


def _link_routes(kind: str, link_table: str, column: str) -> list[BaseRoute]:
    """`PUT /tags/{tagId}/{kind}/patch` and `DELETE /tags/{tagId}/{kind}` for datapoints or groups."""
    check_target = writable_datapoint if kind == "datapoints" else live_group

    async def patch_link(request: Request) -> JSONAnswer:
        """Answers the *target*'s `{id, uri}`, as recorded (REAL-API 8)."""
        action, target_id = parse_patch(await read_object(request))

        def patch(db: sqlite3.Connection, account_id: int, tag_id: int) -> None:
            check_target(db, account_id, target_id)
            if action == PATCH_ADD:
                db.execute(f"INSERT OR IGNORE INTO {link_table} ({column}, tag_id) VALUES (?, ?)",
                           (target_id, tag_id))
            else:
                db.execute(f"DELETE FROM {link_table} WHERE {column} = ? AND tag_id = ?",
                           (target_id, tag_id))

        await _change(request, patch)
        return JSONAnswer(entity_uri(kind, target_id))

    async def unlink_all(request: Request) -> JSONAnswer:
        return await _change(request, lambda db, account_id, tag_id: db.execute(
            f"DELETE FROM {link_table} WHERE tag_id = ?", (tag_id,)))

    return [Route(f"/tags/{{tag_id:id}}/{kind}/patch", patch_link, methods=["PUT"]),
            Route(f"/tags/{{tag_id:id}}/{kind}", unlink_all, methods=["DELETE"])]


def tagged_groups(request: Request, account_id: int) -> Filter:
    """The groups the path's tag marks (gem:tagtest_test_groups), deleted ones too; 404 unless ours."""
    tag_id = request.path_params["tag_id"]
    with store_of(request).transaction() as db:
        own_tag(db, account_id, tag_id)
    found = Filter()
    found.add("g.account_id = ?", account_id)
    found.add("g.id IN (SELECT group_id FROM group_tags WHERE tag_id = ?)", tag_id)
    add_deleted_status(found, request, "g.deleted")
    return found


def expand_groups(db: sqlite3.Connection, account_id: int, ids: list[int]) -> list[dict[str, Any]]:
    return [render_group(db, row) for row in rows_by_id(db, "groups", ids)]


TAGGED_GROUPS = Listing("groups", "groups g", expand_groups, "g.deleted = 0")


def tag_routes() -> list[BaseRoute]:
    """The `/tags` routes."""
    return [
        *list_and_count_routes("/tags", Listing("tags", "tags t", expand_tags), tag_filter, "t.id"),
        Route("/tags", create_tag, methods=["POST"]),
        Route("/tags/{tag_id:id}", get_tag, methods=["GET"]),
        Route("/tags/{tag_id:id}", delete_tag, methods=["DELETE"]),
        Route("/tags/{tag_id:id}/name", rename_tag, methods=["PUT"]),
        *_link_routes("datapoints", "datapoint_tags", "datapoint_id"),
        *_link_routes("groups", "group_tags", "group_id"),
        *list_and_count_routes("/tags/{tag_id:id}/groups", TAGGED_GROUPS, tagged_groups, "g.id"),
        *scoped_datapoint_routes("/tags/{scope_id:id}", "tag", TAG_OWNER_SQL,
                                 "d.id IN (SELECT datapoint_id FROM datapoint_tags WHERE tag_id = ?)"),
    ]
