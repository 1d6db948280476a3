"""Datapoint CRUD against the real app: create, read, update, delete, favourite, notes, lenient input."""

from __future__ import annotations

import httpx
import pytest

from reconciler.server.variant import ServiceVariant
from tests.server.helpers import created_id, datapoint, link_body, listed_ids, pixel_body
from tests.server.openapi_check import checked, failing_properties, failures_of

pytestmark = pytest.mark.anyio


async def test_link_create_answers_every_given_field(asgi_client: httpx.AsyncClient) -> None:
    group_id = await created_id(asgi_client, "/groups", {"name": "spring"})
    conversion_id = await created_id(asgi_client, "/conversions", {"name": "signup", "value": 12.5})
    script_id = await created_id(asgi_client, "/retargeting", {"name": "site-pixel", "script": "<s/>"})
    body = link_body("spring-sale", "https://shop.example.com/spring", title="Spring",
                     notes="April", preferred=True, status=1, groupId=group_id,
                     tags=[{"name": "newsletter"}], thirdConversionId=conversion_id,
                     typeTL={"redirectType": 301, "password": "s3cret",
                             "scripts": [{"id": script_id}]})
    datapoint_id = await created_id(asgi_client, "/datapoints", body)

    answer = await datapoint(asgi_client, datapoint_id)

    assert answer["name"] == "spring-sale" and "type" not in answer  # a link: the default, left out
    assert (answer["title"], answer["notes"], answer["preferred"], answer["status"]) == \
        ("Spring", "April", True, 1)
    assert (answer["groupId"], answer["groupName"]) == (group_id, "spring")
    assert [tag["name"] for tag in answer["tags"]] == ["newsletter"]
    assert (answer["thirdConversionId"], answer["thirdConversionName"]) == (conversion_id, "signup")
    assert "firstConversionId" not in answer
    assert answer["typeTL"] == {"url": "https://shop.example.com/spring", "firstUrl": "", "domainId": 1,
                                "redirectType": 301, "password": "s3cret",
                                "scripts": [{"id": script_id, "name": "site-pixel"}]}
    assert answer["trackingCode"] == "http://go.clickmeter.test/spring-sale"
    assert len(answer["creationDate"]) == 14 and answer["creationDate"].isdigit()


async def test_defaults_of_a_bare_link_and_pixel(asgi_client: httpx.AsyncClient) -> None:
    link = await datapoint(asgi_client, await created_id(asgi_client, "/datapoints", link_body("bare")))
    pixel = await datapoint(asgi_client, await created_id(asgi_client, "/datapoints", pixel_body("px")))

    assert set(link) == {"id", "name", "trackingCode", "tags", "creationDate", "typeTL"}
    assert link["tags"] == [] and link["typeTL"]["redirectType"] == 307
    assert set(link["typeTL"]) == {"url", "firstUrl", "redirectType", "domainId"}
    assert pixel["type"] == 1 and "typeTL" not in pixel and "typeTP" not in pixel


async def test_lenient_keys_enums_and_trailing_slash(asgi_client: httpx.AsyncClient) -> None:
    body = {"TYPE": 0, "Name": "php-client", "TypeTl": {"URL": "http://php.example.com",
                                                        "RedirectType": 307}, "Preferred": "true"}
    answer = checked(await asgi_client.post("/datapoints/", json=body), "POST", "/datapoints")
    pixel_id = await created_id(asgi_client, "/datapoints", {"type": "1", "name": "p"})

    stored = await datapoint(asgi_client, answer["id"])

    assert ("type" not in stored, stored["preferred"]) == (True, True)
    assert stored["typeTL"]["redirectType"] == 307
    assert (await datapoint(asgi_client, pixel_id))["type"] == 1
    redirect_301 = link_body("permanent", typeTL={"redirectType": 301})
    stored_301 = await datapoint(asgi_client, await created_id(asgi_client, "/datapoints", redirect_301))
    assert stored_301["typeTL"]["redirectType"] == 301


@pytest.mark.parametrize("service_variant", [ServiceVariant.parse("updates=merge")])
async def test_merging_update_writes_given_fields_and_keeps_the_rest(asgi_client: httpx.AsyncClient) -> None:
    conversion_id = await created_id(asgi_client, "/conversions", {"name": "buy"})
    script_id = await created_id(asgi_client, "/retargeting", {"name": "audience"})
    datapoint_id = await created_id(asgi_client, "/datapoints", link_body(
        "promo", title="Old", notes="keep me", tags=["kept"], firstConversionId=conversion_id))

    update = {"title": "New", "tags": [{"name": "ignored"}], "secondConversionId": conversion_id,
              "typeTL": {"url": "https://new.example.com/", "scripts": [{"name": "audience"}]}}
    answer = checked(await asgi_client.post(f"/datapoints/{datapoint_id}", json=update),
                     "POST", "/datapoints/{id}")

    stored = await datapoint(asgi_client, datapoint_id)
    assert answer == {"id": datapoint_id, "uri": f"/datapoints/{datapoint_id}"}
    assert (stored["title"], stored["notes"]) == ("New", "keep me")
    assert [tag["name"] for tag in stored["tags"]] == ["kept"]
    assert stored["firstConversionId"] == conversion_id and "secondConversionId" not in stored
    assert stored["typeTL"]["url"] == "https://new.example.com/"
    assert stored["typeTL"]["scripts"] == [{"id": script_id, "name": "audience"}]


