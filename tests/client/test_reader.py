"""The live-state reader on real accounts: every field, few calls, changes caught."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette

from reconciler.apishapes import MAX_BATCH
from reconciler.clickmeter.client import ClickMeterClient
from reconciler.live.clicks import read_recent_clicks
from reconciler.live.reader import (
    LiveStateChangedError,
    UnknownGroupError,
    read_live_state,
)
from reconciler.model import LiveConversion, LiveDatapoint, LiveGroup, LiveNamed, Secret
from reconciler.server.app import create_app
from reconciler.server.variant import ServiceVariant
from tests.client.helpers import link, pixel

pytestmark = pytest.mark.anyio


async def seed_full_account(client: ClickMeterClient) -> dict[str, int]:
    """An account with every field and association a datapoint can have."""
    domain = (await client.create_domain({"name": "go.example.test", "type": "Personal"}))["id"]
    group = (await client.create_group({"name": "spring", "notes": "Spring campaign", "preferred": True}))["id"]
    seasonal = (await client.create_tag("seasonal"))["id"]
    await client.patch_tag_group(seasonal, "add", group)
    signup = (await client.create_conversion({"name": "signup", "value": 12.5, "protocol": 1,
                                              "description": "Account created"}))["id"]
    purchase = (await client.create_conversion({"name": "purchase", "value": 40.0, "protocol": 0}))["id"]
    script = (await client.create_retargeting({"name": "site-pixel", "script": "<script></script>"}))["id"]
    full = (await client.create_datapoint(link(
        "spring-sale", "https://shop.example.com/spring", title="Spring sale", notes="April newsletter",
        preferred=True, status=1, groupId=group, tags=[{"name": "newsletter"}, {"name": "spring"}],
        firstConversionId=signup, secondConversionId=purchase,
        typeTL={"domainId": domain, "redirectType": 301, "password": "hunter2",
                "scripts": [{"id": script}]})))["id"]
    bare = (await client.create_datapoint(link("bare")))["id"]
    view = (await client.create_group_datapoint(group, pixel("open-pixel", title="Opens")))["id"]
    gone = (await client.create_datapoint(link("gone")))["id"]
    await client.delete_datapoint(gone)
    unused_tag = (await client.create_tag("unused"))["id"]
    unused_script = (await client.create_retargeting({"name": "old-pixel", "script": "<img>"}))["id"]
    return {"unused_tag": unused_tag, "unused_script": unused_script, "domain": domain, "group": group,
            "seasonal": seasonal, "signup": signup, "purchase": purchase,
            "script": script, "full": full, "bare": bare, "view": view}


NO_EXPAND = ServiceVariant.parse("no-expand")
VARIANTS = [ServiceVariant(), NO_EXPAND, ServiceVariant.parse("counts=without-deleted"),
            ServiceVariant.parse("no-expand,counts=without-deleted")]


@pytest.mark.parametrize("service_variant", VARIANTS, ids=ServiceVariant.describe)
async def test_reads_every_field_and_association(client: ClickMeterClient, service_variant: ServiceVariant) -> None:
    ids = await seed_full_account(client)
    client.calls.clear()
    state = await read_live_state(client)

    spring_sale = state.datapoints[ids["full"]]
    assert spring_sale == LiveDatapoint(
        id=ids["full"], name="spring-sale", type="link", url="https://shop.example.com/spring",
        title="Spring sale", domain="go.example.test", redirect="permanent", group="spring",
        tags=frozenset({"newsletter", "spring"}), conversions=frozenset({"signup", "purchase"}),
        retargeting=frozenset({"site-pixel"}), favourite=True, notes="April newsletter", status="paused",
        password=Secret("hunter2"), created=spring_sale.created)
    assert spring_sale.created and len(spring_sale.created) == 14
    bare = state.datapoints[ids["bare"]]
    assert (bare.domain, bare.redirect, bare.group, bare.tags, bare.password, bare.status) == (
        "go.clickmeter.test", "temporary", None, frozenset(), None, "active")
    opens = state.datapoints[ids["view"]]
    assert (opens.type, opens.title, opens.group, opens.url) == ("pixel", "Opens", "spring", None)
    assert set(state.datapoints) == {ids["full"], ids["bare"], ids["view"]}, "deleted ones are left out"
    assert state.deleted_datapoints == {("link", "go.clickmeter.test", "gone")}, "but their names are remembered"

    assert state.groups == {ids["group"]: LiveGroup(ids["group"], "spring", "Spring campaign", True,
                                                    frozenset({"seasonal"}))}
    assert state.conversions[ids["signup"]] == LiveConversion(ids["signup"], "signup", 12.5, "https",
                                                              "Account created")
    assert state.conversions[ids["purchase"]].protocol == "http"
    assert {t.name for t in state.tags.values()} == {"seasonal", "newsletter", "spring", "unused"}
    assert state.tags[ids["unused_tag"]] == LiveNamed(ids["unused_tag"], "unused")
    assert state.retargeting == {ids["script"]: LiveNamed(ids["script"], "site-pixel"),
                                 ids["unused_script"]: LiveNamed(ids["unused_script"], "old-pixel")}
    assert {(d.name, d.kind) for d in state.domains.values()} == {
        ("go.clickmeter.test", "system"), ("go.example.test", "personal")}
    if service_variant.expand:  # whole entities on every list: nothing is fetched one by one
        assert client.calls["list_datapoints"] == 1 and "summary_datapoints_page" not in client.calls
        assert not {"get_datapoint", "get_group", "get_conversion", "get_tag", "get_retargeting"} & set(client.calls)
    else:  # summary rows, then a GET each, since every field was asked for (details=None)
        assert client.calls["summary_datapoints_page"] == 2  # one page of links, one of pixels
        assert client.calls["get_datapoint"] == 3


@pytest.mark.parametrize("service_variant", VARIANTS, ids=ServiceVariant.describe)
async def test_domains_of_other_types_are_read_only_when_asked_for(client: ClickMeterClient) -> None:
    """Reading the system domains alone still names a link on a personal domain (from its
    tracking code); a domain name asked for that is not a system one reads every type."""
    ids = await seed_full_account(client)
    whole = await read_live_state(client)
    client.calls.clear()
    state = await read_live_state(client, domains={"go.clickmeter.test"})
    assert client.calls["list_domains"] == 1
    assert state.datapoints == whole.datapoints
    assert state.datapoints[ids["full"]].domain == "go.example.test"
    assert {d.name for d in state.domains.values()} == {"go.clickmeter.test"}
    client.calls.clear()
    state = await read_live_state(client, domains={"go.example.test"})
    assert client.calls["list_domains"] == 4
    assert (state.datapoints, state.domains) == (whole.datapoints, whole.domains)


@pytest.mark.parametrize("service_variant", [NO_EXPAND], ids=ServiceVariant.describe)
async def test_without_expand_only_the_datapoints_asked_for_are_fetched(client: ClickMeterClient) -> None:
    ids = await seed_full_account(client)
    whole = await read_live_state(client)
    client.calls.clear()
    state = await read_live_state(client, details={"spring-sale"})
    assert client.calls["get_datapoint"] == 1
    assert state.datapoints[ids["full"]] == whole.datapoints[ids["full"]]
    assert state.datapoints[ids["view"]] == whole.datapoints[ids["view"]]
    bare = state.datapoints[ids["bare"]]  # all but what only a GET gives (redirect, password)
    assert bare == dataclasses.replace(whole.datapoints[ids["bare"]], redirect=None)


@pytest.mark.parametrize("service_variant", [ServiceVariant(), NO_EXPAND], ids=ServiceVariant.describe)
async def test_reading_many_datapoints_costs_a_call_per_page(client: ClickMeterClient,
                                                             service_variant: ServiceVariant) -> None:
    for start in range(0, 450, MAX_BATCH):
        await client.create_datapoints_batch([link(f"dp-{i}") for i in range(start, min(450, start + MAX_BATCH))])
    client.calls.clear()
    state = await read_live_state(client, details=())
    assert len(state.datapoints) == 450
    # the count twice, a list each of groups, tags, conversions, scripts and the 4 domain types,
    # and a get of the one (system) domain when lists are not expanded
    others = 2 + 4 + 4 + (0 if service_variant.expand else 1)
    if service_variant.expand:
        assert client.calls["list_datapoints"] == 5
        assert client.total_calls == 5 + others
    else:  # one list page to see it is not expanded, summary pages, the favourites' list
        assert client.calls["summary_datapoints_page"] == 5 + 1
        assert client.total_calls == 1 + 6 + 1 + others


class CreateDuringRead(httpx.AsyncBaseTransport):
    """The real app behind a transport that creates a datapoint right after the count is answered."""

    def __init__(self, app: Starlette) -> None:
        self.inner = httpx.ASGITransport(app=app)
        self.armed = False

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        if self.armed and request.url.path == "/datapoints/count":
            self.armed = False
            await self.inner.handle_async_request(httpx.Request(
                "POST", "http://local/datapoints", json=link("sneaked-in"), headers={**request.headers}))
        return response


@pytest.mark.parametrize("service_variant", VARIANTS, ids=ServiceVariant.describe)
async def test_a_change_during_the_read_is_reported(app: Starlette, api_key: str) -> None:
    transport = CreateDuringRead(app)
    async with ClickMeterClient("http://local", api_key, transport=transport) as client:
        await client.create_datapoint(link("first"))
        await client.delete_datapoint((await client.create_datapoint(link("deleted")))["id"])
        await read_live_state(client)  # deleted entities listed or not, counted or not: coherent
        transport.armed = True
        with pytest.raises(LiveStateChangedError, match=r"the account changed while it was read .*run"):
            await read_live_state(client)


async def test_reads_only_the_groups_in_scope(client: ClickMeterClient) -> None:
    ids = await seed_full_account(client)
    state = await read_live_state(client, groups=["spring"])
    assert set(state.datapoints) == {ids["full"], ids["view"]}
    with pytest.raises(UnknownGroupError, match="no live group named 'autumn'"):
        await read_live_state(client, groups=["autumn"])


class Clock:
    """The app's clock, set by the test: hits are recorded at its time."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now


