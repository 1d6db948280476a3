"""The links themselves: what visitors' browsers request. Every request records a hit.

Paths (no API key: they are public, as a short link is):

* `GET /{domain}/{name}`: a tracking link (`trackingCode` without the
  scheme). `{domain}` is the domain's name, or its numeric id when several
  accounts share the name (the system domain `go.clickmeter.test` is in every
  account; an ambiguous name answers 409). An active link picks a destination
  (`link_routing`: its mode and expiry), answers with it (`link_answers`: a
  301/307 redirect, a cloaking or refreshing page) and records a click with
  that destination, unless it is `redirectOnly`; a paused or deleted one, or
  one expired into a pause, answers 404. A password-protected link wants
  its password as `?password=` or as the password of HTTP Basic auth (any
  user name); without it, 401 and no click.
* `GET /pixel/{id}`: a tracking pixel: an active pixel answers a 1x1 GIF and
  records a view.
* `GET /conversion/{id}[?value=V][&param=P]`: a conversion pixel, placed on
  the goal page: answers the GIF and credits the visitor's latest click on a
  link holding that conversion (value V, default the conversion's own value).

A visitor is an IP address plus a user agent (see `visitors.py`); a hit is
unique when it is the visitor's first on that datapoint that day (UTC). Times
come from the app's clock.
"""

from __future__ import annotations

import base64
import binascii
import math
import random
import secrets
import sqlite3
from dataclasses import replace
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from reconciler.apishapes import MAX_MONEY, STATUS_ACTIVE, TRACKING_LINK, TRACKING_PIXEL
from reconciler.server.context import click_seed_of, now_of, store_of
from reconciler.server.db import insert_row
from reconciler.server.link_answers import NO_CACHE, link_answer
from reconciler.server.link_routing import COUNTRY_HEADER, Click, destination, preferred_languages
from reconciler.server.responses import ApiError, bad_request, failure, not_found
from reconciler.server.visitors import Visitor, anonymised, device_of, visitor_of

TRACKING_ROUTE_NAMES = frozenset({"track-link", "track-pixel", "track-conversion"})
PIXEL_GIF = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")

LINK_SQL = """
SELECT * FROM datapoints
WHERE domain_id IN (SELECT id FROM domains WHERE name = ? OR CAST(id AS TEXT) = ?)
  AND name = ? AND type = ? AND status = ?
"""
LAST_CLICK_SQL = """
SELECT h.id, h.datapoint_id FROM hits h
JOIN datapoint_conversions dc ON dc.datapoint_id = h.datapoint_id AND dc.conversion_id = ?
WHERE h.ip IN (?, ?) AND h.user_agent = ? AND h.kind = 'click' AND h.account_id = ? AND h.hit_time <= ?
ORDER BY h.hit_time DESC, h.id DESC LIMIT 1
"""


def record_hit(db: sqlite3.Connection, datapoint: sqlite3.Row, visitor: Visitor, at: str,
               query: str, destination: str | None = None) -> int:
    """Store one click (a link) or view (a pixel) at `at` (YmdHis); return the hit's id."""
    day = at[:8]
    seen_today = db.execute(
        "SELECT 1 FROM hits WHERE datapoint_id = ? AND hit_time BETWEEN ? AND ? "
        "AND ip = ? AND user_agent = ? LIMIT 1",
        (datapoint["id"], f"{day}000000", f"{day}235959", visitor.ip, visitor.user_agent),
    ).fetchone()
    return insert_row(db, "hits", {
        "account_id": datapoint["account_id"], "datapoint_id": datapoint["id"],
        "kind": "click" if datapoint["type"] == TRACKING_LINK else "view", "hit_time": at,
        "ip": visitor.ip, "user_agent": visitor.user_agent, "referrer": visitor.referrer,
        "language": visitor.language, "query": query or None, "destination": destination,
        "is_unique": seen_today is None, "is_spider": visitor.is_spider,
    })


async def follow_link(request: Request) -> Response:
    """`GET /{domain}/{name}`: send the visitor where the link says and record the click."""
    domain, name = request.path_params["domain"].lower(), request.path_params["name"]
    at = now_of(request)
    query = _public_params(request)
    with store_of(request).transaction() as db:
        rows = db.execute(LINK_SQL, (domain, domain, name, TRACKING_LINK, STATUS_ACTIVE)).fetchall()
        if not rows:
            raise not_found("tracking link", f"{domain}/{name}")
        if len(rows) > 1:
            raise ApiError(409, [failure("domain", f"several accounts have {domain}/{name}: "
                                         "use the domain's id instead of its name", "ambiguous")])
        link = rows[0]
        _check_password(request, link["password"])
        visitor = _tracked_visitor(request, link)
        target = destination(link, _click(request, db, link, visitor, at))
        if target is None:  # expired into a pause: the paused answer
            raise not_found("tracking link", f"{domain}/{name}")
        db.execute("UPDATE datapoints SET clicks_served = clicks_served + 1 WHERE id = ?", (link["id"],))
        if not link["redirect_only"]:
            recorded_query = "" if link["light_tracking"] else urlencode(query)
            record_hit(db, link, visitor, at, recorded_query, target)
    return link_answer(link, target, query)


