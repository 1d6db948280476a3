"""Group routes: list, count, get, create, update, delete, and a group's datapoints.

A group name is unique per account among non-deleted groups (403). Deleting a
group marks it deleted (still readable by id, and listed) and deletes its
datapoints, which keep their group (REAL-API 18; the recorded deleted group's
links are all status 3 and still name it).
Tags given on create are attached; afterwards they change only through
`PUT /tags/{tagId}/groups/patch`.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from starlette.requests import Request
from starlette.routing import BaseRoute, Route

from reconciler.apishapes import STATUS_DELETED
from reconciler.server.context import account_of, now_of, store_of
from reconciler.server.datapoint_bodies import parse_datapoint
from reconciler.server.datapoint_store import create_datapoint, resolve_tag_names
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
    parse_bool,
    query_text,
    read_object,
    required_name,
)
from reconciler.server.responses import JSONAnswer, bad_request, entity_uri


def group_tags(db: sqlite3.Connection, group_id: int) -> list[dict[str, Any]]:
    """The group's tags as `{id, name}`, by id."""
    rows = db.execute("SELECT t.id, t.name FROM group_tags gt JOIN tags t ON t.id = gt.tag_id "
                      "WHERE gt.group_id = ? ORDER BY t.id", (group_id,))
    return [{"id": tag["id"], "name": tag["name"]} for tag in rows]


def render_group(db: sqlite3.Connection, row: sqlite3.Row) -> dict[str, Any]:
    """The group as gem:grouptest_test_find shows it: `{id, name, creationDate, tags}`
    plus `notes`, `preferred`, `isPublic`, `deleted` only when set."""
    answer: dict[str, Any] = {"id": row["id"], "name": row["name"],
                              "creationDate": row["creation_date"],
                              "tags": group_tags(db, row["id"])}
    if row["notes"] is not None:
        answer["notes"] = row["notes"]
    for column, prop in (("preferred", "preferred"), ("is_public", "isPublic"), ("deleted", "deleted")):
        if row[column]:
            answer[prop] = True
    return answer


def live_group(db: sqlite3.Connection, account_id: int, group_id: int) -> None:
    """404 unless the group is the account's and not deleted."""
    own_row(db, "groups", "group", group_id, account_id, live_only=True)


def parse_group(body: dict[str, Any], creating: bool) -> dict[str, Any]:
    """The group columns a body gives (`tags` are read by `attach_tags`)."""
    collector = FailureCollector()
    columns: dict[str, Any] = {}
    if creating or "name" in body:
        columns["name"] = collector.read(required_name, "name", body.get("name"))
    if "notes" in body:
        columns["notes"] = collector.read(optional_text, "notes", body["notes"])
    for prop, column in (("preferred", "preferred"), ("ispublic", "is_public")):
        if prop in body:
            columns[column] = collector.read(parse_bool, prop, body[prop])
    collector.raise_any()
    return columns


def attach_tags(db: sqlite3.Connection, account_id: int, group_id: int, body: dict[str, Any]) -> None:
    """Tag a new group with the tags its body names (by name; new names create tags)."""
    listed = body.get("tags") or []
    if not isinstance(listed, list):
        raise bad_request("tags", "tags must be a list")
    names = []
    for index, item in enumerate(listed):
        name = item.get("name") if isinstance(item, dict) else item
        names.append(required_name(f"tags[{index}].name", name))
    db.executemany("INSERT OR IGNORE INTO group_tags (group_id, tag_id) VALUES (?, ?)",
                   [(group_id, tag_id) for tag_id in resolve_tag_names(db, account_id, names)])


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


GROUPS = NamedEntity(
    table="groups", alias="g", collection="groups", kind="group", parse=parse_group,
    render=render_group, soft_delete=True, after_create=attach_tags,
    defaults={"notes": None, "preferred": False, "is_public": False},
    on_delete=(f"UPDATE datapoints SET status = '{STATUS_DELETED}' WHERE group_id = ?",))


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
        *entity_routes(GROUPS, group_filter),
        Route("/groups/{scope_id:id}/datapoints", create_in_group, methods=["POST"]),
        *scoped_datapoint_routes("/groups/{scope_id:id}", "group",
                                 "SELECT 1 FROM groups WHERE id = ? AND account_id = ?",
                                 "d.group_id = ?"),
    ]
