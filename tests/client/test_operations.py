"""Every client method against the real local server (in-process)."""

from __future__ import annotations

import inspect
import json
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from starlette.applications import Starlette

from reconciler.apishapes import MAX_BATCH, MAX_LIMIT
from reconciler.clickmeter.client import ClickMeterClient
from reconciler.clickmeter.errors import AuthenticationError, BadRequestError, NameUsedError, NotFoundError
from reconciler.clickmeter.wire import is_deleted, whole_update
from reconciler.server.variant import ServiceVariant
from tests.client.helpers import link, pixel
from tests.server.openapi_check import documented_paths, request_problems

pytestmark = pytest.mark.anyio

HELPERS = {"call", "map_concurrently", "iter_pages", "iter_summary_datapoints", "aclose"}
SEED_SPEC = Path(__file__).parent / "seed-spec.yaml"  # a copy of ../shared/clickmeter/seed-spec.yaml


def seed_operations() -> set[tuple[str, str]]:
    """(METHOD, path template) of the 31 seed operations (operationIds repeat, paths do not)."""
    spec = next(doc for doc in yaml.safe_load_all(SEED_SPEC.read_text()) if doc)
    return {(method.upper(), path) for path, operations in spec["paths"].items() for method in operations}


SEED_TEMPLATES = {path for _, path in seed_operations()}


def template_of(path: str, templates: set[str]) -> str:
    """The template a concrete path fills (`/datapoints/7` -> `/datapoints/{id}`)."""
    matching = [template for template in templates
                if re.fullmatch(re.sub(r"\{[^}]+\}", "[0-9]+", template), path)]
    return min(matching, key=lambda template: template.count("{"), default=path)


class RequestRecorder(httpx.AsyncBaseTransport):
    """The app's transport, noting each request's method, path and JSON body."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.sent: list[tuple[str, str, Any]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content) if request.content else None
        self.sent.append((request.method, request.url.path, body))
        return await self.inner.handle_async_request(request)


def documented_case(body: Any) -> Any:
    """A body as sent (lower-case wrappers and patch keys, as every recorded client sends them:
    REAL-API 14) in openapi.json's casing, so that the rest of it can be checked there."""
    wrappers = {"list": "List", "entities": "Entities", "patchRequests": "PatchRequests"}
    if isinstance(body, dict) and len(body) == 1 and next(iter(body)) in wrappers:
        return {wrappers[key]: [documented_case(item) for item in value] for key, value in body.items()}
    if isinstance(body, dict) and "action" in body:
        return {key[0].upper() + key[1:]: value for key, value in body.items()}
    return body


def operation_names() -> set[str]:
    """The public API methods: each counts its requests under its own name."""
    return {name for name, member in inspect.getmembers(ClickMeterClient, inspect.iscoroutinefunction)
            if not name.startswith("_") and name not in HELPERS}


@pytest.fixture
async def recorded(app: Starlette, api_key: str) -> AsyncIterator[tuple[ClickMeterClient, RequestRecorder]]:
    recorder = RequestRecorder(httpx.ASGITransport(app=app))
    async with ClickMeterClient("http://local", api_key, transport=recorder) as client:
        yield client, recorder


