"""Request bodies, exactly as openapi.json shapes them, from model values.

Values are given by model field name (`favourite`, `redirect`, `group`, ...);
references to other objects arrive already resolved by the caller to a live id
or a `{"$ref": "kind:name"}` placeholder, and a password as a `Secret`, which
becomes `{"$secret": ENV}` so that no body ever holds the value itself.
"""

from __future__ import annotations

from typing import Any

from reconciler import apishapes as api
from reconciler.errors import ReconcilerError
from reconciler.model import LINK, Secret

Ref = int | dict[str, str]

DATAPOINT_TYPES = {"link": api.TRACKING_LINK, "pixel": api.TRACKING_PIXEL}
REDIRECTS = {"temporary": api.TEMPORARY_REDIRECT, "permanent": api.PERMANENT_REDIRECT}
STATUSES = {"active": api.STATUS_ACTIVE, "paused": api.STATUS_PAUSED}
PROTOCOLS = {protocol.lower(): protocol for protocol in api.PROTOCOLS}

# model field -> key at the datapoint's top level, and inside `typeTL`
TOP_LEVEL_KEYS = {"name": "name", "title": "title", "notes": "notes", "favourite": "preferred",
                  "status": "status", "group": "groupId"}
LINK_KEYS = {"url": "url", "domain": "domainId", "redirect": "redirectType",
             "password": "password", "retargeting": "scripts"}


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
        return STATUSES[value]
    if field == "redirect":
        return REDIRECTS[value]
    if field == "password":
        return secret_placeholder(value)
    if field == "retargeting":
        return [{"id": script} for script in value]
    return value


def datapoint_body(datapoint_type: str, values: dict[str, Any]) -> dict[str, Any]:
    """A `Datapoint` carrying exactly `values` (plus its type), for create or update.

    `values["group"]`, `["domain"]` and `["retargeting"]` hold resolved ids.
    """
    body: dict[str, Any] = {"type": DATAPOINT_TYPES[datapoint_type]}
    link: dict[str, Any] = {}
    for field, value in values.items():
        if field in TOP_LEVEL_KEYS:
            body[TOP_LEVEL_KEYS[field]] = _wire_value(field, value)
        elif field in LINK_KEYS and datapoint_type == LINK:
            link[LINK_KEYS[field]] = _wire_value(field, value)
    if link:
        body["typeTL"] = link
    return body


def datapoint_create_body(datapoint_type: str, values: dict[str, Any], tags: list[str],
                          conversions: list[Ref]) -> dict[str, Any]:
    """Create bodies carry tags by name (the server creates new ones) and the
    conversion slots, which saves a patch call per association."""
    body = datapoint_body(datapoint_type, values)
    if tags:
        body["tags"] = [{"name": tag} for tag in tags]
    for slot, conversion in zip(api.CONVERSION_ID_FIELDS, conversions):
        body[slot] = conversion
    return body


def datapoint_update_body(datapoint_id: int, datapoint_type: str, values: dict[str, Any]) -> dict[str, Any]:
    return {"id": datapoint_id} | datapoint_body(datapoint_type, values)


def group_body(values: dict[str, Any]) -> dict[str, Any]:
    """A `Group`; `values` by model name (`name`, `notes`, `favourite`, and on create
    `tags`, by name: the server honours them only when creating)."""
    keys = {"name": "name", "notes": "notes", "favourite": "preferred"}
    body = {keys[field]: value for field, value in values.items() if field in keys}
    if values.get("tags"):
        body["tags"] = [{"name": tag} for tag in sorted(values["tags"])]
    return body


def conversion_body(values: dict[str, Any]) -> dict[str, Any]:
    """A `Conversion`; `values` by model name (`name`, `value`, `protocol`, `description`)."""
    body = {}
    for field in ("name", "value", "protocol", "description"):
        if field in values:
            body[field] = PROTOCOLS[values[field]] if field == "protocol" else values[field]
    return body


def tag_body(name: str) -> dict[str, Any]:
    return {"name": name}


def patch_body(action: str, target_id: int) -> dict[str, Any]:
    """`PatchBody`: one association added or removed."""
    return {"Action": action, "Id": target_id}


def patch_batch_body(action: str, target_ids: list[int]) -> dict[str, Any]:
    return {"PatchRequests": [patch_body(action, target) for target in target_ids]}


def batch_body(datapoints: list[dict[str, Any]]) -> dict[str, Any]:
    return {"List": datapoints}


def delete_batch_body(datapoint_ids: list[int]) -> dict[str, Any]:
    return {"Entities": [{"id": datapoint_id} for datapoint_id in datapoint_ids]}
