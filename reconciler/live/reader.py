"""The live account as plain `LiveState`, read with as few calls as the service allows.

The public service throttles to about 10 requests a second, so calls are time.
Lists answer `{id, uri}` only, unless `_expand=true` is honoured (ClickMeter's
own plugin relies on it; REAL-API 5): then `GET /datapoints?_expand=true`
pages give whole datapoints 100 at a time, 10,000 links in about 100 calls.
Whether a list was expanded is seen from its entries, never assumed.

Where `_expand` is ignored, the state is built from what is cheap: the
statistics summary pages (name, title, url, group, tags, status, type, notes,
the domain from the tracking code), one datapoint list per conversion and per
retargeting script, the favourites list, and one GET per datapoint only for
those whose every field is asked for (`details`: a declared redirect,
password or setting; `None` means all, as export needs).

Lists include deleted entities (REAL-API 6): they are dropped, but the names
of deleted datapoints are kept (`LiveState.deleted_datapoints`: a name once
used can never be used again). Whether `/count` counts deleted entities is not
known, so a read is complete when the count, taken before and after the
pages, is the same both times and equals either the entries listed or the
live ones; anything else is `LiveStateChangedError`, never a silent half.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Collection, Iterable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from reconciler import apishapes as api
from reconciler.clickmeter import wire
from reconciler.clickmeter.client import ClickMeterClient
from reconciler.errors import ReconcilerError
from reconciler.model import (
    LINK,
    PIXEL,
    Kind,
    LiveDatapoint,
    LiveGroup,
    LiveNamed,
    LiveState,
    Secret,
)

TYPE_FILTER = {LINK: "tl", PIXEL: "tp"}
SET_FIELDS = ("tags", "conversions", "retargeting")
NO_NAMES: frozenset[str] = frozenset()  # shared: an empty frozenset costs 216 bytes, three per datapoint
EXPAND = {"_expand": True}
# `_Names`' table of ids to names for each kind a datapoint names by id, or by `{id, name}` references
NAMED_BY_ID: dict[str, str] = {Kind.GROUP: "groups", Kind.CONVERSION: "conversions", Kind.DOMAIN: "domains"}
REFERENCED_BY_ID: dict[str, str] = {Kind.TAG: "tags", Kind.RETARGETING: "scripts"}
Page = Callable[[int], Awaitable[list[Any]]]
WireEntities = dict[tuple[Kind, int], dict[str, Any]]
"""Whole entities as the wire gave them, by kind and id (clear-text passwords included)."""


DOMAIN_KINDS = tuple(kind.lower() for kind in api.DOMAIN_TYPES)
OTHER_DOMAIN_KINDS = DOMAIN_KINDS[1:]
class LiveStateChangedError(ReconcilerError):
    """The account changed while it was being read: the snapshot is not coherent."""


class UnknownGroupError(ReconcilerError):
    """A group named in the scope does not exist live."""


async def read_live_state(client: ClickMeterClient, groups: Collection[str] | None = None,
                          details: Collection[str | int] | None = None,
                          domains: Collection[str] | None = None) -> LiveState:
    """Read the account (or only the datapoints of the named `groups`) into `LiveState`.

    `details`: the datapoints (by name or id) whose every field is needed when
    lists are not expanded; None for all of them. `domains`: as for `read_base`.
    """
    base = await read_base(client, domains)
    if groups is None:
        reading = await read_scope_datapoints(client, base, None)
    else:
        reading = DatapointReading()
        for group_id in _group_ids(base.state.groups, groups):
            reading |= await read_scope_datapoints(client, base, group_id)
    return await finish_state(client, base, reading, details)


@dataclass
class BaseRead:
    """Everything but the datapoints: groups, conversions, domains, tags, scripts, and the
    names learnt so far. Small, so always read whole."""

    state: LiveState
    names: _Names
    tags: list[Any]
    scripts: list[Any]
    every_domain: bool = True


async def read_base(client: ClickMeterClient, domains: Collection[str | int] | None = None,
                    kept: WireEntities | None = None) -> BaseRead:
    """The base of a read. `domains`: the domains (names or ids) the caller refers to, None
    for all: the system domains are then read first (one call: what nearly every account
    uses, and where the default domain is) and the other types only when one of these is not
    among them; a datapoint on a domain of another type has it read later (`finish_state`).
    `kept`: collects every whole entity read, as the wire gave it (for whole updates)."""
    raw_groups, raw_conversions, found, tags, scripts = await asyncio.gather(
        _read_entities(client, client.list_groups, client.get_group),
        _read_entities(client, client.list_conversions, client.get_conversion),
        _read_domains(client, DOMAIN_KINDS if domains is None else ("system",)),
        _list_entries(client, client.list_tags),
        _list_entries(client, client.list_retargeting),
    )
    state = LiveState(groups={group.id: group for group in map(wire.live_group, raw_groups)},
                      conversions={c.id: c for c in map(wire.live_conversion, raw_conversions)},
                      domains=found)
    names = _Names(state, kept)
    names.learn(tags, names.tags)
    names.script_ids = names.learn(scripts, names.scripts)
    if kept is not None:
        kept |= {(Kind.GROUP, wire.entity_id(g)): g for g in raw_groups}
        kept |= {(Kind.CONVERSION, wire.entity_id(c)): c for c in raw_conversions}
    base = BaseRead(state, names, tags, scripts, every_domain=domains is None)
    if domains is not None:
        await with_domains(client, base, domains)
    return base


async def with_domains(client: ClickMeterClient, base: BaseRead, domains: Collection[str | int]) -> None:
    """Read the domain types not read yet when one of `domains` (names or ids) is not among
    those read, or none was found (the default domain is then one of another type)."""
    found = base.state.domains
    if base.every_domain or (found and set(domains) <= {*found, *(d.name for d in found.values())}):
        return
    found |= await _read_domains(client, OTHER_DOMAIN_KINDS)
    base.names.domains = {i: d.name for i, d in found.items()}
    base.every_domain = True


async def read_scope_datapoints(client: ClickMeterClient, base: BaseRead, group_id: int | None,
                                counted: int | None = None, first: list[Any] | None = None) -> DatapointReading:
    """The datapoints of the account (`group_id` None) or of one group; `first`: its first
    page, already listed, and `counted`: its count taken after that page (each saves a call)."""
    if group_id is None:
        return await _read_datapoints(client, base.names, client.count_datapoints, client.list_datapoints, {},
                                      counted, first)
    return await _read_datapoints(client, base.names, partial(client.count_group_datapoints, group_id),
                                  partial(client.list_group_datapoints, group_id), {"groupId": group_id}, counted,
                                  first)


def is_complete_page(page: list[Any]) -> bool:
    """Whether an expanded first page is its whole list: one answer is one snapshot, and a
    short page has nothing after it, so it needs neither a count nor a recount."""
    return len(page) < api.MAX_LIMIT and all(wire.is_whole(entry) for entry in page)


async def finish_state(client: ClickMeterClient, base: BaseRead, reading: DatapointReading,
                       details: Collection[str | int] | None) -> LiveState:
    """The state from what was read: summary-read datapoints completed, tags and scripts named."""
    state, names = base.state, base.names
    if not reading.expanded:
        await _complete_from_lists(client, names, reading, state, details)
    if not base.every_domain:
        await _name_other_domains(client, names, state, reading.live)
    state.tags, state.retargeting = await asyncio.gather(
        _complete_names(client, base.tags, names.tags, client.get_tag),
        _complete_names(client, base.scripts, names.scripts, client.get_retargeting))
    state.datapoints = reading.live
    state.deleted_datapoints = reading.deleted
    state.partial_datapoints = not reading.expanded
    return state


async def _list_entries(client: ClickMeterClient, list_page: Callable[..., Any], **filters: Any) -> list[Any]:
    """Every entry of a list, expanded if the service honours `_expand`."""
    return [entry async for entry in client.iter_pages(list_page, **EXPAND, **filters)]


async def _read_entities(client: ClickMeterClient, list_page: Callable[..., Any], get_one: Callable[..., Any],
                         **filters: Any) -> list[dict[str, Any]]:
    """A list's live entities: whole when expanded, else one GET each (concurrently)."""
    entries = await _list_entries(client, list_page, **filters)
    whole = [entry for entry in entries if wire.is_whole(entry)]
    fetched = await client.map_concurrently(get_one, [wire.entity_id(e) for e in entries if not wire.is_whole(e)])
    return [entity for entity in whole + fetched if not wire.is_deleted(entity)]