async def test_every_operation_answers_in_the_documented_shape(
        app: Starlette, recorded: tuple[ClickMeterClient, RequestRecorder]) -> None:
    client, recorder = recorded
    account = await client.get_account()
    assert isinstance(account, dict)

    domain_ids = [ref["id"] async for ref in client.iter_pages(client.list_domains)]
    assert await client.count_domains() == len(domain_ids) >= 1
    system = await client.get_domain(domain_ids[0])
    assert system == {"id": domain_ids[0], "name": "go.clickmeter.test"}  # no type (REAL-API 10)
    personal = await client.create_domain({"name": "go.example.test", "type": "Personal"})
    assert (await client.get_domain(personal["id"]))["name"] == "go.example.test"

    group = await client.create_group({"name": "spring", "notes": "Spring campaign"})
    assert (await client.get_group(group["id"]))["notes"] == "Spring campaign"
    await client.update_group(group["id"], {"name": "spring", "notes": "Spring 2027", "preferred": True})
    updated_group = await client.get_group(group["id"])
    assert updated_group["notes"] == "Spring 2027" and updated_group["preferred"] is True
    assert [g["id"] for g in await client.list_groups()] == [group["id"]]
    assert await client.count_groups() == 1

    tag = await client.create_tag("newsletter")
    await client.rename_tag(tag["id"], "news")
    assert (await client.get_tag(tag["id"]))["name"] == "news"
    await client.patch_tag_group(tag["id"], "add", group["id"])
    assert [t["name"] for t in (await client.get_group(group["id"]))["tags"]] == ["news"]
    assert await client.count_tags() == 1 and len(await client.list_tags()) == 1

    signup = await client.create_conversion({"name": "signup", "value": 12.5, "protocol": 1})
    await client.update_conversion(signup["id"], {"name": "signup", "value": 12.5, "protocol": 1,
                                                  "description": "Account created"})
    conversion = await client.get_conversion(signup["id"])
    assert (conversion["value"], conversion["description"]) == (12.5, "Account created")
    assert await client.count_conversions() == 1 and len(await client.list_conversions()) == 1

    script = await client.create_retargeting({"name": "site-pixel", "script": "<script></script>"})
    assert (await client.get_retargeting(script["id"]))["name"] == "site-pixel"
    assert await client.count_retargeting() == 1 and len(await client.list_retargeting()) == 1

    created = await client.create_datapoint(link("spring-sale", typeTL={
        "scripts": [{"id": script["id"]}], "domainId": personal["id"]}))
    in_group = await client.create_group_datapoint(group["id"], pixel("spring-pixel"))
    assert created["uri"] == f"/datapoints/{created['id']}"
    assert await client.count_group_datapoints(group["id"]) == 1
    assert [d["id"] for d in await client.list_group_datapoints(group["id"])] == [in_group["id"]]
    assert [d["id"] for d in await client.list_retargeting_datapoints(script["id"])] == [created["id"]]
    assert await client.count_retargeting_datapoints(script["id"]) == 1

    await client.patch_tag_datapoint(tag["id"], "add", created["id"])
    assert [d["id"] for d in await client.list_tag_datapoints(tag["id"])] == [created["id"]]
    assert await client.count_tag_datapoints(tag["id"]) == 1
    await client.untag_all_datapoints(tag["id"])
    assert await client.count_tag_datapoints(tag["id"]) == 0

    await client.patch_conversion_datapoint(signup["id"], "add", created["id"])
    await client.patch_conversion_datapoints_batch(signup["id"], [("add", in_group["id"])])
    assert {d["id"] for d in await client.list_conversion_datapoints(signup["id"])} == {
        created["id"], in_group["id"]}
    assert await client.count_conversion_datapoints(signup["id"]) == 2

    await client.update_datapoint(created["id"], link("spring-sale", title="Spring sale", typeTL={
        "scripts": [{"id": script["id"]}], "domainId": personal["id"]}))
    await client.set_datapoint_notes(created["id"], "From the April newsletter")
    await client.toggle_datapoint_favourite(created["id"])
    datapoint = await client.get_datapoint(created["id"])
    assert (datapoint["title"], datapoint["notes"], datapoint["preferred"]) == (
        "Spring sale", "From the April newsletter", True)
    assert datapoint["firstConversionId"] == signup["id"]
    assert await client.count_datapoints() == 2 and len(await client.list_datapoints()) == 2

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://local") as browser:
        visit = await browser.get("/go.example.test/spring-sale", headers={"User-Agent": "Firefox/120"})
        assert visit.status_code == 307
    summary = await client.summary_datapoints_page("beginning", type="tl")
    assert summary["count"] == 1 and summary["result"][0]["entityData"]["datapointName"] == "spring-sale"
    assert summary["result"][0]["totalClicks"] == 1
    assert (await client.datapoints_statistics("beginning", "tl"))["totalClicks"] == 1
    by_day = (await client.datapoints_statistics_list("last7", "tl", groupBy="day"))["entities"]
    assert len(by_day) == 7 and sum(day["totalClicks"] for day in by_day) == 1
    assert (await client.datapoint_statistics(created["id"], "today"))["totalClicks"] == 1
    today = (await client.datapoint_statistics_list(created["id"], "today", groupBy="day"))["entities"]
    assert [day["totalClicks"] for day in today] == [1]
    hits = (await client.datapoint_hits(created["id"], "today"))["hits"]
    assert [hit["entity"]["datapointId"] for hit in hits] == [created["id"]]
    report = await client.datapoint_report(created["id"], "browsers", "today")
    assert [row["id"] for row in report["data"]] == ["Firefox"]

    batch = await client.create_datapoints_batch([link("batch-a"), link("batch-b")])
    batch_ids = [item.id for item in batch]
    updated = await client.update_datapoints_batch([whole_update(await client.get_datapoint(i), {"title": "batched"})
                                                    for i in batch_ids])
    assert [item.ok for item in updated] == [True, True]
    deleted = await client.delete_datapoints_batch(batch_ids)
    assert [item.ok for item in deleted] == [True, True]

    await client.delete_datapoint(created["id"])
    assert (await client.get_datapoint(created["id"]))["status"] == 3
    await client.delete_tag(tag["id"])
    await client.delete_conversion(signup["id"])
    await client.delete_retargeting(script["id"])
    await client.delete_group(group["id"])
    for list_page in (client.list_groups, client.list_tags):  # listed still, as deleted (REAL-API 6)
        assert all(is_deleted(entity) for entity in await list_page(_expand=True))

    assert operation_names() <= set(client.calls), "some client method was not exercised"
    seeds = seed_operations()
    exercised = {(method, template_of(path, SEED_TEMPLATES)) for method, path, _ in recorder.sent}
    assert len(seeds) == 31 and seeds <= exercised, f"seed operations not called: {seeds - exercised}"
    templates = documented_paths()
    problems = {(method, path): request_problems(method, template_of(path, templates), documented_case(body))
                for method, path, body in recorder.sent}
    assert not {call: found for call, found in problems.items() if found}


