"""The recorded answers that every variant shares, and each switch for what the recordings leave open.

`_expand=true` on every list, deleted entities listed by default, counts with
and without deleted entities, text enums accepted or refused, `_expand`
ignored, and the `ServiceVariant` one-token spelling that fixtures and `serve` use.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from reconciler.server.variant import ServiceVariant, VariantError
from tests.server.helpers import counted, created_id, link_body, pixel_body
from tests.server.openapi_check import assert_valid, failing_properties

pytestmark = pytest.mark.anyio
NO_EXPAND = ServiceVariant.parse("no-expand")
TEXT_ENUMS = ServiceVariant.parse("text-enums=accept")
WITHOUT_DELETED = ServiceVariant.parse("counts=without-deleted")


async def seeded(client: httpx.AsyncClient) -> dict[str, int]:
    """One of everything, each list holding a deleted entity where the kind can be deleted."""
    ids = {"group": await created_id(client, "/groups", {"name": "g"}),
           "conversion": await created_id(client, "/conversions", {"name": "c"}),
           "script": await created_id(client, "/retargeting", {"name": "s"})}
    ids["tag"] = await created_id(client, "/tags", {"name": "t"})
    await client.put(f"/tags/{ids['tag']}/groups/patch", json={"action": "add", "id": ids["group"]})
    ids["link"] = await created_id(client, "/datapoints", link_body(
        "l", groupId=ids["group"], tags=[{"id": ids["tag"]}], firstConversionId=ids["conversion"],
        typeTL={"scripts": [{"id": ids["script"]}]}))
    ids["gone"] = await created_id(client, "/datapoints", link_body(
        "gone", groupId=ids["group"], tags=[{"id": ids["tag"]}], firstConversionId=ids["conversion"],
        typeTL={"scripts": [{"id": ids["script"]}]}))
    await client.delete(f"/datapoints/{ids['gone']}")
    ids["old_group"] = await created_id(client, "/groups", {"name": "old"})
    await client.delete(f"/groups/{ids['old_group']}")
    ids["old_conversion"] = await created_id(client, "/conversions", {"name": "old"})
    await client.delete(f"/conversions/{ids['old_conversion']}")
    return ids


def lists(ids: dict[str, int]) -> dict[str, str]:
    """Every list path -> the GET path its entities answer at."""
    return {
        "/datapoints": "/datapoints/{}", f"/groups/{ids['group']}/datapoints": "/datapoints/{}",
        f"/conversions/{ids['conversion']}/datapoints": "/datapoints/{}",
        f"/tags/{ids['tag']}/datapoints": "/datapoints/{}",
        f"/retargeting/{ids['script']}/datapoints": "/datapoints/{}",
        "/groups": "/groups/{}", f"/tags/{ids['tag']}/groups": "/groups/{}",
        "/conversions": "/conversions/{}", "/tags": "/tags/{}",
        "/retargeting": "/retargeting/{}", "/domains": "/domains/{}",
    }


async def test_expand_answers_whole_entities_on_every_list(asgi_client: httpx.AsyncClient) -> None:
    ids = await seeded(asgi_client)

    for path, item_path in lists(ids).items():
        plain = (await asgi_client.get(path)).json()["entities"]
        expanded = (await asgi_client.get(path, params={"_expand": "true"})).json()["entities"]
        assert plain and all(set(entity) == {"id", "uri"} for entity in plain), path
        whole = [(await asgi_client.get(item_path.format(entity["id"]))).json() for entity in plain]
        assert expanded == whole, path


async def test_lists_include_deleted_entities_marked_as_recorded(asgi_client: httpx.AsyncClient) -> None:
    ids = await seeded(asgi_client)

    datapoints = (await asgi_client.get("/datapoints", params={"_expand": "true"})).json()["entities"]
    groups = (await asgi_client.get("/groups", params={"_expand": "true"})).json()["entities"]
    conversions = (await asgi_client.get("/conversions", params={"_expand": "true"})).json()["entities"]

    assert [(d["id"], d.get("status")) for d in datapoints] == [(ids["link"], None), (ids["gone"], 3)]
    assert [(g["id"], g.get("deleted")) for g in groups] == [(ids["group"], None), (ids["old_group"], True)]
    assert [(c["id"], c.get("deleted")) for c in conversions] == [
        (ids["conversion"], None), (ids["old_conversion"], True)]
    active = await asgi_client.get("/datapoints", params={"status": "active"})
    assert [d["id"] for d in active.json()["entities"]] == [ids["link"]]
    tag = (await asgi_client.get(f"/tags/{ids['tag']}")).json()
    assert tag == {"id": ids["tag"], "name": "t", "datapoints": [ids["link"], ids["gone"]],
                   "groups": [ids["group"]]}


async def test_a_pages_entities_each_have_their_own_associations(asgi_client: httpx.AsyncClient) -> None:
    """Expanded pages read associations for many datapoints at once: none may leak to another."""
    goals = [await created_id(asgi_client, "/conversions", {"name": f"goal-{n}"}) for n in range(3)]
    scripts = [await created_id(asgi_client, "/retargeting", {"name": f"pixel-{n}"}) for n in range(2)]
    await created_id(asgi_client, "/datapoints", link_body(
        "both", tags=[{"name": "b"}, {"name": "a"}], firstConversionId=goals[2], thirdConversionId=goals[0],
        typeTL={"scripts": [{"id": scripts[1]}, {"id": scripts[0]}]}))
    await created_id(asgi_client, "/datapoints", link_body("bare"))
    await created_id(asgi_client, "/datapoints", pixel_body("opens", tags=[{"name": "a"}],
                                                            secondConversionId=goals[1]))

    page = (await asgi_client.get("/datapoints", params={"_expand": "true"})).json()["entities"]
    bodies = {entity["name"]: entity for entity in page}

    for entity in page:
        assert_valid(entity, "Api.Core.Dto.Datapoints.Datapoint")
    assert [tag["name"] for tag in bodies["both"]["tags"]] == ["b", "a"]  # tag ids in creation order
    assert (bodies["both"]["firstConversionName"], bodies["both"]["thirdConversionName"]) == ("goal-2", "goal-0")
    assert [s["name"] for s in bodies["both"]["typeTL"]["scripts"]] == ["pixel-1", "pixel-0"]
    assert bodies["bare"]["tags"] == [] and "scripts" not in bodies["bare"]["typeTL"]
    assert not any(key.endswith("ConversionId") for key in bodies["bare"])
    assert [tag["name"] for tag in bodies["opens"]["tags"]] == ["a"]
    assert bodies["opens"]["secondConversionId"] == goals[1] and "typeTL" not in bodies["opens"]


@pytest.mark.parametrize("service_variant", [NO_EXPAND])
async def test_no_expand_ignores_expand(asgi_client: httpx.AsyncClient) -> None:
    ids = await seeded(asgi_client)

    for path in lists(ids):
        expanded = (await asgi_client.get(path, params={"_expand": "true"})).json()["entities"]
        assert expanded and all(set(entity) == {"id", "uri"} for entity in expanded), path


COUNTED = {"/datapoints/count": (1, 2), "/groups/count": (1, 2), "/conversions/count": (1, 2)}


async def test_counts_include_deleted_entities_by_default(asgi_client: httpx.AsyncClient) -> None:
    ids = await seeded(asgi_client)

    for path, (live, every) in COUNTED.items():
        assert await counted(asgi_client, path) == every, path
        assert await counted(asgi_client, path, status="active") == live, path
    assert await counted(asgi_client, f"/groups/{ids['group']}/datapoints/count",
                         "/groups/{id}/datapoints/count") == 2


@pytest.mark.parametrize("service_variant", [WITHOUT_DELETED])
async def test_counts_without_deleted_entities(asgi_client: httpx.AsyncClient) -> None:
    ids = await seeded(asgi_client)

    for path, (live, _) in COUNTED.items():
        assert await counted(asgi_client, path) == live, path
        assert await counted(asgi_client, path, status="deleted") == 1, path
    assert await counted(asgi_client, f"/groups/{ids['group']}/datapoints/count",
                         "/groups/{id}/datapoints/count") == 1
    assert len((await asgi_client.get("/datapoints")).json()["entities"]) == 2  # lists still list them


TEXT_BODIES = [
    ("/datapoints", {**link_body("a"), "type": "TrackingLink"}, "type"),
    ("/datapoints", link_body("b", status="Active"), "status"),
    ("/datapoints", link_body("c", typeTL={"redirectType": "PermanentRedirect"}), "typeTL.redirectType"),
    ("/conversions", {"name": "d", "protocol": "Https"}, "protocol"),
]


@pytest.mark.parametrize("path, body, prop", TEXT_BODIES)
async def test_text_enums_are_refused_by_default(asgi_client: httpx.AsyncClient, path: str,
                                                 body: dict[str, Any], prop: str) -> None:
    assert failing_properties(await asgi_client.post(path, json=body)) == {prop}


async def test_text_enums_are_refused_inside_batches(asgi_client: httpx.AsyncClient) -> None:
    response = await asgi_client.put("/datapoints/batch", json={"List": [link_body("x", status="paused")]})

    assert failing_properties(response) == {"List[0].status"}


@pytest.mark.parametrize("service_variant", [TEXT_ENUMS])
@pytest.mark.parametrize("path, body, prop", TEXT_BODIES)
async def test_text_enums_accepted_beside_numbers(asgi_client: httpx.AsyncClient, path: str,
                                                  body: dict[str, Any], prop: str) -> None:
    created = await created_id(asgi_client, path, body)

    answer = (await asgi_client.get(f"{path}/{created}")).json()

    assert answer.get("typeTL", {}).get("redirectType", 301) in (301, 307)
    assert answer.get("protocol", 1) == 1 and "status" not in answer and "type" not in answer


def test_variant_parses_from_one_token() -> None:
    every = ServiceVariant.parse("no-expand,updates=merge,text-enums=accept,counts=without-deleted,update-slots=honour")

    assert every == ServiceVariant(expand=False, updates="merge", text_enums=True, counts_deleted=False,
                                   update_slots=True)
    assert ServiceVariant.parse("") == ServiceVariant.parse("default") == ServiceVariant()
    assert ServiceVariant.parse(every.describe()) == every
    assert ServiceVariant().describe() == "default"
    for bad in ("expand=no", "updates=patch", "colour=red"):
        with pytest.raises(VariantError, match="unknown service variant switch"):
            ServiceVariant.parse(bad)