async def _read_domains(client: ClickMeterClient, kinds: Iterable[str]) -> dict[int, LiveNamed]:
    """Domains of the types `kinds`, one list each: a list without `type` shows the system
    domains only (openapi), and a domain GET has no type, so each carries the type of the
    list it came from."""
    kinds = list(kinds)
    by_type = await asyncio.gather(*(_read_entities(client, client.list_domains, client.get_domain, type=kind)
                                     for kind in kinds))
    return {domain.id: domain for kind, found in zip(kinds, by_type, strict=True)
            for domain in (wire.live_named(entry, kind) for entry in found)}


async def _name_other_domains(client: ClickMeterClient, names: _Names, state: LiveState,
                              live: dict[int, LiveDatapoint]) -> None:
    """Name the domains of datapoints on a domain not read yet that their answers did not name
    (no tracking code): the other types are read once, the first time one is met."""
    if not names.unnamed_domains:
        return
    state.domains |= await _read_domains(client, OTHER_DOMAIN_KINDS)
    names.domains = {i: d.name for i, d in state.domains.items()}
    for datapoint_id, domain_id in names.unnamed_domains:
        if datapoint_id in live:
            live[datapoint_id].domain = names.domains.get(domain_id)
    names.unnamed_domains.clear()


async def _complete_names(client: ClickMeterClient, entries: list[Any], known: dict[int, str],
                          get_one: Callable[..., Any]) -> dict[int, LiveNamed]:
    """Tags or scripts by id: names learnt from entries and references, one GET for each other."""
    ids = [wire.entity_id(entry) for entry in entries if not wire.is_deleted(entry)]
    for data in await client.map_concurrently(get_one, [i for i in ids if i not in known]):
        known[wire.entity_id(data)] = wire.keyed(data)["name"]
    return {i: LiveNamed(id=i, name=known[i]) for i in ids}


