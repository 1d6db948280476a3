"""Datapoints in the database: the service's rules, writes and the documented answer.

Rules kept here: a name is unique per domain among the datapoints of its type,
deleted ones included (a 403; a link's short path is `/{domain}/{name}`; a
pixel is tracked by id, so a pixel may share a link's name);
references (group, domain, tags, conversions, scripts) must be the account's
own; at most five conversions, each once; a deleted datapoint stays readable
but is no longer writable (404). On update, `tags` are ignored (they change
through the patch endpoints), and so are the conversion slots unless the
service variant honours them; `typeTL.scripts` replaces the scripts; the
variant says whether missing fields reset.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Mapping
from typing import Any

from reconciler.apishapes import (
    CONVERSION_ID_FIELDS,
    CONVERSION_NAME_FIELDS,
    REDIRECT_CODES,
    STATUS_ACTIVE,
    STATUS_CODES,
    STATUS_DELETED,
    TEMPORARY_REDIRECT,
    TRACKING_LINK,
    TYPE_CODES,
)
from reconciler.server.datapoint_bodies import DatapointInput, Reference
from reconciler.server.db import insert_row, update_row
from reconciler.server.destination_items import SIMPLE, answer_destinations, settle_destinations
from reconciler.server.link_settings import LINK_SETTING_COLUMNS, SETTING_DEFAULTS, answer_settings
from reconciler.server.requests import FailureCollector
from reconciler.server.responses import ApiError, bad_request, failure, name_used, not_found

LINK_ONLY_COLUMNS = ("url", "redirect_type", "password", "destination_mode", "destination_items",
                     *LINK_SETTING_COLUMNS)
# what a create leaves unsaid (and a replacing update resets)
DEFAULT_COLUMNS = {"status": STATUS_ACTIVE, "preferred": False, "group_id": None,
                   "domain_id": None, "redirect_type": TEMPORARY_REDIRECT,
                   "destination_mode": SIMPLE, "destination_items": None, **SETTING_DEFAULTS}

# `+d.account_id` keeps SQLite from walking the account's index instead of looking the ids up.
DATAPOINTS_SQL = """
SELECT d.*, dom.name AS domain_name, g.name AS group_name
FROM datapoints d
JOIN domains dom ON dom.id = d.domain_id
LEFT JOIN groups g ON g.id = d.group_id
WHERE +d.account_id = ? AND d.id IN ({ids})
"""
TAGS_SQL = """
SELECT dt.datapoint_id, t.id, t.name FROM datapoint_tags dt JOIN tags t ON t.id = dt.tag_id
WHERE dt.datapoint_id IN ({ids}) ORDER BY dt.datapoint_id, t.id
"""
# Slots are listed in conversion id order: the order the answers have always had.
CONVERSIONS_SQL = """
SELECT dc.datapoint_id, dc.slot, c.id, c.name
FROM datapoint_conversions dc JOIN conversions c ON c.id = dc.conversion_id
WHERE dc.datapoint_id IN ({ids}) ORDER BY dc.datapoint_id, dc.conversion_id
"""
SCRIPTS_SQL = """
SELECT ds.datapoint_id, rs.id, rs.name
FROM datapoint_scripts ds JOIN retargeting_scripts rs ON rs.id = ds.script_id
WHERE ds.datapoint_id IN ({ids}) ORDER BY ds.datapoint_id, ds.position
"""


def render_datapoint(row: Mapping[str, Any], tags: list[dict[str, Any]], conversions: list[tuple[int, int, str]],
                     scripts: list[dict[str, Any]]) -> dict[str, Any]:
    """The datapoint as the live service answers it (REAL-API 1-4) for a row of `DATAPOINTS_SQL`.

    Enums are numbers and a property at its default is left out (`type` of a
    link, `status` Active, `preferred` false, unset notes, empty slots); the
    link password comes back in clear, as the live service sends it. The
