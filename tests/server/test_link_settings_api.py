"""The datapoint settings of issue 12 over the API: stored, answered as the live service would
(numbers, defaults left out), in any key case, per service variant, in batches; bad ones refused
with a 400 naming the property; older database files gain the columns."""

from __future__ import annotations

import itertools
import sqlite3
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciler.server.db import SETTING_COLUMNS, connect
from reconciler.server.link_settings import SETTINGS
from reconciler.server.variant import ServiceVariant
from tests.server.helpers import SettableClock, clocked_client, created_id, datapoint, link_body, pixel_body
from tests.server.openapi_check import checked_batch, failing_properties

pytestmark = pytest.mark.anyio
NOW = "20260315120000"
WEIGHTED = {"destinationMode": 9, "weightedDestinationItems": [
    {"url": "https://shop.example.com/a", "weight": 70}, {"url": "https://shop.example.com/b", "weight": 30}]}
EVERY_SETTING = {
    **WEIGHTED, "expirationClicks": 1000, "expirationDate": "20270630000000",
    "pauseAfterClicksExpiration": True, "urlAfterDateExpiration": "https://shop.example.com/over",
    "appendQuery": True, "encodeUrl": True, "hideUrl": True, "hideUrlTitle": "Spring sale",
    "referrerClean": 1,
}
TOP_FLAGS = {"encodeIp": True, "lightTracking": True, "isPublic": True, "redirectOnly": True}
LINK_KEYS = {"url", "firstUrl", "redirectType", "domainId"}
MERGE = ServiceVariant.parse("updates=merge")


def link_part(answer: dict[str, Any]) -> dict[str, Any]:
    """The issue-12 part of an answer's typeTL."""
    return {key: value for key, value in answer["typeTL"].items() if key not in LINK_KEYS}


async def test_every_setting_is_stored_and_answered_as_written(asgi_client: httpx.AsyncClient) -> None:
    link = await created_id(asgi_client, "/datapoints", link_body("spring", typeTL=EVERY_SETTING, **TOP_FLAGS))

    answer = await datapoint(asgi_client, link)

    assert link_part(answer) == EVERY_SETTING
    assert {key: answer[key] for key in TOP_FLAGS} == TOP_FLAGS


async def test_answers_leave_every_default_out(asgi_client: httpx.AsyncClient) -> None:
    defaults = {"destinationMode": 0, "expirationClicks": 0, "expirationDate": "", "appendQuery": False,
                "encodeUrl": False, "hideUrl": False, "hideUrlTitle": "", "referrerClean": 0,
                "pauseAfterClicksExpiration": False, "urlAfterClicksExpiration": None}
    link = await created_id(asgi_client, "/datapoints", link_body(
        "plain", typeTL=defaults, encodeIp=False, lightTracking=False, isPublic=False, redirectOnly=False))
    pixel = await created_id(asgi_client, "/datapoints", pixel_body("seen", typeTP={"parameterNote": None}))

    link_answer, pixel_answer = await datapoint(asgi_client, link), await datapoint(asgi_client, pixel)

    assert set(link_answer["typeTL"]) == LINK_KEYS
    assert not set(TOP_FLAGS) & (set(link_answer) | set(pixel_answer))
    assert "typeTP" not in pixel_answer


async def test_each_keyed_mode_is_answered_normalised_under_its_own_key(asgi_client: httpx.AsyncClient) -> None:
    bodies = {
        "lang": ({"destinationMode": 2, "urlsByLanguage": [{"languageCode": "DE", "url": "https://de.example/"}]},
                 {"destinationMode": 2, "urlsByLanguage": [{"languageCode": "de", "url": "https://de.example/"}]}),
        "nation": ({"destinationMode": 6, "urlsByNation": [{"nation": "it", "url": "https://it.example/"}]},
                   {"destinationMode": 6, "urlsByNation": [{"nation": "IT", "url": "https://it.example/"}]}),
        "device": ({"destinationMode": 5, "browserDestinationItem": {
                        "mobileDestinationUrl": "https://m.example/", "emailDestinationUrl": None}},
                   {"destinationMode": 5, "browserDestinationItem": {"mobileDestinationUrl": "https://m.example/"}}),
        "first": ({"destinationMode": 7, "uniqueDestinationItem": {"firstDestinationUrl": "https://w.example/"},
                   "urlsByNation": [{"nation": "FR", "url": "https://fr.example/"}]},
                  {"destinationMode": 7, "uniqueDestinationItem": {"firstDestinationUrl": "https://w.example/"}}),
        "dynamic": ({"destinationMode": 4}, {"destinationMode": 4}),
    }
    for name, (sent, answered) in bodies.items():
        link = await created_id(asgi_client, "/datapoints", link_body(name, typeTL=sent))
        assert link_part(await datapoint(asgi_client, link)) == answered, name