def _group_ids(live_groups: dict[int, LiveGroup], names: Collection[str]) -> list[int]:
    by_name = {group.name: group_id for group_id, group in live_groups.items()}
    missing = sorted(set(names) - set(by_name))
    if missing:
        raise UnknownGroupError(f"no live group named {', '.join(map(repr, missing))}")
    return [by_name[name] for name in names]


# ------------------------------------------------------------------ datapoints


@dataclass
class DatapointReading:
    """Live datapoints read, names of deleted ones, how many entries were listed, and
    whether they came whole (`_expand` honoured) or from summary rows."""

    live: dict[int, LiveDatapoint] = field(default_factory=dict)
    deleted: set[tuple[str, str | None, str]] = field(default_factory=set)
    listed: int = 0
    expanded: bool = True

    def __ior__(self, other: DatapointReading) -> DatapointReading:
        self.live |= other.live
        self.deleted |= other.deleted
        self.listed += other.listed
        self.expanded = self.expanded and other.expanded
        return self

    def take(self, names: _Names, data: dict[str, Any],
             keep: Callable[[LiveDatapoint], bool] | None = None) -> None:
        """One entry listed; `keep` (when given) says whether it is one of those looked for."""
        self.listed += 1
        datapoint = names.datapoint(data)
        if keep is not None and not keep(datapoint):
            return
        if datapoint.status == wire.DELETED or wire.is_deleted(data):
            self.deleted.add((datapoint.type, datapoint.domain, datapoint.name))
        else:
            self.live[datapoint.id] = datapoint