@pytest.mark.parametrize("service_variant", [ServiceVariant.parse("updates=replace"),
                                             ServiceVariant.parse("updates=merge")], ids=str)
async def test_a_whole_update_keeps_what_it_does_not_change(client: ClickMeterClient) -> None:
    created = await client.create_datapoint(link("keep", title="Kept", notes="kept too",
                                                 typeTL={"redirectType": 307, "password": "s3cret"}))
    live = await client.get_datapoint(created["id"])
    await client.update_datapoint(created["id"], whole_update(live, {"title": "New title"}))
    datapoint = await client.get_datapoint(created["id"])
    assert (datapoint["title"], datapoint["notes"]) == ("New title", "kept too")
    assert (datapoint["typeTL"]["redirectType"], datapoint["typeTL"]["password"]) == (307, "s3cret")


@pytest.mark.parametrize("service_variant", [ServiceVariant.parse(token) for token in (
    "default", "updates=merge", "update-slots=honour", "update-slots=honour,updates=merge")], ids=str)
async def test_a_whole_update_after_conversion_patches_keeps_what_they_did(client: ClickMeterClient) -> None:
    signup, buy, lead = [(await client.create_conversion({"name": name}))["id"] for name in ("signup", "buy", "lead")]
    created = await client.create_datapoint(link("swap", firstConversionId=signup, secondConversionId=buy))
    before = await client.get_datapoint(created["id"])
    await client.patch_conversion_datapoint(signup, "remove", created["id"])
    await client.patch_conversion_datapoint(lead, "add", created["id"])

    body = whole_update(before, {"title": "New", "firstConversionId": buy, "secondConversionId": lead,
                                 "thirdConversionId": None, "fourthConversionId": None, "fifthConversionId": None})
    await client.update_datapoint(created["id"], body)

    slots = {k: v for k, v in (await client.get_datapoint(created["id"])).items() if k.endswith("ConversionId")}
    assert {k: v for k, v in body.items() if k.endswith("ConversionId")} == slots == {
        "firstConversionId": lead, "secondConversionId": buy}