settings of issue 12 follow the same rule (`link_settings`, `destination_items`).
    """
    answer: dict[str, Any] = {"id": row["id"], "name": row["name"]}
    if row["title"] is not None:
        answer["title"] = row["title"]
    answer["trackingCode"] = f"http://{row['domain_name']}/{row['name']}"
    answer["tags"] = tags
    if row["group_id"] is not None:
        answer["groupId"] = row["group_id"]
        answer["groupName"] = row["group_name"]
    answer["creationDate"] = row["creation_date"]
    if row["type"] != TRACKING_LINK:
        answer["type"] = TYPE_CODES[row["type"]]
    if row["status"] != STATUS_ACTIVE:
        answer["status"] = STATUS_CODES[row["status"]]
    if row["preferred"]:
        answer["preferred"] = True
    if row["notes"] is not None:
        answer["notes"] = row["notes"]
    for slot, conversion_id, conversion_name in conversions:
        answer[CONVERSION_ID_FIELDS[slot - 1]] = conversion_id
        answer[CONVERSION_NAME_FIELDS[slot - 1]] = conversion_name
    top_settings, link_settings = answer_settings(row)
    answer.update(top_settings)
    if row["type"] == TRACKING_LINK:
        answer["typeTL"] = {**_link_part(row, scripts), **answer_destinations(row), **link_settings}
    elif row["parameter_note"] is not None:
        answer["typeTP"] = {"parameterNote": row["parameter_note"]}
    return answer


def _link_part(row: Mapping[str, Any], scripts: list[dict[str, Any]]) -> dict[str, Any]:
    """`typeTL`: url, firstUrl "", redirectType 301/307, domainId, then scripts and password if any."""
    link: dict[str, Any] = {"url": row["url"], "firstUrl": "",
                            "redirectType": REDIRECT_CODES[row["redirect_type"]],
                            "domainId": row["domain_id"]}
    if scripts:
        link["scripts"] = scripts
    if row["password"] is not None:
        link["password"] = row["password"]
    return link


def fetch_datapoints(db: sqlite3.Connection, account_id: int, datapoint_ids: list[int]) -> dict[int, dict[str, Any]]:
    """The account's datapoints among `datapoint_ids` as `GET /datapoints/{id}` answers them.

    Four queries whatever the number of ids (a summary page renders 100): the
    rows, then the tags, conversions and scripts of all of them.
    """
    marks = ",".join("?" * len(datapoint_ids))
    cursor = db.cursor()
    cursor.row_factory = None
    cursor.execute(DATAPOINTS_SQL.format(ids=marks), (account_id, *datapoint_ids))
    columns = [column[0] for column in cursor.description]
    rows = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]  # a Row looks names up one by one
    found = [row["id"] for row in rows]
    tags = _grouped(db, TAGS_SQL, found, lambda row: {"id": row[1], "name": row[2]})
    conversions = _grouped(db, CONVERSIONS_SQL, found, lambda row: (row[1], row[2], row[3]))
    scripts = _grouped(db, SCRIPTS_SQL, found, lambda row: {"id": row[1], "name": row[2]})
    return {row["id"]: render_datapoint(row, tags.get(row["id"], []), conversions.get(row["id"], []),
                                        scripts.get(row["id"], []))
            for row in rows}


def fetch_datapoint(db: sqlite3.Connection, account_id: int, datapoint_id: int) -> dict[str, Any]:
    """The full datapoint as `GET /datapoints/{id}` answers it (deleted ones too); 404 if not ours."""
    found = fetch_datapoints(db, account_id, [datapoint_id])
    if not found:
        raise not_found("datapoint", datapoint_id)
    return found[datapoint_id]


def _grouped(db: sqlite3.Connection, sql: str, datapoint_ids: list[int],
             item: Callable[[tuple[Any, ...]], Any]) -> dict[int, list[Any]]:
    """Rows of an association query (datapoint id first), as items per datapoint, in query order."""
    grouped: dict[int, list[Any]] = {}
    if datapoint_ids:
        cursor = db.cursor()
        cursor.row_factory = None  # plain tuples: a sqlite3.Row costs more than the items read from it
        for row in cursor.execute(sql.format(ids=",".join("?" * len(datapoint_ids))), datapoint_ids):
            grouped.setdefault(row[0], []).append(item(row))
    return grouped


def writable_datapoint(db: sqlite3.Connection, account_id: int, datapoint_id: int) -> sqlite3.Row:
    """The datapoint's row if it is ours and not deleted; 404 otherwise."""
    row: sqlite3.Row | None = db.execute(
        "SELECT * FROM datapoints WHERE id = ? AND account_id = ? AND status != ?",
        (datapoint_id, account_id, STATUS_DELETED)).fetchone()
    if row is None:
        raise not_found("datapoint", datapoint_id)
    return row