async def _read_datapoints(client: ClickMeterClient, names: _Names, count: Callable[[], Awaitable[int]],
                           list_page: Callable[..., Any], filters: dict[str, Any],
                           counted: int | None = None, first: list[Any] | None = None) -> DatapointReading:
    """One scope's datapoints (the account, or one group), checked against its count.

    The count is taken before the pages and again after them. A `first` page listed before
    the count needs no recount when it turns out to hold everything: a change between the
    page and the count shows as a count that differs from it."""
    reading = DatapointReading()
    if first is not None and is_complete_page(first):
        for data in first:
            reading.take(names, data)
        return reading
    if first is None:
        first_page = list_page(offset=0, limit=api.MAX_LIMIT, **EXPAND)
        total, first = (await asyncio.gather(count(), first_page) if counted is None
                        else (counted, await first_page))
        counted_after_first = False
    else:
        total = await count() if counted is None else counted
        counted_after_first = True
    if all(wire.is_whole(entry) for entry in first):
        def take_page(page: list[Any]) -> None:
            for data in page:
                reading.take(names, data)

        listed = await each_page(client, lambda offset: list_page(offset=offset, limit=api.MAX_LIMIT, **EXPAND),
                                 first, total, take_page)
        if counted_after_first and listed == len(first):
            return _checked(reading, total, total)
    else:
        reading.expanded = False
        for kind in TYPE_FILTER.values():
            await _read_summary(client, names, reading, type=kind, **filters)
    return _checked(reading, total, await count())


def _checked(reading: DatapointReading, total: int, recounted: int) -> DatapointReading:
    if total != recounted or total not in (reading.listed, len(reading.live)):
        raise LiveStateChangedError(
            f"the account changed while it was read ({reading.listed} datapoints listed, "
            f"{len(reading.live)} of them live, {total} then {recounted} counted): run the command again")
    return reading


async def each_page(client: ClickMeterClient, page_at: Page, first: list[Any], hint: int,
                    take: Callable[[list[Any]], None]) -> int:
    """Hands `first` and the pages after it to `take`, in order, as they arrive: those `hint`
    promises concurrently, then one by one until a short page (a count need not match a list's
    length) or as many entries as `hint`. Only the pages in flight are held, never the whole
    account's JSON (145 MB at 100,000 datapoints). Returns the entries listed."""
    take(first)
    if len(first) < api.MAX_LIMIT:
        return len(first)
    sizes = [len(first)]  # of the pages handed over so far; page k is at offset k * MAX_LIMIT
    arrived: dict[int, list[Any]] = {}

    async def hand_over_in_order(offset: int) -> None:
        arrived[offset] = await page_at(offset)
        while (next_offset := len(sizes) * api.MAX_LIMIT) in arrived:
            page = arrived.pop(next_offset)
            take(page)
            sizes.append(len(page))

    await client.map_concurrently(hand_over_in_order, range(api.MAX_LIMIT, max(hint, api.MAX_LIMIT), api.MAX_LIMIT))
    while sizes[-1] == api.MAX_LIMIT and sum(sizes) != hint:
        page = await page_at(len(sizes) * api.MAX_LIMIT)
        take(page)
        sizes.append(len(page))
    return sum(sizes)


async def look_up_datapoints(client: ClickMeterClient, base: BaseRead, kind: str, name: str,
                             expanded: bool) -> DatapointReading:
    """The datapoints of type `kind` named exactly `name`, deleted ones included: `textSearch`
    matches a substring of name, title, url or notes, so the exact match is checked here.
    Expanded list pages when `expanded` and the service honours it, else summary rows."""
    reading = DatapointReading()
    filters = {"textSearch": name, "type": TYPE_FILTER[kind]}

    def keep(datapoint: LiveDatapoint) -> bool:
        return datapoint.type == kind and datapoint.name == name

    if expanded:
        entries = await _list_entries(client, client.list_datapoints, **filters)
        if all(wire.is_whole(entry) for entry in entries):
            for data in entries:
                reading.take(base.names, data, keep)
            return reading
    reading.expanded = False
    await _read_summary(client, base.names, reading, keep, **filters)
    return reading


