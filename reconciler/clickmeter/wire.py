"""The ClickMeter wire, both ways: model values <-> request bodies and answers.

Decoding follows the recorded live service (`REAL-API.md`), and forgives: enums
as numbers or text, keys in any case, a property left out means its default
(a datapoint GET without `type`/`status`/`preferred` is an active,
non-favourite link). Encoding sends what every published client sends:
numeric enums, lower-case wrappers (`{"list": [...]}`, `{"action", "id"}`),
`typeTL.domainId` on every link create, and whole entities on updates
(`whole_update`: the live entity as just read, managed fields changed).

Request bodies hold references as a live id or a `{"$ref": "kind:name"}`
placeholder and passwords as `{"$secret": ENV}`, so that no planned body ever
holds a secret; `executor.fill` puts the values in at send time.
"""

from __future__ import annotations

import dataclasses
import sys
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlsplit

from reconciler import apishapes as api
from reconciler.clickmeter import link_settings
from reconciler.clickmeter.decoding import WireError as WireError  # raised and caught as wire.WireError
from reconciler.clickmeter.decoding import enum_value
from reconciler.clickmeter.decoding import keyed as keyed  # the reader, apply and stats read with wire.keyed
from reconciler.errors import ReconcilerError
from reconciler.model import LINK, LINK_SETTINGS, PIXEL, Kind, LiveConversion, LiveGroup, LiveNamed, Secret

Ref = int | dict[str, str]

# model value -> the number sent
TYPE_CODES = {LINK: api.TYPE_CODES[api.TRACKING_LINK], PIXEL: api.TYPE_CODES[api.TRACKING_PIXEL]}
STATUS_CODES = {"active": api.STATUS_CODES[api.STATUS_ACTIVE], "paused": api.STATUS_CODES[api.STATUS_PAUSED]}
REDIRECT_CODES = {"permanent": api.REDIRECT_CODES[api.PERMANENT_REDIRECT],
                  "temporary": api.REDIRECT_CODES[api.TEMPORARY_REDIRECT]}
PROTOCOL_CODES = {protocol.lower(): code for protocol, code in api.PROTOCOL_CODES.items()}

# any spelling received (number, enum name, filter name; lower-cased text) -> model value
TYPES = {0: LINK, 1: PIXEL, "trackinglink": LINK, "trackingpixel": PIXEL, "tl": LINK, "tp": PIXEL,
         LINK: LINK, PIXEL: PIXEL}
STATUSES = {code: name.lower() for name, code in api.STATUS_CODES.items()} | {
    name.lower(): name.lower() for name in api.DATAPOINT_STATUSES}
REDIRECTS = {301: "permanent", 307: "temporary", "permanentredirect": "permanent",
             "temporaryredirect": "temporary", "permanent": "permanent", "temporary": "temporary",
             "301": "permanent", "307": "temporary"}
PROTOCOLS = {code: name.lower() for name, code in api.PROTOCOL_CODES.items()} | {
    name.lower(): name.lower() for name in api.PROTOCOLS}
DOMAIN_KINDS = {code: name.lower() for name, code in api.DOMAIN_TYPE_CODES.items()} | {
    name.lower(): name.lower() for name in api.DOMAIN_TYPES}
DELETED = "deleted"

# keys an answer carries that a write must not send back (derived or server-owned)
READ_ONLY_KEYS = frozenset({"trackingcode", "groupname", "creationdate", "uri", "deleted",
                            "linkscount", "isprivateshared", "firsturl", "issecured", "writepermited"}
                           | {name.lower() for name in api.CONVERSION_NAME_FIELDS})
SLOT_KEYS = tuple(name.lower() for name in api.CONVERSION_ID_FIELDS)  # a datapoint's conversion slots, in order
SLOT_NAME_KEYS = tuple(zip(SLOT_KEYS, (name.lower() for name in api.CONVERSION_NAME_FIELDS), strict=True))

# model field -> key at a datapoint's top level, and inside `typeTL`
TOP_LEVEL_KEYS = {"name": "name", "title": "title", "notes": "notes", "favourite": "preferred",
                  "status": "status", "group": "groupId"}
LINK_KEYS = {"url": "url", "domain": "domainId", "redirect": "redirectType",
             "password": "password", "retargeting": "scripts"}
BATCH_KEYS = ("list", "entities", "patchrequests")


