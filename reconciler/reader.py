"""The live account as plain `LiveState`, read with as few calls as the API allows.

The public service throttles to about 10 requests a second, so calls are time.
`GET /aggregated/summary/datapoints` pages through datapoints 100 at a time with
each one's full data in `entityData`: reading 10,000 datapoints is about 100
calls instead of 10,000 `GET /datapoints/{id}`. Those gets are only the fallback
for entries whose `entityData` is missing or incomplete.

Groups, conversions and domains have no such endpoint: their lists give ids,
so each is a list plus one get per entity, run concurrently. Tags and
retargeting scripts are named by the references datapoints and groups hold,
so only the ones nobody refers to cost a get. Completeness is checked against
the count endpoints: an account changing while it is read gives
`LiveStateChangedError`, never a silent half.
"""

from __future__ import annotations

import asyncio
import math
import sys
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Any, Protocol

from reconciler import apishapes as wire
from reconciler.bodies import DATAPOINT_TYPES, REDIRECTS
from reconciler.clickmeter.client import ClickMeterClient
from reconciler.errors import ReconcilerError
from reconciler.model import (
    LINK, PIXEL, LiveConversion, LiveDatapoint, LiveGroup, LiveNamed, LiveState, Secret,
)

# wire value -> model value: the reverse of the tables request bodies are written with
TYPE_OF = {wire_type: model_type for model_type, wire_type in DATAPOINT_TYPES.items()}
REDIRECT_OF = {wire_redirect: model_redirect for model_redirect, wire_redirect in REDIRECTS.items()}
TYPE_FILTER = {LINK: "tl", PIXEL: "tp"}
REQUIRED_FIELDS = ("id", "name", "type", "status")
SET_FIELDS = ("tags", "conversions", "retargeting")
NO_NAMES: frozenset[str] = frozenset()  # shared: an empty frozenset costs 216 bytes, three per datapoint


class LiveStateChangedError(ReconcilerError):
    """The account changed while it was being read: the snapshot is not coherent."""


class UnknownGroupError(ReconcilerError):
    """A group named in the scope does not exist live."""


async def read_live_state(client: ClickMeterClient, groups: Collection[str] | None = None) -> LiveState:
    """Read the account (or only the datapoints of the named `groups`) into `LiveState`."""
    raw_groups, conversions, domains, tag_ids, script_ids = await asyncio.gather(
        _get_each(client, client.list_groups, client.get_group),
        _read_all(client, client.list_conversions, client.get_conversion, _conversion),
        _read_domains(client),
        _listed_ids(client, client.list_tags),
        _listed_ids(client, client.list_retargeting),
    )
    state = LiveState(groups={i: _group(data) for i, data in raw_groups.items()},
                      conversions=conversions, domains=domains)
    names = _Names(state)
    for data in raw_groups.values():
        _named_refs(data.get("tags"), names.tags)
    if groups is None:
        reading = await _read_account_datapoints(client, names)
    else:
        reading = await _read_group_datapoints(client, names, _group_ids(state.groups, groups))
    state.tags, state.retargeting = await asyncio.gather(
        _complete_names(client, tag_ids, names.tags, client.get_tag),
        _complete_names(client, script_ids, names.scripts, client.get_retargeting))
    fetched = await client.map_concurrently(client.get_datapoint, sorted(reading.incomplete))
    state.datapoints = reading.complete | {int(data["id"]): names.datapoint(data) for data in fetched}
    return state


async def _listed_ids(client: ClickMeterClient, list_page: Callable[..., Any], **filters: Any) -> list[int]:
    return [int(ref["id"]) async for ref in client.iter_pages(list_page, **filters)]


async def _get_each(client: ClickMeterClient, list_page: Callable[..., Any], get_one: Callable[..., Any],
                    **filters: Any) -> dict[int, dict[str, Any]]:
    """A list's ids, then one get each, concurrently: `{id: answer}`."""
    ids = await _listed_ids(client, list_page, **filters)
    return dict(zip(ids, await client.map_concurrently(get_one, ids)))