async def click(app: Starlette, clock: Clock, name: str, *days_ago: int) -> None:
    """Follow the link's tracking path as visitors would, `days_ago` days back each time."""
    today = clock.now
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://local") as browser:
        for visitor, ago in enumerate(days_ago):
            clock.now = today - timedelta(days=ago)
            response = await browser.get(f"/go.clickmeter.test/{name}", headers={"User-Agent": f"visitor {visitor}"})
            assert response.status_code == 307
    clock.now = today


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def clocked(db_path: Path, api_key: str, clock: Clock) -> AsyncIterator[tuple[Starlette, ClickMeterClient]]:
    """An app on the test's clock and a client of it."""
    app = create_app(db_path, clock=clock)
    async with ClickMeterClient("http://local", api_key, transport=httpx.ASGITransport(app=app)) as client:
        yield app, client


async def test_recent_clicks_in_bulk(clocked: tuple[Starlette, ClickMeterClient], clock: Clock) -> None:
    app, client = clocked
    names = [f"r{i}" for i in range(100)] + [f"s{i}" for i in range(50)]
    created = []
    for start in range(0, len(names), MAX_BATCH):
        created += await client.create_datapoints_batch([link(name) for name in names[start:start + MAX_BATCH]])
    ids = [item.id for item in created]
    await click(app, clock, "r0", 0, 1, 2, 45)
    await click(app, clock, "s20", 5)
    client.calls.clear()
    clicks = await read_recent_clicks(client, ids, days=30, today=clock.now.date())
    assert clicks[ids[0]] == 3 and clicks[ids[120]] == 1
    assert sum(clicks.values()) == 4 and set(clicks) == set(ids)
    assert client.calls == {"summary_datapoints_page": 2}


async def test_recent_clicks_of_a_few_links_are_read_one_by_one(
        clocked: tuple[Starlette, ClickMeterClient], clock: Clock) -> None:
    app, client = clocked
    for start in range(0, 500, MAX_BATCH):
        await client.create_datapoints_batch([link(f"p{i}") for i in range(start, start + MAX_BATCH)])
    last = (await client.list_datapoints(offset=499, limit=1))[0]["id"]
    await click(app, clock, "p499", 1, 8)
    client.calls.clear()
    assert await read_recent_clicks(client, [last], days=7, today=clock.now.date()) == {last: 1}
    assert client.calls == {"summary_datapoints_page": 1, "datapoint_statistics": 1}