async def test_replacing_update_resets_what_the_body_leaves_out(asgi_client: httpx.AsyncClient) -> None:
    conversion_id = await created_id(asgi_client, "/conversions", {"name": "buy"})
    group_id = await created_id(asgi_client, "/groups", {"name": "g"})
    datapoint_id = await created_id(asgi_client, "/datapoints", link_body(
        "promo", title="Old", notes="gone", preferred=True, status=1, groupId=group_id,
        tags=["kept"], firstConversionId=conversion_id,
        typeTL={"redirectType": 301, "password": "pw"}))

    checked(await asgi_client.post(f"/datapoints/{datapoint_id}", json={
        "type": 0, "name": "promo", "typeTL": {"url": "https://new.example.com/"}}),
        "POST", "/datapoints/{id}")

    stored = await datapoint(asgi_client, datapoint_id)
    assert set(stored) == {"id", "name", "trackingCode", "tags", "creationDate", "typeTL",
                           "firstConversionId", "firstConversionName"}
    assert [tag["name"] for tag in stored["tags"]] == ["kept"]
    assert stored["typeTL"] == {"url": "https://new.example.com/", "firstUrl": "",
                                "redirectType": 307, "domainId": 1}
    without_name = await asgi_client.post(f"/datapoints/{datapoint_id}", json={"title": "x"})
    assert failing_properties(without_name) == {"name", "typeTL.url"}


@pytest.mark.parametrize("service_variant", [ServiceVariant.parse("update-slots=honour"),
                                             ServiceVariant.parse("update-slots=honour,updates=merge")],
                         ids=ServiceVariant.describe)
async def test_update_honouring_slots_writes_them(asgi_client: httpx.AsyncClient,
                                                  service_variant: ServiceVariant) -> None:
    buy, lead, trial = [await created_id(asgi_client, "/conversions", {"name": name}) for name in ("buy", "lead", "t")]
    datapoint_id = await created_id(asgi_client, "/datapoints", link_body(
        "promo", firstConversionId=buy, secondConversionId=lead))

    checked(await asgi_client.post(f"/datapoints/{datapoint_id}", json=link_body(
        "promo", secondConversionId=None, thirdConversionId=trial)), "POST", "/datapoints/{id}")
    stored = await datapoint(asgi_client, datapoint_id)
    twice = await asgi_client.post(f"/datapoints/{datapoint_id}", json=link_body(
        "promo", firstConversionId=trial, thirdConversionId=trial))

    kept = {"firstConversionId": buy} if service_variant.updates == "merge" else {}
    assert {key: value for key, value in stored.items() if key.endswith("ConversionId")} == (
        kept | {"thirdConversionId": trial})
    assert failing_properties(twice) == {"thirdConversionId"}


@pytest.mark.parametrize("service_variant", [ServiceVariant.parse("updates=merge")])
async def test_update_can_clear_the_group_and_domain_and_rename(asgi_client: httpx.AsyncClient) -> None:
    group_id = await created_id(asgi_client, "/groups", {"name": "g"})
    datapoint_id = await created_id(asgi_client, "/datapoints", link_body("a", groupId=group_id))

    domain_id = await created_id(asgi_client, "/domains", {"name": "go.example.test"})
    await asgi_client.post(f"/datapoints/{datapoint_id}", json={"typeTL": {"domainId": domain_id}})
    await asgi_client.post(f"/datapoints/{datapoint_id}", json={"groupId": None, "name": "b"})
    moved = await datapoint(asgi_client, datapoint_id)
    await asgi_client.post(f"/datapoints/{datapoint_id}", json={"typeTL": {"domainId": None}})

    assert "groupId" not in moved and moved["name"] == "b"
    assert moved["typeTL"]["domainId"] == domain_id
    assert (await datapoint(asgi_client, datapoint_id))["typeTL"]["domainId"] == 1


async def test_type_cannot_change(asgi_client: httpx.AsyncClient) -> None:
    datapoint_id = await created_id(asgi_client, "/datapoints", link_body("fixed"))

    response = await asgi_client.post(f"/datapoints/{datapoint_id}", json={**link_body("fixed"), "type": 1})

    assert failing_properties(response) == {"type"}


NAME_USED = {"errors": [{"property": "Name", "errorMessage": "Specified name is alread used.",
                         "code": "0013"}]}


async def test_a_used_name_is_the_recorded_403_per_domain(asgi_client: httpx.AsyncClient) -> None:
    domain_id = await created_id(asgi_client, "/domains", {"name": "go.example.test"})
    await created_id(asgi_client, "/datapoints", link_body("same"))
    await created_id(asgi_client, "/datapoints", link_body("same", typeTL={"domainId": domain_id}))

    clash = await asgi_client.post("/datapoints", json=link_body("same"))
    other = await created_id(asgi_client, '/datapoints', link_body('other'))
    rename_clash = await asgi_client.post(f"/datapoints/{other}", json=link_body("same"))

    assert (clash.status_code, clash.json()) == (403, NAME_USED)
    assert (rename_clash.status_code, rename_clash.json()) == (403, NAME_USED)