# ------------------------------------------------------------------ reading helpers


def datapoint_type(value: Any) -> str:
    """`link` or `pixel`, from 0/1, TrackingLink/TrackingPixel or tl/tp; absent is a link."""
    return LINK if value is None else enum_value(TYPES, value, "datapoint type")


def datapoint_status(value: Any) -> str:
    """`active`, `paused`, `abuse` or `deleted`, from 0..3 or the names; absent is active."""
    return "active" if value is None else sys.intern(enum_value(STATUSES, value, "datapoint status"))


def conversion_protocol(value: Any) -> str | None:
    """`http` or `https`, from 0/1 or the names; absent is none."""
    return None if value is None else enum_value(PROTOCOLS, value, "protocol")


def is_deleted(data: Any) -> bool:
    """A datapoint with status 3, or a group/conversion/tag with `deleted: true`."""
    entity = keyed(data)
    if entity.get("deleted") in (True, "true", "True", 1):
        return True
    status = entity.get("status")
    return status is not None and STATUSES.get(status.lower() if isinstance(status, str) else status) == DELETED


def entity_id(data: Any) -> int:
    entity = keyed(data)
    if entity.get("id") is None:
        raise WireError(f"the API answered an entity without an id: {sorted(entity)}")
    return int(entity["id"])


def is_whole(entity: Any) -> bool:
    """Whether a list entry is the entity itself (`_expand` honoured), not just `{id, uri}`."""
    return isinstance(entity, dict) and bool(set(keyed(entity)) - {"id", "uri"})


def domain_of_tracking_code(code: Any) -> str | None:
    """`http://s87.eu/name` -> `s87.eu`: a link's tracking code is its domain and its name."""
    return urlsplit(code).hostname if isinstance(code, str) and "//" in code else None


# ------------------------------------------------------------------ datapoints


class ReferenceNames(Protocol):
    """Names for the references a wire datapoint holds: the reader's learn them from answers,
    apply's (`expectations.Names`) resolve a request body's `$ref`/`$secret` placeholders."""

    def name_of(self, kind: str, reference: Any, wire_name: str | None = None) -> str | None: ...

    def names_of(self, kind: str, references: list[Any] | None) -> frozenset[str]: ...

    def secret(self, value: Any) -> Secret | None: ...


def datapoint_fields(data: dict[str, Any], names: ReferenceNames, answer: bool = True) -> dict[str, Any]:
    """The `LiveDatapoint` fields a wire datapoint holds, any key case.

    An `answer` is a whole entity: a missing `type` is a link (the other
    defaults are `LiveDatapoint`'s own). A request body (`answer=False`) gives
    only the keys present, so that an update gives just what it changes.
    """
    entity = keyed(data)
    fields: dict[str, Any] = {key: entity[key] for key in ("name", "title", "notes") if key in entity}
    if "type" in entity or answer:
        fields["type"] = datapoint_type(entity.get("type"))
    if "preferred" in entity:
        fields["favourite"] = bool(entity["preferred"])
    if "status" in entity:
        fields["status"] = datapoint_status(entity["status"])
    if "groupid" in entity:
        group_id = entity["groupid"]
        fields["group"] = None if group_id is None else names.name_of(Kind.GROUP, group_id, entity.get("groupname"))
    if "tags" in entity:
        fields["tags"] = names.names_of(Kind.TAG, entity["tags"])
    slots = [(entity[id_key], entity.get(name_key)) for id_key, name_key in SLOT_NAME_KEYS if entity.get(id_key)]
    if slots or any(key in entity for key in SLOT_KEYS):  # a body's empty slots set none
        fields["conversions"] = frozenset(names.name_of(Kind.CONVERSION, conversion_id, wire_name) or str(conversion_id)
                                          for conversion_id, wire_name in slots)
    fields |= link_settings.top_level_settings(entity)
    fields |= _link_fields(keyed(entity.get("typetl")), names)
    if "domain" not in fields and answer and domain_of_tracking_code(entity.get("trackingcode")):
        fields["domain"] = domain_of_tracking_code(entity["trackingcode"])
    return fields