async def _read_summary(client: ClickMeterClient, names: _Names, reading: DatapointReading,
                        keep: Callable[[LiveDatapoint], bool] | None = None, **filters: Any) -> None:
    """One type's summary rows: the first page gives the count; the rest run concurrently."""

    async def page_at(offset: int) -> list[Any]:
        page = await client.summary_datapoints_page("beginning", offset, api.MAX_LIMIT, **filters)
        return list(wire.keyed(page).get("result") or [])

    first = await client.summary_datapoints_page("beginning", 0, api.MAX_LIMIT, **filters)
    rows = list(wire.keyed(first).get("result") or [])
    def take_rows(page: list[Any]) -> None:
        for row in page:
            reading.take(names, wire.summary_datapoint(row), keep)

    await each_page(client, page_at, rows, int(wire.keyed(first).get("count") or 0), take_rows)


async def _complete_from_lists(client: ClickMeterClient, names: _Names, reading: DatapointReading, state: LiveState,
                               details: Collection[str | int] | None) -> None:
    """What summary rows lack: favourites, conversions and scripts from their datapoint lists,
    then whole GETs for the datapoints asked for in detail."""
    live = reading.live
    favourites, by_conversion, by_script = await asyncio.gather(
        _listed_ids(client, client.list_datapoints, onlyFavorites=True),
        client.map_concurrently(lambda c: _listed_ids(client, client.list_conversion_datapoints, c),
                                list(state.conversions)),
        client.map_concurrently(lambda s: _listed_ids(client, client.list_retargeting_datapoints, s),
                                list(names.script_ids)))
    members: dict[int, dict[str, set[str]]] = {}
    for kind, ids, found in (("conversions", list(state.conversions), by_conversion),
                             ("retargeting", list(names.script_ids), by_script)):
        for owner, datapoint_ids in zip(ids, found, strict=True):
            owner_name = names.conversions.get(owner) if kind == "conversions" else names.scripts.get(owner)
            for datapoint_id in datapoint_ids:
                members.setdefault(datapoint_id, {}).setdefault(kind, set()).add(owner_name or str(owner))
    for datapoint in live.values():
        datapoint.favourite = datapoint.id in favourites
        for kind in ("conversions", "retargeting"):
            setattr(datapoint, kind, names.shared(frozenset(members.get(datapoint.id, {}).get(kind, ()))))
    await _fetch_whole(client, names, live, [i for i, d in live.items()
                                             if details is None or d.name in details or i in details])


async def _fetch_whole(client: ClickMeterClient, names: _Names, live: dict[int, LiveDatapoint],
                       ids: Collection[int]) -> None:
    for data in await client.map_concurrently(client.get_datapoint, sorted(ids)):
        if not wire.is_deleted(data):
            live[wire.entity_id(data)] = names.datapoint(data)


async def read_details(client: ClickMeterClient, state: LiveState, ids: Collection[int],
                       kept: WireEntities | None = None) -> None:
    """Complete datapoints of a state read from summary rows with a GET each (redirect, password,
    settings)."""
    names = _Names(state, kept)
    names.tags = {i: tag.name for i, tag in state.tags.items()}
    names.scripts = {i: script.name for i, script in state.retargeting.items()}
    await _fetch_whole(client, names, state.datapoints, [i for i in ids if i in state.datapoints])
    await _name_other_domains(client, names, state, state.datapoints)


async def _listed_ids(client: ClickMeterClient, list_page: Callable[..., Any], *args: Any,
                      **filters: Any) -> set[int]:
    return {wire.entity_id(entry) async for entry in client.iter_pages(list_page, *args, **filters)}


