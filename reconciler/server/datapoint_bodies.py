"""Reading a datapoint body (`Api.Core.Dto.Datapoints.Datapoint`) into checked fields.

Only the shape is checked here (types, enums, URLs); references to groups,
domains, tags, conversions and scripts are resolved against the account by
`datapoint_store`. The settings of issue 12 are read by `link_settings` and
`destination_items`. Every problem found is reported at once, each naming its
property (`name`, `typeTL.url`, `tags[1].id`, ...).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, cast

from reconciler.apishapes import (
    CONVERSION_ID_FIELDS,
    DATAPOINT_TYPES,
    REDIRECT_TYPES,
    STATUS_ACTIVE,
    STATUS_PAUSED,
    TRACKING_LINK,
    url_problem,
)
from reconciler.server.destination_items import read_destinations
from reconciler.server.link_settings import read_settings
from reconciler.server.requests import (
    FailureCollector,
    optional_text,
    parse_bool,
    parse_enum,
    parse_id,
    required_name,
)
from reconciler.server.responses import bad_request, failure

REDIRECT_CODES = {301: REDIRECT_TYPES[0], 307: REDIRECT_TYPES[1]}
WRITABLE_STATUSES = (STATUS_ACTIVE, STATUS_PAUSED)


@dataclass(frozen=True)
class Reference:
    """A tag or script named in a body, by id or by name."""

    prop: str
    id: int | None = None
    name: str | None = None


@dataclass
class DatapointInput:
    """The fields a body gives; absent ones are absent (update keeps them)."""

    columns: dict[str, Any] = field(default_factory=dict)  # datapoints table columns
    tags: list[Reference] | None = None
    conversions: dict[int, int | None] = field(default_factory=dict)  # slot (1..5) -> id
    scripts: list[Reference] | None = None
    destination_items: dict[str, str] = field(default_factory=dict)  # mode -> its items (JSON)


def parse_datapoint(body: Any, *, creating: bool) -> DatapointInput:
    """The checked fields of a (key-folded) datapoint body; 400 listing every problem."""
    if not isinstance(body, dict):
        raise bad_request(None, "a datapoint must be a JSON object")
    found = DatapointInput()
    collector = FailureCollector()
    columns = found.columns
    if creating or "type" in body:
        columns["type"] = collector.read(parse_enum, "type", body.get("type"), DATAPOINT_TYPES)
    if creating or "name" in body:
        columns["name"] = collector.read(_link_name, body.get("name"))
    for prop in ("title", "notes"):
        if prop in body:
            columns[prop] = collector.read(optional_text, prop, body[prop])
    if "preferred" in body:
        columns["preferred"] = collector.read(parse_bool, "preferred", body["preferred"])
    if "status" in body:
        columns["status"] = collector.read(parse_enum, "status", body["status"], WRITABLE_STATUSES)
    if "groupid" in body:
        columns["group_id"] = collector.read(_optional_id, "groupId", body["groupid"])
    if "tags" in body:
        found.tags = collector.read(_references, "tags", body["tags"])
    for slot, prop in enumerate(CONVERSION_ID_FIELDS, start=1):
        if prop.lower() in body:
            found.conversions[slot] = collector.read(_optional_id, prop, body[prop.lower()])
    _read_link_specifics(body, found, collector, creating)
    columns.update(read_settings(body, collector.read))
    if "typetp" in body and isinstance(body["typetp"], dict) and "parameternote" in body["typetp"]:
        columns["parameter_note"] = collector.read(
            optional_text, "typeTP.parameterNote", body["typetp"]["parameternote"])
    collector.raise_any()
    return found


def _read_link_specifics(body: dict[str, Any], found: DatapointInput,
                         collector: FailureCollector, creating: bool) -> None:
    link = body.get("typetl")
    if link is None:
        if creating and found.columns.get("type") == TRACKING_LINK:
            collector.failures.append(failure("typeTL.url", "a tracking link needs typeTL.url"))
        return
    if not isinstance(link, dict):
        collector.failures.append(failure("typeTL", "typeTL must be an object"))
        return
    columns = found.columns
    if "url" in link or (creating and columns.get("type") == TRACKING_LINK):
        columns["url"] = collector.read(_destination_url, link.get("url"))
    if "domainid" in link:
        columns["domain_id"] = collector.read(_optional_id, "typeTL.domainId", link["domainid"])
    if "redirecttype" in link:
        columns["redirect_type"] = collector.read(
            parse_enum, "typeTL.redirectType", link["redirecttype"], REDIRECT_TYPES, REDIRECT_CODES)
    if "password" in link:
        columns["password"] = collector.read(_password, link["password"])
    if "scripts" in link:
        found.scripts = collector.read(_references, "typeTL.scripts", link["scripts"])
    mode, found.destination_items = read_destinations(link, collector)
    if mode is not None:
        columns["destination_mode"] = mode


def _link_name(value: Any) -> str:
    name = required_name("name", value)
    if "/" in name or any(ch.isspace() for ch in name):
        raise bad_request("name", "name is a link's short path: no '/' or spaces")
    return name


def _password(value: Any) -> str | None:
    """A link password; an error about it never echoes the value (it is a secret)."""
    if value is None or (isinstance(value, str) and len(value) <= 200):
        return value
    raise bad_request("typeTL.password", "typeTL.password must be a string of at most 200 characters")


def _destination_url(value: Any) -> str:
    """The url as given, if `validate` would take it too (`apishapes.url_problem`)."""
    if problem := url_problem(value):
        raise bad_request("typeTL.url", f"typeTL.url {problem}")
    return cast(str, value)  # url_problem refuses anything but text


def _optional_id(prop: str, value: Any) -> int | None:
    return None if value is None else parse_id(prop, value)


def _references(prop: str, value: Any) -> list[Reference]:
    """`[{"id": 3}, {"name": "x"}, "y"]` -> references by id or by name."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise bad_request(prop, f"{prop} must be a list")
    found = []
    for index, item in enumerate(value):
        where = f"{prop}[{index}]"
        if isinstance(item, str):
            found.append(Reference(where, name=required_name(where, item)))
        elif isinstance(item, dict) and item.get("id") is not None:
            found.append(Reference(where, id=parse_id(f"{where}.id", item["id"])))
        elif isinstance(item, dict) and item.get("name") is not None:
            found.append(Reference(where, name=required_name(f"{where}.name", item["name"])))
        else:
            raise bad_request(where, f"{where} needs an id or a name")
    return found
