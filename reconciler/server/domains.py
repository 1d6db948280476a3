"""Domain routes: list, count, get, create, delete.

Every account has the system domain `go.clickmeter.test` (made with the
account); `POST /domains` adds personal domains.
"""

from __future__ import annotations

import re
import sqlite3
from typing import Any

from starlette.requests import Request
from starlette.routing import BaseRoute, Route

from reconciler.apishapes import DOMAIN_TYPES
from reconciler.server.context import account_of, store_of
from reconciler.server.db import insert_row
from reconciler.server.entities import (
    Listing,
    check_unique_name,
    list_and_count_routes,
    own_row,
    rows_by_id,
)
from reconciler.server.listing import Filter, like_pattern
from reconciler.server.requests import (
    FailureCollector,
    optional_text,
    parse_enum,
    query_text,
    read_object,
    required_name,
)
from reconciler.server.responses import JSONAnswer, bad_request, entity_uri

HOSTNAME = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
CREATABLE_TYPES = ("Personal", "Dedicated", "Go")


def render_domain(row: sqlite3.Row) -> dict[str, Any]:
    """The domain as gem:domaintest_test_find shows it: `{id, name}` (no type), and its pages if set."""
    answer = {"id": row["id"], "name": row["name"]}
    if row["custom404"] is not None:
        answer["custom404"] = row["custom404"]
    if row["custom_homepage"] is not None:
        answer["customHomepage"] = row["custom_homepage"]
    return answer


def domain_filter(request: Request, account_id: int) -> Filter:
    """Domains (of one `type`, if asked) whose name contains `name`.

    Without `type` every domain is listed: gem:domaintest_test_all lists two
    where openapi.json says the system ones only.
    """
    found = Filter()
    found.add("m.account_id = ?", account_id)
    kind = query_text(request, "type")
    if kind is not None:
        found.add("m.type = ?", parse_enum("type", kind, DOMAIN_TYPES))
    name = query_text(request, "name")
    if name is not None:
        found.add("m.name LIKE ? ESCAPE '\\'", like_pattern(name))
    return found


def expand_domains(db: sqlite3.Connection, account_id: int, ids: list[int]) -> list[dict[str, Any]]:
    return [render_domain(row) for row in rows_by_id(db, "domains", ids)]


async def delete_domain(request: Request) -> JSONAnswer:
    """`DELETE /domains/{id}`: a personal domain no datapoint uses (400 otherwise)."""
    account_id = account_of(request)
    domain_id = request.path_params["id"]
    with store_of(request).transaction() as db:
        row = own_row(db, "domains", "domain", domain_id, account_id)
        if row["type"] == "System":
            raise bad_request("id", "the system domain cannot be deleted")
        if db.execute("SELECT 1 FROM datapoints WHERE domain_id = ?", (domain_id,)).fetchone():
            raise bad_request("id", "datapoints use this domain (deleted ones too)")
        db.execute("DELETE FROM domains WHERE id = ?", (domain_id,))
    return JSONAnswer(entity_uri("domains", domain_id))


async def get_domain(request: Request) -> JSONAnswer:
    account_id = account_of(request)
    with store_of(request).transaction() as db:
        row = own_row(db, "domains", "domain", request.path_params["id"], account_id)
    return JSONAnswer(render_domain(row))


def _creatable_type(value: Any) -> str:
    """A domain type as a number or as text in any case (gem:domaintest_test_create sends
    `"system"`, recorded as accepted, and creates a personal domain: one system domain per account)."""
    kind = parse_enum("type", value if value is not None else "Personal", DOMAIN_TYPES)
    return kind if kind in CREATABLE_TYPES else "Personal"


def _hostname(value: Any) -> str:
    name = required_name("name", value).lower()
    if not HOSTNAME.match(name):
        raise bad_request("name", "name must be a host name such as go.example.com")
    return name


async def create_domain(request: Request) -> JSONAnswer:
    """`POST /domains` `{"name", "type"?, "custom404"?, "customHomepage"?}` (type Personal by default)."""
    account_id = account_of(request)
    body = await read_object(request)
    collector = FailureCollector()
    values = {
        "name": collector.read(_hostname, body.get("name")),
        "type": collector.read(_creatable_type, body.get("type")),
        "custom404": collector.read(optional_text, "custom404", body.get("custom404")),
        "custom_homepage": collector.read(optional_text, "customHomepage", body.get("customhomepage")),
    }
    collector.raise_any()
    with store_of(request).transaction() as db:
        check_unique_name(db, "domains", account_id, values["name"])
        domain_id = insert_row(db, "domains", {"account_id": account_id, **values})
    return JSONAnswer(entity_uri("domains", domain_id))


def domain_routes() -> list[BaseRoute]:
    """The `/domains` routes."""
    return [
        *list_and_count_routes("/domains", Listing("domains", "domains m", expand_domains),
                               domain_filter, "m.id"),
        Route("/domains", create_domain, methods=["POST"]),
        Route("/domains/{id:id}", get_domain, methods=["GET"]),
        Route("/domains/{id:id}", delete_domain, methods=["DELETE"]),
    ]