def create_datapoint(db: sqlite3.Connection, account_id: int, given: DatapointInput,
                     creation_date: str) -> int:
    """Insert a datapoint with its tags, conversions and scripts; return its id."""
    columns = {**DEFAULT_COLUMNS, **given.columns}
    _drop_link_fields(columns, given)
    collector = FailureCollector()
    if columns["type"] == TRACKING_LINK:
        collector.read(settle_destinations, columns, given.destination_items, SIMPLE)
    if columns["domain_id"] is None:
        columns["domain_id"] = _system_domain(db, account_id)
    collector.read(_check_references, db, account_id, columns)
    slots = collector.read(_conversion_slots, db, account_id, given.conversions)
    tag_ids = collector.read(_resolve_tags, db, account_id, given.tags or [])
    script_ids = collector.read(_resolve_scripts, db, account_id, given.scripts or [])
    collector.raise_any()
    _check_unique_name(db, columns, None)
    datapoint_id = insert_row(db, "datapoints", {"account_id": account_id,
                                                 "creation_date": creation_date, **columns})
    db.executemany("INSERT INTO datapoint_tags (datapoint_id, tag_id) VALUES (?, ?)",
                   [(datapoint_id, tag_id) for tag_id in dict.fromkeys(tag_ids)])
    db.executemany("INSERT INTO datapoint_conversions (datapoint_id, slot, conversion_id) "
                   "VALUES (?, ?, ?)", [(datapoint_id, s, c) for s, c in slots.items()])
    _store_scripts(db, datapoint_id, script_ids)
    return datapoint_id


def update_datapoint(db: sqlite3.Connection, account_id: int, datapoint_id: int,
                     given: DatapointInput, *, replace: bool, slots: bool = False) -> None:
    """Write the fields the body gives; tags are never touched, conversion slots only
    with `slots` (a null slot empties it).

    With `replace` the other writable fields (the slots among them, with `slots`) reset
    to their defaults, as if the datapoint were created from the body (one of the two
    ways the live service may treat a partial body); otherwise they stay.
    """
    row = writable_datapoint(db, account_id, datapoint_id)
    changes = dict(given.columns)
    if replace:
        changes = _replacing(changes, given, row["type"])
    if changes.get("type", row["type"]) != row["type"]:
        raise bad_request("type", "a datapoint's type cannot change")
    changes.pop("type", None)
    if "domain_id" in changes and changes["domain_id"] is None:
        changes["domain_id"] = _system_domain(db, account_id)
    merged = {**dict(row), **changes}
    _drop_link_fields(changes, given, merged["type"])
    collector = FailureCollector()
    if merged["type"] == TRACKING_LINK:
        collector.read(settle_destinations, changes, given.destination_items, row["destination_mode"])
    collector.read(_check_references, db, account_id, changes)
    script_ids = collector.read(_resolve_scripts, db, account_id, given.scripts or [])
    kept = {} if replace else slots_of(db, datapoint_id)
    chosen = collector.read(_conversion_slots, db, account_id, kept | given.conversions) if slots else None
    collector.raise_any()
    if "name" in changes or "domain_id" in changes:
        _check_unique_name(db, merged, datapoint_id)
    update_row(db, "datapoints", datapoint_id, changes)
    if chosen is not None:
        db.execute("DELETE FROM datapoint_conversions WHERE datapoint_id = ?", (datapoint_id,))
        db.executemany("INSERT INTO datapoint_conversions (datapoint_id, slot, conversion_id) VALUES (?, ?, ?)",
                       [(datapoint_id, slot, conversion_id) for slot, conversion_id in chosen.items()])
    if given.scripts is not None and merged["type"] == TRACKING_LINK:
        db.execute("DELETE FROM datapoint_scripts WHERE datapoint_id = ?", (datapoint_id,))
        _store_scripts(db, datapoint_id, script_ids)


def _replacing(changes: dict[str, Any], given: DatapointInput, kind: str) -> dict[str, Any]:
    """The body's fields over every writable default; 400 when it lacks the name (or a link's URL)."""
    failures = []
    if "name" not in changes:
        failures.append(failure("name", "name is required"))
    if kind == TRACKING_LINK and "url" not in changes:
        failures.append(failure("typeTL.url", "a tracking link needs typeTL.url"))
    if failures:
        raise ApiError(400, failures)
    if given.scripts is None:
        given.scripts = []
    return {**DEFAULT_COLUMNS, "title": None, "notes": None, "password": None,
            "parameter_note": None, **changes}


def delete_datapoint(db: sqlite3.Connection, account_id: int, datapoint_id: int) -> None:
    """Mark the datapoint Deleted (it stays readable by id)."""
    writable_datapoint(db, account_id, datapoint_id)
    db.execute("UPDATE datapoints SET status = ? WHERE id = ?", (STATUS_DELETED, datapoint_id))


def resolve_tag_names(db: sqlite3.Connection, account_id: int, names: list[str]) -> list[int]:
    """The ids of the named tags, creating those that do not exist yet."""
    ids = []
    for name in names:
        row = db.execute("SELECT id FROM tags WHERE account_id = ? AND name = ?",
                         (account_id, name)).fetchone()
        ids.append(row["id"] if row else insert_row(db, "tags", {"account_id": account_id, "name": name}))
    return ids