async def _read_all(client: ClickMeterClient, list_page: Callable[..., Any], get_one: Callable[..., Any],
                    convert: Callable[[dict[str, Any]], Any], **filters: Any) -> dict[int, Any]:
    """`_get_each`, each answer converted."""
    return {i: convert(data) for i, data in (await _get_each(client, list_page, get_one, **filters)).items()}


async def _read_domains(client: ClickMeterClient) -> dict[int, LiveNamed]:
    """Domains of every type: a list without `type` shows the system domains only."""
    by_type = await asyncio.gather(*(
        _read_all(client, client.list_domains, client.get_domain, _domain, type=kind.lower())
        for kind in wire.DOMAIN_TYPES))
    return {domain_id: domain for domains in by_type for domain_id, domain in domains.items()}


async def _complete_names(client: ClickMeterClient, ids: list[int], known: dict[int, str],
                          get_one: Callable[..., Any]) -> dict[int, LiveNamed]:
    """Tags or scripts by id: names the datapoints and groups referred to, one get for each other."""
    for data in await client.map_concurrently(get_one, [i for i in ids if i not in known]):
        known[int(data["id"])] = data["name"]
    return {i: LiveNamed(id=i, name=known[i]) for i in ids}


def _group_ids(live_groups: dict[int, LiveGroup], names: Collection[str]) -> list[int]:
    by_name = {group.name: group_id for group_id, group in live_groups.items()}
    missing = sorted(set(names) - set(by_name))
    if missing:
        raise UnknownGroupError(f"no live group named {', '.join(map(repr, missing))}")
    return [by_name[name] for name in names]


# ------------------------------------------------------------------ datapoints


@dataclass
class _Reading:
    """Datapoints read from summary pages, and the ids whose `entityData` fell short."""

    complete: dict[int, LiveDatapoint] = field(default_factory=dict)
    incomplete: set[int] = field(default_factory=set)

    def __len__(self) -> int:
        return len(self.complete.keys() | self.incomplete)

    def __ior__(self, other: _Reading) -> _Reading:
        self.complete |= other.complete
        self.incomplete |= other.incomplete
        return self


async def _read_account_datapoints(client: ClickMeterClient, names: _Names) -> _Reading:
    """Every non-deleted datapoint, checked against the account's count."""
    reading = await _read_both_types(client, names)
    _check_complete("the account", len(reading), await client.count_datapoints())
    return reading


async def _read_group_datapoints(client: ClickMeterClient, names: _Names, group_ids: Iterable[int]) -> _Reading:
    """The datapoints of some groups only, each group checked against its own count."""
    reading = _Reading()
    for group_id in group_ids:
        in_group = await _read_both_types(client, names, groupId=group_id)
        _check_complete(f"group {names.groups[group_id]!r}", len(in_group),
                        await client.count_group_datapoints(group_id))
        reading |= in_group
    return reading


async def _read_both_types(client: ClickMeterClient, names: _Names, **filters: Any) -> _Reading:
    """The summary's links and pixels (it takes one `type` at a time)."""
    reading = _Reading()
    await asyncio.gather(*(_read_summary(client, names, reading, type=kind, **filters)
                           for kind in TYPE_FILTER.values()))
    return reading


async def _read_summary(client: ClickMeterClient, names: _Names, reading: _Reading, **filters: Any) -> None:
    """One summary listing: the first page says how many pages follow; the rest run concurrently.

    Each page becomes `LiveDatapoint`s as it arrives, so raw pages never pile up.
    """

    def take(page: dict[str, Any]) -> None:
        for result in page.get("result") or []:
            data = result.get("entityData")
            if _is_complete(data):
                reading.complete[int(data["id"])] = names.datapoint(data)
            else:
                reading.incomplete.add(int(result["entityId"]))

    async def take_page_at(offset: int) -> None:
        take(await client.summary_datapoints_page("beginning", offset, wire.MAX_LIMIT, **filters))

    first = await client.summary_datapoints_page("beginning", 0, wire.MAX_LIMIT, **filters)
    take(first)
    await client.map_concurrently(take_page_at, range(wire.MAX_LIMIT, int(first.get("count") or 0), wire.MAX_LIMIT))