def _link_fields(link: dict[str, Any], names: ReferenceNames) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    if "url" in link:
        fields["url"] = link["url"]
    if "domainid" in link:
        fields["domain"] = None if link["domainid"] is None else names.name_of(Kind.DOMAIN, link["domainid"])
    if link.get("redirecttype") is not None:
        fields["redirect"] = enum_value(REDIRECTS, link["redirecttype"], "redirect type")
    if "password" in link:
        fields["password"] = names.secret(link["password"])
    if "scripts" in link:
        fields["retargeting"] = names.names_of(Kind.RETARGETING, link["scripts"])
    return fields | link_settings.link_settings(link)


SUMMARY_KEYS = {"datapointid": "id", "datapointname": "name", "datapointtitle": "title",
                "datapointtype": "type", "groupid": "groupId", "groupname": "groupName", "tags": "tags",
                "notes": "notes", "status": "status", "creationdate": "creationDate",
                "trackingcode": "trackingCode", "deleted": "deleted"}


def summary_datapoint(result: Any) -> dict[str, Any]:
    """A statistics row's `entityData` as a wire datapoint.

    Live rows name things `datapointId`, `datapointName`, ..., `destinationUrl`
    and carry no redirect, domain id, conversions, scripts or favourite flag; a
    row already shaped as a datapoint is taken as it is.
    """
    row = keyed(result)
    data = keyed(row.get("entitydata"))
    if "datapointid" not in data and "datapointname" not in data:
        found = dict(row.get("entitydata") or {})
    else:
        found = {SUMMARY_KEYS[key]: value for key, value in data.items() if key in SUMMARY_KEYS}
        if "destinationurl" in data:
            found["typeTL"] = {"url": data["destinationurl"]}
    if found.get("id") is None and row.get("entityid") is not None:
        found["id"] = int(row["entityid"])
    if found.get("id") is None or not found.get("name"):
        raise WireError(f"statistics row {row.get('entityid')!r} carries no datapoint id and name")
    return found


# ------------------------------------------------------------------ other entities


def live_group(data: Any) -> LiveGroup:
    group = keyed(data)
    return LiveGroup(id=entity_id(group), name=group["name"], notes=group.get("notes") or None,
                     favourite=bool(group.get("preferred")), tags=_ref_names(group.get("tags")))


def live_conversion(data: Any) -> LiveConversion:
    """A conversion answer; a missing `protocol` is its default, http (0)."""
    conversion = keyed(data)
    return LiveConversion(id=entity_id(conversion), name=conversion["name"], value=conversion.get("value"),
                          protocol=conversion_protocol(conversion.get("protocol", PROTOCOL_CODES["http"])),
                          description=conversion.get("description") or None)


def live_named(data: Any, kind: Any = None) -> LiveNamed:
    """A tag, script or domain (a domain GET has no type: `kind` is the list filter it came from)."""
    entity = keyed(data)
    found = entity.get("type", kind)
    return LiveNamed(id=entity_id(entity), name=entity["name"],
                     kind=None if found is None else enum_value(DOMAIN_KINDS, found, "domain type"))


def tag_members(data: Any) -> tuple[list[int], list[int]]:
    """A tag GET's members: (datapoint ids, group ids), bare ids or `{id}` objects."""
    tag = keyed(data)
    return ([_ref_id(ref) for ref in tag.get("datapoints") or []],
            [_ref_id(ref) for ref in tag.get("groups") or []])


def _ref_id(ref: Any) -> int:
    return entity_id(ref) if isinstance(ref, dict) else int(ref)


def _ref_names(refs: Any) -> frozenset[str]:
    return frozenset(keyed(ref)["name"] for ref in refs or [] if keyed(ref).get("name"))


# ------------------------------------------------------------------ batch answers and errors


@dataclass(frozen=True, slots=True)
class BatchResult:
    """One item of a batch answer: accepted (with the id it has) or refused (with why)."""

    ok: bool
    id: int | None = None
    message: str = ""
    entity: dict[str, Any] | None = dataclasses.field(default=None, compare=False)  # `entityData`, when answered


def batch_results(answer: Any) -> list[BatchResult] | None:
    """A batch answer's items, in order; None when the answer is not a batch answer."""
    results = keyed(answer).get("results")
    if not isinstance(results, list):
        return None
    found = []
    for result in results:
        item = keyed(result)
        if str(item.get("status", "")).lower() == "ok":
            ident = keyed(item.get("result")).get("id") or keyed(item.get("entitydata")).get("id")
            entity = item.get("entitydata")
            found.append(BatchResult(True, None if ident is None else int(ident),
                                     entity=entity if is_whole(entity) else None))
        else:
            found.append(BatchResult(False, message=error_message(item.get("errors"))
                                     or "refused, no reason given"))
    return found