def _drop_link_fields(columns: dict[str, Any], given: DatapointInput, kind: str | None = None) -> None:
    """A pixel has no URL, redirect, password or scripts: ignore them if sent."""
    if (kind or columns.get("type")) != TRACKING_LINK:
        for column in LINK_ONLY_COLUMNS:
            columns.pop(column, None)
        given.scripts = None


def _system_domain(db: sqlite3.Connection, account_id: int) -> int:
    domain_id: int = db.execute("SELECT id FROM domains WHERE account_id = ? AND type = 'System' "
                                "ORDER BY id LIMIT 1", (account_id,)).fetchone()["id"]
    return domain_id


def _check_references(db: sqlite3.Connection, account_id: int, columns: dict[str, Any]) -> None:
    failures = []
    if columns.get("domain_id") is not None and db.execute(
            "SELECT 1 FROM domains WHERE id = ? AND account_id = ?",
            (columns["domain_id"], account_id)).fetchone() is None:
        failures.append(failure("typeTL.domainId", f"no such domain: {columns['domain_id']}"))
    if columns.get("group_id") is not None and db.execute(
            "SELECT 1 FROM groups WHERE id = ? AND account_id = ? AND deleted = 0",
            (columns["group_id"], account_id)).fetchone() is None:
        failures.append(failure("groupId", f"no such group: {columns['group_id']}"))
    if failures:
        raise ApiError(400, failures)


def _check_unique_name(db: sqlite3.Connection, columns: dict[str, Any], own_id: int | None) -> None:
    """403 when another datapoint of the type has the name on the domain, deleted ones included.

    A deleted datapoint's name can never be used again (REAL-API 17).
    """
    if db.execute("SELECT 1 FROM datapoints WHERE domain_id = ? AND name = ? AND type = ? AND id != ?",
                  (columns["domain_id"], columns["name"], columns["type"], own_id or 0)).fetchone():
        raise name_used()


def slots_of(db: sqlite3.Connection, datapoint_id: int) -> dict[int, int | None]:
    """The datapoint's conversions by slot (1..5)."""
    return {row["slot"]: row["conversion_id"] for row in db.execute(
        "SELECT slot, conversion_id FROM datapoint_conversions WHERE datapoint_id = ?", (datapoint_id,))}


def _conversion_slots(db: sqlite3.Connection, account_id: int,
                      slots: dict[int, int | None]) -> dict[int, int]:
    chosen = {slot: cid for slot, cid in slots.items() if cid is not None}
    failures = []
    seen: set[int] = set()
    for slot, conversion_id in chosen.items():
        prop = CONVERSION_ID_FIELDS[slot - 1]
        if conversion_id in seen:
            failures.append(failure(prop, "the same conversion twice", "duplicate"))
        elif db.execute("SELECT 1 FROM conversions WHERE id = ? AND account_id = ? AND deleted = 0",
                        (conversion_id, account_id)).fetchone() is None:
            failures.append(failure(prop, f"no such conversion: {conversion_id}"))
        seen.add(conversion_id)
    if failures:
        raise ApiError(400, failures)
    return chosen


def _resolve_tags(db: sqlite3.Connection, account_id: int, refs: list[Reference]) -> list[int]:
    for ref in refs:
        if ref.id is not None and db.execute("SELECT 1 FROM tags WHERE id = ? AND account_id = ?",
                                             (ref.id, account_id)).fetchone() is None:
            raise ApiError(400, [failure(f"{ref.prop}.id", f"no such tag: {ref.id}")])
    by_name = resolve_tag_names(db, account_id, [ref.name for ref in refs if ref.name is not None])
    return [ref.id for ref in refs if ref.id is not None] + by_name


def _resolve_scripts(db: sqlite3.Connection, account_id: int, refs: list[Reference]) -> list[int]:
    ids = []
    for ref in refs:
        if ref.id is not None:
            row = db.execute("SELECT id FROM retargeting_scripts WHERE id = ? AND account_id = ?",
                             (ref.id, account_id)).fetchone()
        else:
            row = db.execute("SELECT id FROM retargeting_scripts WHERE name = ? AND account_id = ?",
                             (ref.name, account_id)).fetchone()
        if row is None:
            raise ApiError(400, [failure(ref.prop, f"no such retargeting script: {ref.id or ref.name}")])
        ids.append(row["id"])
    return list(dict.fromkeys(ids))


def _store_scripts(db: sqlite3.Connection, datapoint_id: int, script_ids: list[int]) -> None:
    db.executemany("INSERT INTO datapoint_scripts (datapoint_id, script_id, position) "
                   "VALUES (?, ?, ?)",
                   [(datapoint_id, sid, position) for position, sid in enumerate(script_ids)])
