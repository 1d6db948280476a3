"""Every writable datapoint property of openapi.json is a manifest key or is listed in the README
as deliberately not managed, with the reason (issue 12's "the whole link as code")."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from reconciler.apishapes import CONVERSION_ID_FIELDS, CONVERSION_NAME_FIELDS, DESTINATION_MODES
from reconciler.manifests.schema import manifest_schema
from reconciler.model import LINK_SETTINGS, PIXEL_SETTINGS

ROOT = Path(__file__).resolve().parents[2]
OPENAPI = ROOT / "tests" / "server" / "openapi.json"  # the copy of shared/clickmeter/openapi.json
SCHEMAS = {name: f"Api.Core.Dto.Datapoints.{name}"
           for name in ("Datapoint", "TrackingLinkSpecifics", "TrackingPixelSpecifics")}
CONTAINERS = {"typeTL", "typeTP"}  # their properties are the two other schemas'

DESTINATIONS = ("destinationMode", "randomDestinationItems", "weightedDestinationItems", "sequentialDestinationItems",
                "spilloverDestinationItems", "urlsByLanguage", "urlsByNation", "browserDestinationItem",
                "uniqueDestinationItem")
EXPIRY = ("expirationClicks", "expirationDate", "pauseAfterClicksExpiration", "pauseAfterDateExpiration",
          "urlAfterClicksExpiration", "urlAfterDateExpiration")
DECLARED_AS = {  # wire property -> the manifest key of a datapoint that declares it
    "name": "name", "type": "type", "title": "title", "notes": "notes", "status": "status", "tags": "tags",
    "groupId": "group", "groupName": "group", "preferred": "favourite", "id": "id",
    **dict.fromkeys((*CONVERSION_ID_FIELDS, *CONVERSION_NAME_FIELDS), "conversions"),
    "encodeIp": "anonymise_ip", "lightTracking": "light_tracking", "isPublic": "public",
    "redirectOnly": "redirect_only",
    "url": "url", "domainId": "domain", "redirectType": "redirect", "password": "password", "scripts": "retargeting",
    **dict.fromkeys(DESTINATIONS, "destinations"), **dict.fromkeys(EXPIRY, "expires"),
    "appendQuery": "forward_query", "encodeUrl": "encode_url", "hideUrl": "cloak", "hideUrlTitle": "cloak",
    "referrerClean": "referrer",
    "parameterNote": "parameter_note",
}


def wire_properties() -> set[str]:
    schemas = json.loads(OPENAPI.read_text())["components"]["schemas"]
    return {name for schema in SCHEMAS.values() for name in schemas[schema]["properties"]} - CONTAINERS


def not_managed() -> list[str]:
    """The names each bullet of the README's "Not managed, and why" lists before its colon."""
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Not managed, and why\n", 1)[1].split("\n## ", 1)[0]
    bullets = re.findall(r"^- (.*?)(?=^- |\Z)", section, re.S | re.M)
    return [name for bullet in bullets for name in re.findall(r"`([^`]+)`", bullet.split(": ", 1)[0])]


def test_every_writable_property_is_declarable_or_listed_as_not_managed() -> None:
    listed = set(not_managed())
    assert sorted(wire_properties() - DECLARED_AS.keys() - listed) == []
    assert sorted(listed & DECLARED_AS.keys()) == []


def test_the_declaring_keys_are_manifest_keys_and_the_listed_names_are_real() -> None:
    datapoint = manifest_schema()["$defs"]["datapoint"]["properties"]
    assert sorted(set(DECLARED_AS.values()) - set(datapoint)) == []
    assert sorted(set(DECLARED_AS) - wire_properties()) == []
    listed = not_managed()
    assert {"isABTest", "DynamicUrl", "goDomainId", "trackingCode", "writePermited"} <= set(listed)
    assert sorted(set(listed) - wire_properties() - set(DESTINATION_MODES)) == []


def test_every_settings_key_has_a_description_and_an_example() -> None:
    """The keys of issue 12 and the keys inside them, as an editor shows them on hover."""
    defs = manifest_schema()["$defs"]

    def resolved(definition: dict[str, Any]) -> dict[str, Any]:
        return {**defs[definition["$ref"].rsplit("/", 1)[1]], **definition} if "$ref" in definition else definition

    keys = set(LINK_SETTINGS + PIXEL_SETTINGS) - {"cloak_title"}  # cloak: {title: ...}
    top = {key: resolved(defs["datapoint"]["properties"][key]) for key in keys}
    inner = {f"expires.{key}": resolved(value) for key, value in defs["expiry"]["properties"].items()}
    inner |= {f"destinations.{key}": resolved(value) for key, value in defs["destinations"]["properties"].items()}
    inner["weight"] = defs["destinationEntry"]["anyOf"][1]["properties"]["weight"]
    inner["cloak.title"] = resolved(defs["cloak"]["anyOf"][1]["properties"]["title"])
    missing = [key for key, definition in {**top, **inner}.items()
               if not (definition.get("description") and definition.get("examples"))]
    assert missing == []
