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
from starlette.routing import BaseRoute

from reconciler.server.datapoints import scoped_datapoint_routes
from reconciler.server.entities import NamedEntity, entity_routes
from reconciler.server.listing import Filter
from reconciler.server.requests import FailureCollector, optional_text, required_name

OWNER_SQL = "SELECT 1 FROM retargeting_scripts WHERE id = ? AND account_id = ?"


def render_script(db: sqlite3.Connection, row: sqlite3.Row) -> dict[str, Any]:
    """The documented `Api.Core.Dto.Retargeting.RetargetingScript` body."""
    answer = {"id": row["id"], "name": row["name"]}
    if row["script"] is not None:
        answer["script"] = row["script"]
    return answer


def parse_script(body: dict[str, Any], creating: bool) -> dict[str, Any]:
    """The script columns a body gives (`name`, `script`)."""
    collector = FailureCollector()
    columns: dict[str, Any] = {}
    if creating or "name" in body:
        columns["name"] = collector.read(required_name, "name", body.get("name"))
    if "script" in body:
        columns["script"] = collector.read(optional_text, "script", body["script"], 20000)
    collector.raise_any()
    return columns


def _account_scripts(request: Request, account_id: int) -> Filter:
    found = Filter()
    found.add("r.account_id = ?", account_id)
    return found


SCRIPTS = NamedEntity(
    table="retargeting_scripts", alias="r", collection="retargeting", kind="retargeting script",
    parse=parse_script, render=render_script, soft_delete=False, defaults={"script": None},
    on_delete=("DELETE FROM datapoint_scripts WHERE script_id = ?",))


def retargeting_routes() -> list[BaseRoute]:
    """The `/retargeting` routes."""
    return [
        *entity_routes(SCRIPTS, _account_scripts),
        *scoped_datapoint_routes(
            "/retargeting/{scope_id:id}", "retargeting script", OWNER_SQL,
            "d.id IN (SELECT datapoint_id FROM datapoint_scripts WHERE script_id = ?)"),
    ]