async def test_keys_in_any_case_and_numbers_as_text_are_read(asgi_client: httpx.AsyncClient) -> None:
    body = {"Type": 0, "NAME": "loud", "EncodeIP": "true", "TYPETL": {
        "URL": "https://shop.example.com/", "DESTINATIONMODE": "8",
        "SequentialDestinationITEMS": [{"URL": "https://shop.example.com/1"}, {"Url": "https://shop.example.com/2"}],
        "ExpirationClicks": "5", "ExpirationDate": "20270630", "REFERRERCLEAN": 2}}

    answer = await datapoint(asgi_client, await created_id(asgi_client, "/datapoints", body))

    assert answer["encodeIp"] is True
    assert link_part(answer) == {"destinationMode": 8, "sequentialDestinationItems": [
        {"url": "https://shop.example.com/1"}, {"url": "https://shop.example.com/2"}],
        "expirationClicks": 5, "expirationDate": "20270630000000", "referrerClean": 2}


async def test_text_enums_are_refused_or_read_as_the_variant_says(db_path: Path, api_key: str) -> None:
    body = link_body("texty", typeTL={"destinationMode": "RandomDestination", "referrerClean": "Myself",
                                      "randomDestinationItems": [{"url": "https://a.example/"}]})
    async with clocked_client(db_path, api_key, SettableClock(NOW)) as client:
        assert failing_properties(await client.post("/datapoints", json=body)) == {"typeTL.destinationMode"}
        body["typeTL"]["destinationMode"] = 1
        assert failing_properties(await client.post("/datapoints", json=body)) == {"typeTL.referrerClean"}
    async with clocked_client(db_path, api_key, SettableClock(NOW),
                              variant=ServiceVariant.parse("text-enums=accept")) as client:
        body["typeTL"]["destinationMode"] = "randomdestination"
        answer = await datapoint(client, await created_id(client, "/datapoints", body))
    assert (answer["typeTL"]["destinationMode"], answer["typeTL"]["referrerClean"]) == (1, 2)


@pytest.mark.parametrize(("sent", "prop"), [
    ({"destinationMode": 10}, "typeTL.destinationMode"),
    ({"destinationMode": 1}, "typeTL.randomDestinationItems"),
    ({"destinationMode": 1, "randomDestinationItems": []}, "typeTL.randomDestinationItems"),
    ({"destinationMode": 9, "weightedDestinationItems": [{"url": "https://a.example/", "weight": 0}]},
     "typeTL.weightedDestinationItems[0].weight"),
    ({"destinationMode": 3, "spilloverDestinationItems": [{"url": "https://a.example/"}, {"url": "ftp://b"}]},
     "typeTL.spilloverDestinationItems[1].url"),
    ({"destinationMode": 2, "urlsByLanguage": [{"languageCode": "deu", "url": "https://a.example/"}]},
     "typeTL.urlsByLanguage[0].languageCode"),
    ({"destinationMode": 6, "urlsByNation": [{"nation": "IT", "url": "https://a.example/"},
                                             {"nation": "it", "url": "https://b.example/"}]},
     "typeTL.urlsByNation[1].nation"),
    ({"destinationMode": 5, "browserDestinationItem": {}}, "typeTL.browserDestinationItem"),
    ({"destinationMode": 5, "browserDestinationItem": {"spidersDestinationUrl": "javascript:x"}},
     "typeTL.browserDestinationItem.spidersDestinationUrl"),
    ({"destinationMode": 7, "uniqueDestinationItem": []}, "typeTL.uniqueDestinationItem"),
    ({"expirationClicks": -1}, "typeTL.expirationClicks"),
    ({"expirationDate": "2027-06-30"}, "typeTL.expirationDate"),
    ({"urlAfterClicksExpiration": "not a url"}, "typeTL.urlAfterClicksExpiration"),
    ({"appendQuery": "yes"}, "typeTL.appendQuery"),
    ({"hideUrlTitle": "bad\x1btitle"}, "typeTL.hideUrlTitle"),
    ({"referrerClean": 3}, "typeTL.referrerClean"),
])
async def test_a_bad_setting_is_a_400_naming_it(asgi_client: httpx.AsyncClient, sent: dict[str, Any],
                                                prop: str) -> None:
    response = await asgi_client.post("/datapoints", json=link_body("bad", typeTL=sent))

    assert failing_properties(response) == {prop}