class _Names:
    """Live ids to names while reading, for the references a datapoint holds.

    Tag and script names are learnt from list entries and from the references
    themselves (which carry `{id, name}`), so only tags and scripts nobody
    refers to need a get. Equal name sets are shared: thousands of datapoints
    repeat a few tag and conversion sets, and each frozenset costs over 200 bytes.
    """

    def __init__(self, state: LiveState, kept: WireEntities | None = None) -> None:
        self.groups = {i: g.name for i, g in state.groups.items()}
        self.conversions = {i: c.name for i, c in state.conversions.items()}
        self.domains = {i: d.name for i, d in state.domains.items()}
        self.tags: dict[int, str] = {}
        self.scripts: dict[int, str] = {}
        self.script_ids: list[int] = []
        self.unnamed_domains: list[tuple[int, int]] = []  # (datapoint, domain) ids: a domain not read yet
        self.kept = kept
        self._sets: dict[frozenset[str], frozenset[str]] = {NO_NAMES: NO_NAMES}

    @staticmethod
    def learn(entries: list[Any], by_id: dict[int, str]) -> list[int]:
        """The live ids among list `entries`; `by_id` learns the names expanded entries carry."""
        ids = []
        for entry in entries:
            if wire.is_deleted(entry):
                continue
            ids.append(wire.entity_id(entry))
            if wire.keyed(entry).get("name"):
                by_id[ids[-1]] = wire.keyed(entry)["name"]
        return ids

    def datapoint(self, data: dict[str, Any]) -> LiveDatapoint:
        """A wire datapoint answer as a `LiveDatapoint`, references by name."""
        entity = wire.keyed(data)
        fields = wire.datapoint_fields(entity, self)
        for name_set in SET_FIELDS:
            fields[name_set] = self.shared(fields.get(name_set, NO_NAMES))
        datapoint = LiveDatapoint(id=wire.entity_id(entity), created=entity.get("creationdate"), **fields)
        if self.kept is not None and wire.is_whole(entity):
            self.kept[(Kind.DATAPOINT, datapoint.id)] = data
        if datapoint.domain is None and datapoint.type == LINK:
            self._name_domain(datapoint, entity)
        return datapoint

    def _name_domain(self, datapoint: LiveDatapoint, entity: dict[str, Any]) -> None:
        """A link on a domain not read: its tracking code names it (REAL-API 4), else it waits
        for the other domain types (`unnamed_domains`)."""
        datapoint.domain = wire.domain_of_tracking_code(entity.get("trackingcode"))
        domain_id = wire.keyed(entity.get("typetl")).get("domainid")
        if datapoint.domain is None and domain_id is not None:
            self.unnamed_domains.append((datapoint.id, int(domain_id)))

    def name_of(self, kind: str, reference: Any, wire_name: str | None = None) -> str | None:
        """The live name of `kind` id `reference`, else the name the answer carried."""
        known: dict[int, str] = getattr(self, NAMED_BY_ID[kind])
        return known.get(int(reference)) or wire_name

    def names_of(self, kind: str, references: list[Any] | None) -> frozenset[str]:
        return _named_refs(references, getattr(self, REFERENCED_BY_ID[kind]))

    def secret(self, value: Any) -> Secret | None:
        return Secret(value) if value else None

    def shared(self, names: frozenset[str]) -> frozenset[str]:
        return self._sets.setdefault(names, names)


def _named_refs(refs: list[Any] | None, by_id: dict[int, str]) -> frozenset[str]:
    """The names of `[{id, name}]` references; `by_id` learns the pairs and names bare ids."""
    if not refs:
        return NO_NAMES
    found = []
    for ref in refs:
        entry = wire.keyed(ref) if isinstance(ref, dict) else {"id": ref}
        if entry.get("id") is not None and entry.get("name"):
            by_id.setdefault(int(entry["id"]), entry["name"])
        found.append(entry.get("name") or by_id.get(int(entry["id"])) if entry.get("id") is not None
                     else entry.get("name"))
    return frozenset(name for name in found if name)