async def test_batch_answers_item_by_item(client: ClickMeterClient) -> None:
    await client.create_datapoint(link("taken"))
    results = await client.create_datapoints_batch([link("fresh"), link("taken"), link("also-fresh")])
    assert [item.ok for item in results] == [True, False, True]
    assert results[1].message.lower().startswith("name")
    assert await client.count_datapoints() == 3


async def test_a_batch_over_the_maximum_is_refused_before_sending(client: ClickMeterClient) -> None:
    with pytest.raises(ValueError, match=f"at most {MAX_BATCH}"):
        await client.create_datapoints_batch([link(f"l{i}") for i in range(MAX_BATCH + 1)])
    assert client.total_calls == 0


async def test_paging_reads_every_entity_at_the_largest_page(client: ClickMeterClient) -> None:
    total = MAX_LIMIT + 50
    for start in range(0, total, MAX_BATCH):
        await client.create_datapoints_batch([link(f"dp-{i}") for i in range(start, min(total, start + MAX_BATCH))])
    ids = [ref["id"] async for ref in client.iter_pages(client.list_datapoints)]
    assert len(set(ids)) == total
    assert client.calls["list_datapoints"] == 2
    summaries = [result async for result in client.iter_summary_datapoints(type="tl")]
    assert {int(result["entityId"]) for result in summaries} == set(ids)
    assert client.calls["summary_datapoints_page"] == 2


async def test_favourite_is_a_toggle(client: ClickMeterClient) -> None:
    created = await client.create_datapoint(link("fav"))
    await client.toggle_datapoint_favourite(created["id"])
    await client.toggle_datapoint_favourite(created["id"])
    assert (await client.get_datapoint(created["id"])).get("preferred", False) is False


async def test_errors_are_typed_and_one_line(client: ClickMeterClient) -> None:
    with pytest.raises(NotFoundError) as missing:
        await client.get_datapoint(999_999)
    assert str(missing.value).startswith("GET /datapoints/999999 -> 404: ")
    await client.create_group({"name": "dup"})
    with pytest.raises(NameUsedError) as duplicate:  # 403, yet not an authentication failure
        await client.create_group({"name": "dup"})
    assert str(duplicate.value) == "POST /groups -> 403: Name: Specified name is alread used."
    with pytest.raises(BadRequestError, match=r"GET /datapoints -> 400: .*limit"):
        await client.list_datapoints(limit=MAX_LIMIT + 1)


async def test_unknown_key_is_an_authentication_error(app: Starlette) -> None:
    async with ClickMeterClient("http://local", "not-a-key", transport=httpx.ASGITransport(app=app)) as stranger:
        with pytest.raises(AuthenticationError, match=r"GET /account -> 401: .*CLICKMETER_API_KEY"):
            await stranger.get_account()


async def test_calls_over_loopback_match_in_process(live_client: ClickMeterClient) -> None:
    created = await live_client.create_datapoint(link("over-http"))
    assert (await live_client.get_datapoint(created["id"]))["name"] == "over-http"
    assert live_client.calls == {"create_datapoint": 1, "get_datapoint": 1}


def test_the_shape_check_catches_what_the_service_would_not_take() -> None:
    assert request_problems("POST", "/groups", {"Name": "miscased"}) == [
        "[]: Additional properties are not allowed ('Name' was unexpected)"]
    assert request_problems("PUT", "/tags/{tagId}/datapoints/patch",
                            documented_case({"action": "add", "id": "7"})) == ["['Id']: '7' is not of type 'integer'"]
    assert request_problems("PUT", "/datapoints/batch", documented_case({"list": [{"typeTL": {"URL": "x"}}]})) == [
        "['List', 0, 'typeTL']: Additional properties are not allowed ('URL' was unexpected)"]
    assert request_problems("PUT", "/datapoints/{id}/favourite", {"x": 1}) == [
        "a body where the operation takes none"]
    assert request_problems("DELETE", "/datapoints/batch", documented_case({"entities": [{"id": 1}]})) == []
