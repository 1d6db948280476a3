"""Apply against the real local server: accounts, random states, and checks on the server's database.

Desired states are model objects (the manifests loader has its own tests), so a
run is: plan against the live account, execute, and look at the SQLite file the
server writes, never at what apply says about itself.
"""

from __future__ import annotations

import dataclasses
import io
import random
import sqlite3
from collections import Counter
from collections.abc import AsyncIterator, Iterator, Mapping
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

import httpx

from reconciler.apishapes import TRACKING_LINK, TRACKING_PIXEL
from reconciler.apply.executor import Outcome
from reconciler.apply.run import execute_plan
from reconciler.clickmeter.client import ClickMeterClient
from reconciler.live.reader import read_live_state
from reconciler.model import (
    PIXEL,
    ConversionSpec,
    DatapointSpec,
    DesiredState,
    GroupSpec,
    Secret,
    Settings,
)
from reconciler.plan.document import Plan
from reconciler.plan.planner import plan_changes
from reconciler.server.app import create_app
from reconciler.target import local_service_variant
from tests.helpers import desired_state as planner_desired_state
from tests.helpers import serving_app

ENVIRON = {"LINK_PASSWORD": "open-sesame"}
TARGET = "target: test account"
GROUPS = ("spring", "summer", "autumn")
TAGS = ("news", "promo", "q1")
CONVERSIONS = ("signup", "buy", "lead")