async def test_a_bad_top_level_flag_is_a_400_naming_it(asgi_client: httpx.AsyncClient) -> None:
    response = await asgi_client.post("/datapoints", json=link_body("bad", isPublic=2, redirectOnly="no"))

    assert failing_properties(response) == {"isPublic", "redirectOnly"}


async def test_a_pixel_keeps_its_flags_and_note_but_no_link_settings(asgi_client: httpx.AsyncClient) -> None:
    pixel = await created_id(asgi_client, "/datapoints", pixel_body(
        "open", typeTP={"parameterNote": "campaign id in ?c="}, typeTL=EVERY_SETTING, lightTracking=True))

    answer = await datapoint(asgi_client, pixel)

    assert (answer["typeTP"], answer["lightTracking"]) == ({"parameterNote": "campaign id in ?c="}, True)
    assert "typeTL" not in answer


async def test_a_replacing_update_resets_the_settings_it_leaves_out(asgi_client: httpx.AsyncClient) -> None:
    link = await created_id(asgi_client, "/datapoints", link_body("spring", typeTL=EVERY_SETTING, **TOP_FLAGS))

    await asgi_client.post(f"/datapoints/{link}", json=link_body("spring", typeTL={"appendQuery": True}))

    answer = await datapoint(asgi_client, link)
    assert link_part(answer) == {"appendQuery": True}
    assert not set(TOP_FLAGS) & set(answer)


async def test_a_merging_update_keeps_what_it_leaves_out(db_path: Path, api_key: str) -> None:
    async with clocked_client(db_path, api_key, SettableClock(NOW), variant=MERGE) as client:
        link = await created_id(client, "/datapoints", link_body("spring", typeTL=EVERY_SETTING, **TOP_FLAGS))
        await client.post(f"/datapoints/{link}", json={"typeTL": {"encodeUrl": False}, "isPublic": False})
        kept = await datapoint(client, link)
        await client.post(f"/datapoints/{link}", json={"typeTL": {"weightedDestinationItems": [
            {"url": "https://shop.example.com/c", "weight": 1}]}})
        new_items = await datapoint(client, link)
        await client.post(f"/datapoints/{link}", json={"typeTL": {"destinationMode": 0}})
        simple = await datapoint(client, link)
        refused = await client.post(f"/datapoints/{link}", json={"typeTL": {"destinationMode": 8}})

    assert link_part(kept) == {key: value for key, value in EVERY_SETTING.items() if key != "encodeUrl"}
    assert set(TOP_FLAGS) & set(kept) == {"encodeIp", "lightTracking", "redirectOnly"}
    assert new_items["typeTL"]["weightedDestinationItems"] == [{"url": "https://shop.example.com/c", "weight": 1}]
    assert "destinationMode" not in simple["typeTL"] and "weightedDestinationItems" not in simple["typeTL"]
    assert failing_properties(refused) == {"typeTL.sequentialDestinationItems"}