def _tracked_visitor(request: Request, link: sqlite3.Row) -> Visitor:
    """The visitor as the link records them: `encodeIp` zeroes the address's end, `lightTracking`
    keeps no referrer or language (nor, in `follow_link`, the query string)."""
    visitor = visitor_of(request)
    if link["encode_ip"]:
        visitor = replace(visitor, ip=anonymised(visitor.ip))
    if link["light_tracking"]:
        visitor = replace(visitor, referrer=None, language=None)
    return visitor


def _click(request: Request, db: sqlite3.Connection, link: sqlite3.Row, visitor: Visitor, at: str) -> Click:
    """What the link's destination mode may look at; the draw is seeded per click under a seed."""
    number = link["clicks_served"]
    seed = click_seed_of(request)
    country = request.headers.get(COUNTRY_HEADER, "").strip().upper() or None

    def first_visit() -> bool:
        return db.execute("SELECT 1 FROM hits WHERE datapoint_id = ? AND ip = ? AND user_agent = ? LIMIT 1",
                          (link["id"], visitor.ip, visitor.user_agent)).fetchone() is None

    return Click(number=number, at=at, country=country,
                 languages=preferred_languages(request.headers.get("accept-language", "")),
                 device=device_of(visitor.user_agent), first_visit=first_visit,
                 draw=random.Random(f"{seed}/{link['id']}/{number}") if seed is not None else random.Random())


async def count_view(request: Request) -> Response:
    """`GET /pixel/{id}`: the 1x1 GIF; records a view of an active pixel."""
    pixel_id = request.path_params["id"]
    with store_of(request).transaction() as db:
        pixel = db.execute("SELECT * FROM datapoints WHERE id = ? AND type = ? AND status = ?",
                           (pixel_id, TRACKING_PIXEL, STATUS_ACTIVE)).fetchone()
        if pixel is None:
            raise not_found("tracking pixel", pixel_id)
        record_hit(db, pixel, visitor_of(request), now_of(request), urlencode(_public_params(request)))
    return Response(PIXEL_GIF, media_type="image/gif", headers=NO_CACHE)


async def count_conversion(request: Request) -> Response:
    """`GET /conversion/{id}`: the 1x1 GIF; credits the visitor's latest eligible click."""
    conversion_id = request.path_params["id"]
    visitor = visitor_of(request)
    at = now_of(request)
    given_value = _conversion_value(request)
    with store_of(request).transaction() as db:
        conversion = db.execute("SELECT * FROM conversions WHERE id = ? AND deleted = 0",
                                (conversion_id,)).fetchone()
        if conversion is None:
            raise not_found("conversion", conversion_id)
        click = db.execute(LAST_CLICK_SQL, (conversion_id, visitor.ip, anonymised(visitor.ip), visitor.user_agent,
                                            conversion["account_id"], at)).fetchone()
        if click is not None:
            repeated = db.execute("SELECT 1 FROM hit_conversions WHERE hit_id = ? "
                                  "AND conversion_id = ? LIMIT 1",
                                  (click["id"], conversion_id)).fetchone()
            value = given_value if given_value is not None else conversion["value"] or 0.0
            insert_row(db, "hit_conversions", {
                "account_id": conversion["account_id"], "datapoint_id": click["datapoint_id"],
                "hit_id": click["id"], "conversion_id": conversion_id, "conversion_time": at,
                "value": value, "parameter": request.query_params.get("param"),
                "is_unique": repeated is None,
            })
    return Response(PIXEL_GIF, media_type="image/gif", headers=NO_CACHE)


def _check_password(request: Request, password: str | None) -> None:
    """401 (asking for Basic auth) unless the request carries the link's password."""
    if password is None:
        return
    given = request.query_params.get("password") or _basic_auth_password(request)
    if given is None or not secrets.compare_digest(given.encode(), password.encode()):
        raise ApiError(401, [failure("password", "this link needs its password",
                                     "unauthorized")],
                       headers={"WWW-Authenticate": 'Basic realm="tracking link"'})


def _basic_auth_password(request: Request) -> str | None:
    scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        return base64.b64decode(encoded, validate=True).decode().partition(":")[2]
    except (binascii.Error, UnicodeDecodeError):
        return None


def _public_params(request: Request) -> list[tuple[str, str]]:
    """The query parameters but the password: recorded, and forwarded by `appendQuery`."""
    return [(k, v) for k, v in request.query_params.multi_items() if k != "password"]


def _conversion_value(request: Request) -> float | None:
    raw = request.query_params.get("value")
    if raw is None or raw == "":
        return None
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and abs(value) <= MAX_MONEY):
        raise bad_request("value", f"value must be a number from -{MAX_MONEY} to {MAX_MONEY}")
    return value


def traffic_routes() -> list[BaseRoute]:
    """The tracking paths; the `/{domain}/{name}` catch-all must be the app's last route."""
    return [
        Route("/pixel/{id:id}", count_view, methods=["GET"], name="track-pixel"),
        Route("/conversion/{id:id}", count_conversion, methods=["GET"], name="track-conversion"),
        Route("/{domain}/{name}", follow_link, methods=["GET"], name="track-link"),
    ]