def error_failures(body: Any) -> list[dict[str, Any]]:
    """The failures of an error answer: `{"errors": [...]}`, a bare list, or one failure."""
    if isinstance(body, dict) and "errors" in keyed(body):
        body = keyed(body)["errors"]
    if isinstance(body, dict):
        body = [body]
    return [keyed(failure) for failure in body if isinstance(failure, dict)] if isinstance(body, list) else []


def error_message(body: Any) -> str:
    """The service's own words, `Property: message; ...`."""
    parts = []
    for failure in error_failures(body):
        message = str(failure.get("errormessage") or failure.get("message") or failure.get("code") or "").strip()
        prop = failure.get("property")
        parts.append(f"{prop}: {message}" if prop and prop not in message else message)
    return "; ".join(part for part in parts if part)


def is_name_clash(status: int, body: Any) -> bool:
    """The live service's answer to a name already used: 403 with a `Name` failure (code 0013)."""
    return status == api.NAME_USED_STATUS and any(
        str(failure.get("property", "")).lower() == "name" or failure.get("code") == api.NAME_USED_CODE
        for failure in error_failures(body))


# ------------------------------------------------------------------ encoding


def ref_to(kind: str, name: str) -> dict[str, str]:
    """The placeholder for the id of an object created earlier in the same plan."""
    return {"$ref": f"{kind}:{name}"}


def secret_placeholder(secret: Secret) -> dict[str, str]:
    if not secret.env:
        raise ReconcilerError("a password that does not come from an environment variable "
                              "cannot be written to a plan")
    return {"$secret": secret.env}


def _wire_value(field: str, value: Any) -> Any:
    if field == "status":
        return STATUS_CODES[value]
    if field == "redirect":
        return REDIRECT_CODES[value]
    if field == "password":
        return secret_placeholder(value)
    if field == "retargeting":
        return [{"id": script} for script in value]
    return value


def datapoint_body(datapoint_type: str, values: dict[str, Any]) -> dict[str, Any]:
    """A datapoint carrying exactly `values` (by model field) and its numeric type.

    `values["group"]`, `["domain"]` and `["retargeting"]` hold resolved ids.
    """
    body: dict[str, Any] = {"type": TYPE_CODES[datapoint_type]}
    link: dict[str, Any] = {}
    for field, value in values.items():
        if field in TOP_LEVEL_KEYS:
            body[TOP_LEVEL_KEYS[field]] = _wire_value(field, value)
        elif field in link_settings.TOP_LEVEL_FLAG_KEYS:
            body[link_settings.TOP_LEVEL_FLAG_KEYS[field]] = value
        elif datapoint_type == LINK and field in LINK_KEYS:
            link[LINK_KEYS[field]] = _wire_value(field, value)
        elif datapoint_type == LINK and field in LINK_SETTINGS:
            link |= link_settings.link_setting_keys(field, value)
        elif datapoint_type == PIXEL and field in link_settings.PIXEL_KEYS:
            body["typeTP"] = {link_settings.PIXEL_KEYS[field]: value}
    if link:
        body["typeTL"] = link
    return body


def datapoint_create_body(datapoint_type: str, values: dict[str, Any], tags: list[str],
                          conversions: list[Ref]) -> dict[str, Any]:
    """Create bodies carry tags by name (the service creates new ones) and the
    conversion slots, which saves a patch call per association."""
    body = datapoint_body(datapoint_type, values)
    if tags:
        body["tags"] = [{"name": tag} for tag in tags]
    for slot, conversion in zip(api.CONVERSION_ID_FIELDS, conversions, strict=False):
        body[slot] = conversion
    return body


def datapoint_update_body(datapoint_id: int, datapoint_type: str, values: dict[str, Any],
                          conversions: list[Ref] | None = None) -> dict[str, Any]:
    """The managed changes of an update (`whole_update` completes it at send time).

    `conversions`: all the datapoint will hold, as its five slots (null: empty), for a service
    that writes an update's slots; `whole_update` places them among the slots it holds."""
    body = {"id": datapoint_id} | datapoint_body(datapoint_type, values)
    if conversions is not None:
        body |= dict(zip(api.CONVERSION_ID_FIELDS, [*conversions, *[None] * len(api.CONVERSION_ID_FIELDS)],
                         strict=False))
    return body