def _is_complete(data: Any) -> bool:
    """Whether `entityData` holds all a `LiveDatapoint` needs, references named (else it is fetched)."""
    if not isinstance(data, dict) or any(data.get(key) is None for key in REQUIRED_FIELDS):
        return False
    link = data.get("typeTL")
    if data["type"] == wire.TRACKING_LINK and not isinstance(link, dict):
        return False
    refs = data.get("tags")
    return isinstance(refs, list) and _all_named(refs) and _all_named((link or {}).get("scripts") or [])


def _all_named(refs: list[Any]) -> bool:
    return all(isinstance(ref, dict) and ref.get("name") for ref in refs)


def _check_complete(what: str, read: int, counted: int) -> None:
    if read != counted:
        raise LiveStateChangedError(
            f"{what} changed while it was read ({read} datapoints read, {counted} counted): "
            "run the command again")


class ReferenceNames(Protocol):
    """Names for a wire `Datapoint`'s references: the reader's learn them from answers,
    apply's (`expectations.Names`) resolve a request body's `$ref`/`$secret` placeholders."""

    def name_of(self, kind: str, reference: Any, wire_name: str | None = None) -> str | None: ...

    def names_of(self, kind: str, references: list[Any] | None) -> frozenset[str]: ...

    def secret(self, value: Any) -> Secret | None: ...


def datapoint_fields(data: dict[str, Any], names: ReferenceNames) -> dict[str, Any]:
    """The `LiveDatapoint` fields a wire `Datapoint` (an answer or a request body) holds.

    Only keys present become fields, so an update body gives just what it changes.
    """
    fields: dict[str, Any] = {key: data[key] for key in ("name", "title", "notes") if key in data}
    if "type" in data:
        fields["type"] = TYPE_OF.get(data["type"], data["type"])
    if "preferred" in data:
        fields["favourite"] = bool(data["preferred"])
    if "status" in data:
        fields["status"] = sys.intern(str(data["status"]).lower())
    if "groupId" in data:
        group_id = data["groupId"]
        fields["group"] = None if group_id is None else names.name_of("group", group_id, data.get("groupName"))
    if "tags" in data:
        fields["tags"] = names.names_of("tag", data["tags"])
    slots = [(data[id_field], data.get(name_field))
             for id_field, name_field in zip(wire.CONVERSION_ID_FIELDS, wire.CONVERSION_NAME_FIELDS)
             if data.get(id_field)]
    if slots:
        fields["conversions"] = frozenset(names.name_of("conversion", conversion_id, wire_name) or str(conversion_id)
                                          for conversion_id, wire_name in slots)
    link = data.get("typeTL") or {}
    if "url" in link:
        fields["url"] = link["url"]
    if "domainId" in link:
        fields["domain"] = None if link["domainId"] is None else names.name_of("domain", link["domainId"])
    if "redirectType" in link:
        fields["redirect"] = REDIRECT_OF.get(link["redirectType"], link["redirectType"])
    if "password" in link:
        fields["password"] = names.secret(link["password"])
    if "scripts" in link:
        fields["retargeting"] = names.names_of("retargeting", link["scripts"])
    return fields


class _Names:
    """Live ids to names while reading, for the references a datapoint holds.

    Tag and script names are learnt from the references themselves (which
    carry `{id, name}`), so only tags and scripts nobody refers to need a get.
    Equal name sets are shared: thousands of datapoints repeat a few tag and
    conversion sets, and each frozenset costs over 200 bytes.
    """

    def __init__(self, state: LiveState) -> None:
        self.groups = {i: g.name for i, g in state.groups.items()}
        self.conversions = {i: c.name for i, c in state.conversions.items()}
        self.domains = {i: d.name for i, d in state.domains.items()}
        self.tags: dict[int, str] = {}
        self.scripts: dict[int, str] = {}
        self._sets: dict[frozenset[str], frozenset[str]] = {NO_NAMES: NO_NAMES}

    def datapoint(self, data: dict[str, Any]) -> LiveDatapoint:
        """A wire `Datapoint` answer as a `LiveDatapoint`, references by name."""
        fields = datapoint_fields(data, self)
        for name_set in SET_FIELDS:
            fields[name_set] = self._shared(fields.get(name_set, NO_NAMES))
        return LiveDatapoint(id=int(data["id"]), created=data.get("creationDate"), **fields)

    def name_of(self, kind: str, reference: Any, wire_name: str | None = None) -> str | None:
        """The live name of `kind` id `reference`, else the name the answer carried."""
        known = {"group": self.groups, "conversion": self.conversions, "domain": self.domains}[kind]
        return known.get(int(reference)) or wire_name

    def names_of(self, kind: str, references: list[Any] | None) -> frozenset[str]:
        return _named_refs(references, {"tag": self.tags, "retargeting": self.scripts}[kind])

    def secret(self, value: Any) -> Secret | None:
        return Secret(value) if value else None

    def _shared(self, names: frozenset[str]) -> frozenset[str]:
        return self._sets.setdefault(names, names)