async def test_a_deleted_links_name_can_never_be_used_again(asgi_client: httpx.AsyncClient) -> None:
    first = await created_id(asgi_client, "/datapoints", link_body("once"))
    other = await created_id(asgi_client, "/datapoints", link_body("other"))
    checked(await asgi_client.delete(f"/datapoints/{first}"), "DELETE", "/datapoints/{id}")

    recreate = await asgi_client.post("/datapoints", json=link_body("once"))
    rename = await asgi_client.post(f"/datapoints/{other}", json=link_body("once"))
    batch = (await asgi_client.put("/datapoints/batch", json={"List": [link_body("once")]})).json()

    assert (recreate.status_code, recreate.json()) == (403, NAME_USED)
    assert (rename.status_code, rename.json()) == (403, NAME_USED)
    assert batch["results"] == [{"status": "Error", "errors": NAME_USED["errors"]}]


async def test_a_pixel_may_share_a_links_name_but_not_another_pixels(
        asgi_client: httpx.AsyncClient) -> None:
    await created_id(asgi_client, "/datapoints", link_body("shared"))
    await created_id(asgi_client, "/datapoints", pixel_body("shared"))

    clash = await asgi_client.post("/datapoints", json=pixel_body("shared"))

    assert failing_properties(clash, 403) == {"Name"}


async def test_delete_keeps_it_listed_readable_and_unwritable(asgi_client: httpx.AsyncClient) -> None:
    datapoint_id = await created_id(asgi_client, "/datapoints", link_body("gone"))

    answer = checked(await asgi_client.delete(f"/datapoints/{datapoint_id}"), "DELETE",
                     "/datapoints/{id}")

    assert answer["id"] == datapoint_id
    assert (await datapoint(asgi_client, datapoint_id))["status"] == 3
    assert await listed_ids(asgi_client, "/datapoints") == [datapoint_id]
    assert await listed_ids(asgi_client, "/datapoints", status="deleted") == [datapoint_id]
    assert await listed_ids(asgi_client, "/datapoints", status="active") == []
    for response in (await asgi_client.post(f"/datapoints/{datapoint_id}", json={"title": "x"}),
                     await asgi_client.delete(f"/datapoints/{datapoint_id}"),
                     await asgi_client.put(f"/datapoints/{datapoint_id}/favourite"),
                     await asgi_client.put(f"/datapoints/{datapoint_id}/notes", json={"Text": "x"})):
        failures_of(response, 404)


async def test_favourite_toggles_and_notes_replace(asgi_client: httpx.AsyncClient) -> None:
    datapoint_id = await created_id(asgi_client, "/datapoints", link_body("fav"))
    path = f"/datapoints/{datapoint_id}"

    checked(await asgi_client.put(f"{path}/favourite"), "PUT", "/datapoints/{id}/favourite")
    assert (await datapoint(asgi_client, datapoint_id))["preferred"] is True
    checked(await asgi_client.put(f"{path}/favourite"), "PUT", "/datapoints/{id}/favourite")
    assert "preferred" not in await datapoint(asgi_client, datapoint_id)

    checked(await asgi_client.put(f"{path}/notes", json={"Text": "from the notes call"}),
            "PUT", "/datapoints/{id}/notes")
    assert (await datapoint(asgi_client, datapoint_id))["notes"] == "from the notes call"
    assert failing_properties(await asgi_client.put(f"{path}/notes", json={"Note": "x"})) == {"Text"}


async def test_unknown_ids_are_404(asgi_client: httpx.AsyncClient) -> None:
    for response in (await asgi_client.get("/datapoints/999"),
                     await asgi_client.post("/datapoints/999", json={"title": "x"}),
                     await asgi_client.delete("/datapoints/999"),
                     await asgi_client.put("/datapoints/999/favourite")):
        assert failing_properties(response, 404) == {"id"}


async def test_references_must_exist(asgi_client: httpx.AsyncClient) -> None:
    body = link_body("refs", groupId=77, tags=[{"id": 88}], firstConversionId=99,
                     typeTL={"domainId": 66, "scripts": [{"id": 55}]})

    response = await asgi_client.post("/datapoints", json=body)

    assert failing_properties(response) == {"groupId", "typeTL.domainId", "firstConversionId",
                                            "tags[0].id", "typeTL.scripts[0]"}
    assert await listed_ids(asgi_client, "/datapoints") == []


async def test_a_conversion_fills_one_slot_only(asgi_client: httpx.AsyncClient) -> None:
    conversion_id = await created_id(asgi_client, "/conversions", {"name": "c"})

    response = await asgi_client.post("/datapoints", json=link_body(
        "twice", firstConversionId=conversion_id, secondConversionId=conversion_id))

    assert failing_properties(response) == {"secondConversionId"}