def group_body(values: dict[str, Any]) -> dict[str, Any]:
    """A group; `values` by model name (`name`, `notes`, `favourite`, and on create
    `tags`, by name: the service honours them only when creating)."""
    keys = {"name": "name", "notes": "notes", "favourite": "preferred"}
    body = {keys[field]: value for field, value in values.items() if field in keys}
    if values.get("tags"):
        body["tags"] = [{"name": tag} for tag in sorted(values["tags"])]
    return body


def group_create_body(values: dict[str, Any]) -> dict[str, Any]:
    """A new group: `preferred` always sent, as the recorded clients do (REAL-API 15)."""
    return {"name": values["name"], "preferred": bool(values.get("favourite"))} | group_body(values)


def conversion_body(values: dict[str, Any]) -> dict[str, Any]:
    """A conversion; `values` by model name (`name`, `value`, `protocol`, `description`)."""
    body: dict[str, Any] = {}
    for field in ("name", "value", "protocol", "description"):
        if field in values:
            body[field] = PROTOCOL_CODES[values[field]] if field == "protocol" else values[field]
    return body


def tag_body(name: str) -> dict[str, Any]:
    return {"name": name}


def patch_body(action: str, target_id: Ref) -> dict[str, Any]:
    """One association added or removed, as the recorded clients send it."""
    return {"action": action, "id": target_id}


def patch_batch_body(action: str, target_ids: list[int]) -> dict[str, Any]:
    return {"patchRequests": [patch_body(action, target) for target in target_ids]}


def batch_body(datapoints: list[dict[str, Any]]) -> dict[str, Any]:
    return {"list": datapoints}


def delete_batch_body(datapoint_ids: list[int]) -> dict[str, Any]:
    return {"entities": [{"id": datapoint_id} for datapoint_id in datapoint_ids]}


def batch_entries(body: Any) -> list[Any] | None:
    """A batch body's entries (`list`, `entities`, `patchRequests`, any case); None for a single body."""
    if isinstance(body, dict) and len(body) == 1 and str(next(iter(body))).lower() in BATCH_KEYS:
        entries = next(iter(body.values()))
        return entries if isinstance(entries, list) else None
    return None


def patch_action(body: Any) -> str:
    """The action (`add`/`remove`) of a patch body or a patch batch's first entry; "" for others."""
    entries = batch_entries(body)
    first = keyed(entries[0] if entries else body)
    return str(first.get("action", "")).lower()


def whole_update(live: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """The entity as just read, read-only keys dropped, with `changes` laid over it
    (`typeTL` key by key): whatever the service does with a missing key, nothing is wiped.
    Conversion slots in `changes` replace the entity's, placed by `placed_slots`."""
    body = {key: value for key, value in live.items() if key.lower() not in READ_ONLY_KEYS}
    if any(key.lower() in SLOT_KEYS for key in changes):
        body = {key: value for key, value in body.items() if key.lower() not in SLOT_KEYS}
        changes = {key: value for key, value in changes.items() if key.lower() not in SLOT_KEYS} | placed_slots(
            live, [value for key, value in changes.items() if key.lower() in SLOT_KEYS and value is not None])
    for key, value in changes.items():
        current = next((k for k in body if k.lower() == key.lower()), key)
        if isinstance(value, dict) and isinstance(body.get(current), dict) and "$ref" not in value:
            value = whole_update(body[current], value)
        body.pop(current, None)
        body[key] = value
    return body


def placed_slots(live: dict[str, Any], conversions: list[Any]) -> dict[str, Any]:
    """`conversions` (ids) as slot keys: those `live` holds stay in their slots, the others take
    the lowest free ones in order, as the conversion patches fill them; empty slots are left
    out (a replacing update resets them, a merging one keeps them as the patches left them)."""
    held = keyed(live)
    placed = {slot: held.get(slot) for slot in SLOT_KEYS if held.get(slot) in conversions}
    free = iter(slot for slot in SLOT_KEYS if slot not in placed)
    placed |= {next(free): conversion for conversion in conversions if conversion not in placed.values()}
    return {api.CONVERSION_ID_FIELDS[SLOT_KEYS.index(slot)]: placed[slot] for slot in SLOT_KEYS if slot in placed}