def _named_refs(refs: list[dict[str, Any]] | None, by_id: dict[int, str]) -> frozenset[str]:
    """The names of `[{id, name}]` references; `by_id` learns the pairs and names bare ids."""
    if not refs:
        return NO_NAMES
    for ref in refs:
        if ref.get("id") is not None and ref.get("name"):
            by_id.setdefault(int(ref["id"]), ref["name"])
    names = (ref.get("name") or by_id.get(ref.get("id")) for ref in refs)
    return frozenset(name for name in names if name)


# ------------------------------------------------------------------ other entities


def _group(data: dict[str, Any]) -> LiveGroup:
    return LiveGroup(id=int(data["id"]), name=data["name"], notes=data.get("notes"),
                     favourite=bool(data.get("preferred")),
                     tags=frozenset(tag["name"] for tag in data.get("tags") or [] if tag.get("name")))


def _conversion(data: dict[str, Any]) -> LiveConversion:
    protocol = data.get("protocol")
    return LiveConversion(id=int(data["id"]), name=data["name"], value=data.get("value"),
                          protocol=protocol.lower() if protocol else None,
                          description=data.get("description"))


def _domain(data: dict[str, Any]) -> LiveNamed:
    kind = data.get("type")
    return LiveNamed(id=int(data["id"]), name=data["name"], kind=kind.lower() if kind else None)


# ------------------------------------------------------------------ recent clicks


async def read_recent_clicks(client: ClickMeterClient, datapoint_ids: Collection[int], days: int,
                             today: date | None = None) -> dict[int, int]:
    """Clicks of each of `datapoint_ids` over the last `days` days (today included).

    Pages of the links' summary over a custom time frame, stopping once every
    id asked for is seen. When fewer ids remain than pages, each remaining id
    costs one `GET /datapoints/{id}/aggregated` instead. Ids not found count 0.
    """
    wanted = set(datapoint_ids)
    if not wanted:
        return {}
    today = today or datetime.now(timezone.utc).date()
    window = {"fromDay": (today - timedelta(days=max(days, 1) - 1)).strftime(wire.DAY_FORMAT),
              "toDay": today.strftime(wire.DAY_FORMAT)}
    clicks = dict.fromkeys(wanted, 0)
    offset = 0
    while wanted:
        page = await client.summary_datapoints_page("custom", offset, wire.MAX_LIMIT, type="tl", **window)
        results = page.get("result") or []
        for result in results:
            entity_id = int(result["entityId"])
            if entity_id in wanted:
                clicks[entity_id] = int(result.get("totalClicks") or 0)
                wanted.discard(entity_id)
        offset += len(results)
        pages_left = math.ceil(max(0, int(page.get("count") or 0) - offset) / wire.MAX_LIMIT)
        if len(results) < wire.MAX_LIMIT or not pages_left:
            break
        if len(wanted) < pages_left:
            return clicks | await _clicks_one_by_one(client, wanted, window)
    return clicks


async def _clicks_one_by_one(client: ClickMeterClient, datapoint_ids: Collection[int],
                             window: dict[str, str]) -> dict[int, int]:
    async def clicks_of(datapoint_id: int) -> int:
        statistics = await client.datapoint_statistics(datapoint_id, "custom", **window)
        return int(statistics.get("totalClicks") or 0)

    ids = sorted(datapoint_ids)
    return dict(zip(ids, await client.map_concurrently(clicks_of, ids)))
