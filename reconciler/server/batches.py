"""Batch bodies answered item by item, each item all-or-nothing.

The whole batch runs in one transaction; each item runs in its own SAVEPOINT,
rolled back alone when it fails, so one invalid item never loses or blocks
the valid ones and no item is ever half-written.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Any

from reconciler.apishapes import MAX_BATCH
from reconciler.server.responses import ApiError, bad_request

ItemResult = tuple[dict[str, Any], dict[str, Any] | None]  # ({id, uri}, entityData or None)


def batch_items(body: dict[str, Any], key: str, prop: str) -> list[Any]:
    """The list under `key` (folded) of a batch body; 400 naming `prop` if missing, empty or too long."""
    items = body.get(key)
    if not isinstance(items, list) or not items:
        raise bad_request(prop, f"{prop} must be a non-empty list")
    if len(items) > MAX_BATCH:
        raise bad_request(prop, f"{prop} holds {len(items)} items; at most {MAX_BATCH} are allowed")
    return items


def run_items(db: sqlite3.Connection, items: list[Any],
              apply_item: Callable[[Any], ItemResult]) -> dict[str, Any]:
    """`{"results": [...]}`: each item applied in its own savepoint, in request order.

    Each result is `{"status": "Ok", "entityData"?, "result": {id, uri}}` or
    `{"status": "Error", "errors": [...]}`, capitalised as recorded (REAL-API 11).
    """
    results = []
    for item in items:
        db.execute("SAVEPOINT batch_item")
        try:
            uri, entity = apply_item(item)
        except ApiError as error:
            db.execute("ROLLBACK TO batch_item")
            db.execute("RELEASE batch_item")
            results.append({"status": "Error", "errors": error.failures})
            continue
        db.execute("RELEASE batch_item")
        answer: dict[str, Any] = {"status": "Ok"}
        if entity is not None:
            answer["entityData"] = entity
        answer["result"] = uri
        results.append(answer)
    return {"results": results}