async def test_batches_create_and_update_settings_item_by_item(asgi_client: httpx.AsyncClient) -> None:
    created = checked_batch(await asgi_client.put("/datapoints/batch", json={"list": [
        link_body("one", typeTL=WEIGHTED), link_body("two", typeTL={"destinationMode": 1})]}))
    link = created[0]["result"]["id"]
    updated = checked_batch(await asgi_client.post("/datapoints/batch", json={"list": [
        {"id": link, **link_body("one", typeTL={"expirationClicks": 3}, encodeIp=True)}]}))

    assert link_part(created[0]["entityData"]) == WEIGHTED
    assert created[1]["errors"][0]["property"] == "typeTL.randomDestinationItems"
    assert link_part(updated[0]["entityData"]) == {"expirationClicks": 3}
    assert updated[0]["entityData"]["encodeIp"] is True


def test_an_older_database_file_gains_the_setting_columns(db_path: Path) -> None:
    connect(db_path).close()
    old = sqlite3.connect(db_path)
    for column in SETTING_COLUMNS:
        old.execute(f"ALTER TABLE datapoints DROP COLUMN {column}")
    old.close()

    reopened = connect(db_path)
    present = {row["name"] for row in reopened.execute("PRAGMA table_info(datapoints)")}
    reopened.close()

    assert set(SETTING_COLUMNS) <= present
    assert {setting.column for setting in SETTINGS} <= set(SETTING_COLUMNS)


URLS = st.sampled_from(["https://a.example/", "https://b.example/x?y=1", "http://c.example:8080/é"])
LIST_KEYS = {1: "randomDestinationItems", 3: "spilloverDestinationItems", 8: "sequentialDestinationItems"}
DESTINATIONS = st.one_of(
    st.builds(lambda mode, urls: {"destinationMode": mode, LIST_KEYS[mode]: [{"url": u} for u in urls]},
              st.sampled_from(sorted(LIST_KEYS)), st.lists(URLS, min_size=1, max_size=4)),
    st.builds(lambda items: {"destinationMode": 9, "weightedDestinationItems": items},
              st.lists(st.fixed_dictionaries({"url": URLS, "weight": st.integers(1, 2 ** 31 - 1)}), min_size=1)),
    st.builds(lambda codes: {"destinationMode": 2, "urlsByLanguage": [
        {"languageCode": code, "url": "https://l.example/"} for code in codes]},
        st.lists(st.sampled_from(["de", "fr", "it", "en"]), min_size=1, unique=True)),
    st.builds(lambda codes: {"destinationMode": 6, "urlsByNation": [
        {"nation": code, "url": "https://n.example/"} for code in codes]},
        st.lists(st.sampled_from(["IT", "FR", "DE", "US"]), min_size=1, unique=True)),
    st.builds(lambda urls: {"destinationMode": 5, "browserDestinationItem": urls},
              st.dictionaries(st.sampled_from(["mobileDestinationUrl", "emailDestinationUrl",
                                               "spidersDestinationUrl"]), URLS, min_size=1)),
    st.just({}),
)
OPTIONAL = st.fixed_dictionaries({}, optional={
    "expirationClicks": st.integers(1, 2 ** 40), "expirationDate": st.sampled_from(["20270630000000"]),
    "pauseAfterClicksExpiration": st.just(True), "urlAfterDateExpiration": URLS,
    "appendQuery": st.just(True), "encodeUrl": st.just(True), "hideUrl": st.just(True),
    "hideUrlTitle": st.text(st.characters(codec="utf-8", categories=["L", "N", "P", "Zs"]), min_size=1,
                            max_size=20),
    "referrerClean": st.sampled_from([1, 2])})
EXAMPLES = itertools.count()
FLAGS = st.fixed_dictionaries({}, optional={flag: st.just(True) for flag in TOP_FLAGS})


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(destinations=DESTINATIONS, optional=OPTIONAL, flags=FLAGS)
async def test_any_valid_settings_round_trip(asgi_client: httpx.AsyncClient, destinations: dict[str, Any],
                                             optional: dict[str, Any], flags: dict[str, Any]) -> None:
    name = f"rt{next(EXAMPLES)}"
    link = await created_id(asgi_client, "/datapoints", link_body(name))

    await asgi_client.post(f"/datapoints/{link}", json=link_body(name, typeTL={**destinations, **optional}, **flags))

    answer = await datapoint(asgi_client, link)
    assert link_part(answer) == {**destinations, **optional}
    assert {key: answer[key] for key in TOP_FLAGS if key in answer} == flags