class AnswersLostAfterWrites:
    """ASGI wrapper: a share of writes is carried out by the server, then its answer is lost
    (`how`: "503" answers in its place, "drop" hangs up). The server's own faults strike before
    the write; this is the other case, where a blind retry of a create would duplicate it."""

    def __init__(self, app: Any, share: float, how: str, seed: int) -> None:
        self.app, self.share, self.how = app, share, how
        self.random = random.Random(seed)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["method"] == "GET" or self.random.random() >= self.share:
            await self.app(scope, receive, send)
            return

        async def discard(message: Any) -> None:
            return None

        await self.app(scope, receive, discard)
        if self.how == "drop":
            raise httpx.RemoteProtocolError("test: connection dropped after the write")
        await send({"type": "http.response.start", "status": 503,
                    "headers": [(b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": b'[{"errorMessage": "test: answer lost"}]'})


@asynccontextmanager
async def account(db_path: Path, api_key: str, lost_answers: float = 0.0, lost_as: str = "drop",
                  seed: int = 0, client_rate: float | None = None,
                  **app_options: Any) -> AsyncIterator[ClickMeterClient]:
    """A client (at `client_rate` requests/s) of the in-process server on `db_path`; `app_options`
    go to `create_app` (rate, latency_ms, fault_rate, fault_seed), `lost_answers` to
    `AnswersLostAfterWrites`."""
    app = create_app(db_path, variant=local_service_variant(), **app_options)
    served = AnswersLostAfterWrites(app, lost_answers, lost_as, seed) if lost_answers else app
    try:
        async with ClickMeterClient("http://local", api_key, transport=httpx.ASGITransport(app=served),
                                    rate=client_rate, backoff=0.001, max_backoff=0.01) as client:
            yield client
    finally:
        app.state.store.close()


@contextmanager
def serving(db_path: Path, **app_options: Any) -> Iterator[str]:
    """The server on `db_path` over loopback (uvicorn in a thread), `app_options` to `create_app`;
    yields its base URL."""
    with serving_app(create_app(db_path, variant=local_service_variant(), **app_options), log_level="critical") as url:
        yield url


async def plan_for(client: ClickMeterClient, desired: DesiredState) -> Plan:
    return dataclasses.replace(plan_changes(desired, await read_live_state(client)), target=TARGET)


async def apply_desired(client: ClickMeterClient, desired: DesiredState, **options: Any) -> Outcome:
    """Plan against the account, then execute that plan (as `apply PATH --auto-approve` does)."""
    plan = await plan_for(client, desired)
    return await execute_plan(client, plan, saved=False, stream=io.StringIO(), environ=ENVIRON, **options)


def desired_state(datapoints: list[DatapointSpec], groups: list[GroupSpec] = (),
                  conversions: list[ConversionSpec] = ()) -> DesiredState:
    """The planner tests' desired state, with the safety thresholds out of the way."""
    return planner_desired_state(datapoints, groups, conversions,
                                 Settings(max_delete_percent=100, max_update_percent=100))


def random_desired(rng: random.Random, names: int = 8, most: int = 6) -> DesiredState:
    """A small random account: links and pixels, groups (some pruned), tags, conversions."""
    groups = [GroupSpec(name, notes=rng.choice([None, "a", "b"]), favourite=rng.choice([None, True, False]),
                        tags=rng.choice([None, frozenset(), frozenset({"season"})]), prune=rng.random() < 0.5)
              for name in rng.sample(GROUPS, rng.randint(0, 2))]
    conversions = [ConversionSpec(name, value=rng.choice([1.0, 2.5]), protocol=rng.choice([None, "https"]))
                   for name in rng.sample(CONVERSIONS, rng.randint(0, 2))]
    specs = []
    for number in rng.sample(range(names), rng.randint(1, most)):
        name, pixel = f"dp-{number}", number % 4 == 3  # a name keeps its type: links and pixels share names
        spec = DatapointSpec(
            name, type=PIXEL if pixel else "link",
            title=rng.choice([None, "T1", "T2"]), notes=rng.choice([None, "n"]),
            group=rng.choice([None] + [g.name for g in groups]),
            tags=rng.choice([None, frozenset(rng.sample(TAGS, rng.randint(0, 2)))]),
            conversions=rng.choice([None, frozenset(rng.sample([c.name for c in conversions],
                                                               rng.randint(0, len(conversions))))]),
            favourite=rng.choice([None, True, False]), status=rng.choice([None, "active", "paused"]))
        if not pixel:
            spec.url = f"https://shop.example.com/{rng.randint(0, 3)}"
            spec.redirect = rng.choice([None, "temporary", "permanent"])
            if rng.random() < 0.3:
                spec.password = Secret(ENVIRON["LINK_PASSWORD"], env="LINK_PASSWORD")
        specs.append(spec)
    return desired_state(specs, groups, conversions)


# ------------------------------------------------------------------ the server's own database


def rows(db_path: Path, query: str, *args: Any) -> list[sqlite3.Row]:
    with sqlite3.connect(db_path) as db:
        db.row_factory = sqlite3.Row
        return db.execute(query, args).fetchall()


def _of_account(key: str | None) -> tuple[str, tuple[Any, ...]]:
    """A WHERE condition on `account_id` (every account when `key` is None)."""
    if key is None:
        return "1 = 1", ()
    return "account_id = (SELECT id FROM accounts WHERE api_key = ?)", (key,)


def live_datapoints(db_path: Path, key: str | None = None) -> dict[int, tuple[str, str]]:
    """id -> (type, name) of every datapoint not deleted (of the account `key`, if given)."""
    where, args = _of_account(key)
    return {row["id"]: (row["type"], row["name"])
            for row in rows(db_path, f"SELECT id, type, name FROM datapoints WHERE status != 'Deleted' "
                                     f"AND {where}", *args)}


def duplicates(db_path: Path, key: str | None = None) -> list[str]:
    """Names held by more than one live object of a kind (what apply must never make)."""
    found = [f"datapoint {name}" for name, n in Counter(live_datapoints(db_path, key).values()).items() if n > 1]
    where, args = _of_account(key)
    for table, alive in (("groups", "deleted = 0"), ("conversions", "deleted = 0"), ("tags", "1 = 1")):
        names = Counter(row["name"] for row in rows(db_path, f"SELECT name FROM {table} WHERE {alive} AND {where}",
                                                    *args))
        found += [f"{table} {name}" for name, n in names.items() if n > 1]
    return found


def lost(before: Mapping[int, tuple[str, str]], desired: DesiredState, db_path: Path,
         key: str | None = None) -> list[int]:
    """Datapoints alive before that are gone although the manifests declare them (a delete and
    re-create would lose their statistics) or no prune group let them go."""
    after = live_datapoints(db_path, key)
    pruned = {name for name, group in desired.groups.items() if group.prune}
    group_of = {row["id"]: row["name"] for row in rows(
        db_path, "SELECT d.id, g.name FROM datapoints d JOIN groups g ON g.id = d.group_id")}
    stored_type = {"link": TRACKING_LINK, "pixel": TRACKING_PIXEL}
    declared = {(stored_type[spec.type], name) for name, spec in desired.datapoints.items()}
    return sorted(datapoint_id for datapoint_id, identity in before.items() if datapoint_id not in after
                  and (identity in declared or group_of.get(datapoint_id) not in pruned))
