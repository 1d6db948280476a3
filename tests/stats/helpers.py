"""One account with known traffic, recorded through the local server's tracking paths.

"Today" is Friday 2026-11-27 by the server's clock. Visitors are an address
(sent as X-Forwarded-For) and a user agent; a visitor's first hit on a
datapoint in a day is unique. The expected figures in the tests follow from
the table in `TRAFFIC` and nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import httpx
from starlette.applications import Starlette

from reconciler.clickmeter.client import ClickMeterClient
from tests.server.helpers import SettableClock, visit

TODAY_NOON = "20261127120000"  # YmdHis, UTC
DOMAIN = "go.clickmeter.test"
SIGNUP_VALUE = 12.5


@dataclass(frozen=True)
class Visitor:
    ip: str
    user_agent: str
    language: str


ANNA = Visitor("198.51.100.1", "Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0", "en-GB")
BEN = Visitor("198.51.100.2", "Mozilla/5.0 (Windows NT 10.0) Chrome/120.0 Safari/537.36", "de-DE")
CARA = Visitor("198.51.100.3", "Mozilla/5.0 (Macintosh; Mac OS X 14) Safari/605.1", "fr-FR")
CRAWLER = Visitor("203.0.113.9", "Googlebot/2.1 (+http://www.google.com/bot.html)", "en-US")

LINKS = ("spring-sale", "idle", "old-promo", "stray", "teaser")  # stray and teaser: live, never declared
PIXELS = ("newsletter-open",)


def at(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


TRAFFIC = [  # (datapoint, when, who)
    ("spring-sale", at(11, 27, 10), ANNA),   # unique
    ("spring-sale", at(11, 27, 11), ANNA),   # not unique: Anna's second today
    ("spring-sale", at(11, 27, 12), BEN),    # unique; Ben converts at 12:05
    ("spring-sale", at(11, 27, 13), CRAWLER),  # a spider: no click, no last hit
    ("spring-sale", at(11, 26, 9), ANNA),    # yesterday, unique
    ("spring-sale", at(11, 20, 15), CARA),   # in last30, not in last7
    ("spring-sale", at(10, 15, 8), ANNA),    # in last90, not in last30
    ("old-promo", at(9, 1, 10), ANNA),       # the only hit: stale for 30 and 60 days, not 90
    ("newsletter-open", at(11, 25, 8), ANNA),
    ("newsletter-open", at(11, 25, 9), BEN),
    ("stray", at(11, 27, 9), ANNA),
    ("stray", at(11, 24, 9), BEN),
    ("teaser", at(10, 20, 9), CARA),
]
CONVERSIONS = [("signup", at(11, 27, 12, 5), BEN)]

MANIFEST = """\
conversions:
  - name: signup
    value: 12.5
groups:
  - name: spring
datapoints:
  - name: spring-sale
    url: https://shop.example.com/spring
    group: spring
    conversions: [signup]
  - name: idle
    url: https://shop.example.com/idle
    group: spring
  - name: old-promo
    url: https://shop.example.com/old
  - name: gone
    url: https://shop.example.com/gone
  - name: newsletter-open
    type: pixel
"""


async def create_datapoints(client: ClickMeterClient, signup_id: int) -> dict[str, int]:
    """The scenario's links and pixels, in one batch; their ids by name."""
    links = [{"type": 0, "name": name, "title": name,
              "typeTL": {"url": f"https://shop.example.com/{name}", "redirectType": 307},
              **({"firstConversionId": signup_id} if name == "spring-sale" else {})}
             for name in LINKS]
    pixels = [{"type": 1, "name": name, "title": name} for name in PIXELS]
    results = await client.create_datapoints_batch(links + pixels)
    assert all(result.ok for result in results), results
    return {name: result.id for name, result in zip(LINKS + PIXELS, results, strict=True)}


async def record_traffic(app: Starlette, clock: SettableClock, ids: dict[str, int], signup_id: int) -> None:
    """Every hit of `TRAFFIC` and `CONVERSIONS`, in time order, through the tracking paths."""
    events = [(when, name, who) for name, when, who in TRAFFIC]
    events += [(when, f"conversion:{name}", who) for name, when, who in CONVERSIONS]
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://local") as web:
        for when, name, who in sorted(events, key=lambda event: event[0]):
            clock.now = when
            if name.startswith("conversion:"):
                path = f"/conversion/{signup_id}"
            elif name in PIXELS:
                path = f"/pixel/{ids[name]}"
            else:
                path = f"/{DOMAIN}/{name}"
            answer = await visit(web, path, ip=who.ip, agent=who.user_agent, accept_language=who.language)
            assert answer.status_code in (200, 307), (path, answer.status_code, answer.text)
    clock.at(TODAY_NOON)


async def seed_scenario(app: Starlette, clock: SettableClock, api_key: str) -> dict[str, int]:
    """The scenario's account on `app`: a conversion, the datapoints, the traffic."""
    async with ClickMeterClient("http://local", api_key, transport=httpx.ASGITransport(app=app)) as client:
        signup = await client.create_conversion({"name": "signup", "value": SIGNUP_VALUE,
                                                 "protocol": 1, "code": "signup"})
        ids = await create_datapoints(client, signup["id"])
    await record_traffic(app, clock, ids, signup["id"])
    return ids
