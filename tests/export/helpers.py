"""Random ClickMeter accounts for the export round trips, and a way to create them.

`accounts()` draws an `AccountSpec`: domains, retargeting scripts, conversions,
tags, groups and datapoints with references by name. `seed_account` creates it
through the API client on the real local server (batch create for the
datapoints, tags and conversion slots in their bodies), so that the export
reads an account built the way any client would build it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from hypothesis import strategies as st

from reconciler.apishapes import (
    CONVERSION_ID_FIELDS,
    MAX_BATCH,
    REDIRECT_CODES,
    TRACKING_LINK,
    TRACKING_PIXEL,
    TYPE_CODES,
    name_problem,
    text_problem,
)
from reconciler.clickmeter.client import ClickMeterClient
from reconciler.clickmeter.wire import whole_update
from reconciler.live.reader import read_live_state
from reconciler.model import LiveState
from reconciler.target import TargetOptions, open_client

SYSTEM_DOMAIN = "go.clickmeter.test"

# Names are short paths of links: no '/' and no white space (the server refuses them).
# Any name and text the service takes (`apishapes.name_problem`, `text_problem`): the characters
# those refuse are left out of the alphabets (a filter alone would reject most draws).
TEXT_REFUSED = "".join(map(chr, [*range(0x09), 0x0B, 0x0C, *range(0x0E, 0x20), *range(0x7F, 0xA0)]))
NAME_REFUSED = "".join(map(chr, [*range(0x20), *range(0x7F, 0xA0), 0x2028, 0x2029, *range(0x202A, 0x202F),
                                 *range(0x2066, 0x206A)]))
name_texts = st.text(st.characters(blacklist_categories=("Cs", "Zs", "Zl", "Zp"),
                                   blacklist_characters="/" + NAME_REFUSED), min_size=1, max_size=16).filter(
    lambda name: name_problem(name) is None)
free_texts = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters=TEXT_REFUSED),
                     min_size=1, max_size=40).filter(lambda text: text_problem(text) is None)
# Group names may hold spaces inside, never at the ends.
group_names = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters=NAME_REFUSED),
                      min_size=1, max_size=30).map(str.strip).filter(
    lambda name: bool(name) and name_problem(name) is None)


def password_of(name: str) -> str:
    """The password a seeded link has: derived from its name, so a test can set the variable."""
    return f"pw:{name}"


@dataclass
class DatapointSpec:
    name: str
    type: str
    title: str | None = None
    notes: str | None = None
    favourite: bool = False
    paused: bool = False
    group: str | None = None
    tags: list[str] = field(default_factory=list)
    conversions: list[str] = field(default_factory=list)
    url: str | None = None
    domain: str | None = None
    redirect: str | None = None
    password: bool = False
    scripts: list[str] = field(default_factory=list)


@dataclass
class AccountSpec:
    domains: list[str]
    scripts: list[str]
    conversions: list[dict[str, Any]]
    spare_tags: list[str]
    groups: list[dict[str, Any]]
    datapoints: list[DatapointSpec]


@st.composite
def _unique(draw: st.DrawFn, names: st.SearchStrategy[str], max_size: int = 5) -> list[str]:
    """Distinct names, some differing only in case (names are case-sensitive, live and in manifests)."""
    base = draw(st.lists(names, max_size=max_size, unique=True))
    variants = [name.swapcase() for name in base if draw(st.booleans())]
    return list(dict.fromkeys(base + variants))


@st.composite
def accounts(draw: st.DrawFn, max_datapoints: int = 12) -> AccountSpec:
    """An account using every kind of object and field export has to carry."""
    domains = [f"d{n}.example.test" for n in range(draw(st.integers(0, 2)))]
    scripts = draw(_unique(name_texts, max_size=3))
    tags = draw(_unique(name_texts, max_size=8))
    conversions = [{"name": name, "value": draw(st.none() | st.floats(0, 1e6, allow_nan=False)),
                    "protocol": draw(st.sampled_from([0, 1])),
                    "description": draw(st.none() | free_texts)}
                   for name in draw(_unique(name_texts, max_size=4))]
    groups = [{"name": name, "notes": draw(st.none() | free_texts), "preferred": draw(st.booleans()),
               "tags": draw(st.lists(st.sampled_from(tags), unique=True)) if tags else []}
              for name in draw(_unique(group_names, max_size=4))]
    names = draw(_unique(name_texts, max_size=max_datapoints))
    datapoints = [draw(_datapoints(name, domains, scripts, tags, conversions, groups)) for name in names]
    used = {tag for dp in datapoints for tag in dp.tags} | {tag for g in groups for tag in g["tags"]}
    return AccountSpec(domains, scripts, conversions, [t for t in tags if t not in used], groups, datapoints)


@st.composite
def _datapoints(draw: st.DrawFn, name: str, domains: list[str], scripts: list[str], tags: list[str],
                conversions: list[dict[str, Any]], groups: list[dict[str, Any]]) -> DatapointSpec:
    def subset(items: list[str], max_size: int = 5) -> list[str]:
        return draw(st.lists(st.sampled_from(items), unique=True, max_size=max_size)) if items else []

    spec = DatapointSpec(
        name=name, type=draw(st.sampled_from([TRACKING_LINK, TRACKING_LINK, TRACKING_PIXEL])),
        title=draw(st.none() | free_texts), notes=draw(st.none() | free_texts),
        favourite=draw(st.booleans()), paused=draw(st.booleans()),
        group=draw(st.none() | st.sampled_from([g["name"] for g in groups])) if groups else None,
        tags=subset(tags, 8), conversions=subset([c["name"] for c in conversions]))
    if spec.type == TRACKING_LINK:
        spec.url = draw(st.builds("https://shop.example.com/{}?q={}".format,
                                  st.integers(0, 999), free_texts.map(quote)))
        spec.domain = draw(st.none() | st.sampled_from([SYSTEM_DOMAIN, *domains]))
        spec.redirect = draw(st.none() | st.sampled_from(["PermanentRedirect", "TemporaryRedirect", 301, 307]))
        spec.password = draw(st.booleans())
        spec.scripts = subset(scripts)
    return spec


async def seed_account(client: ClickMeterClient, account: AccountSpec) -> None:
    """Create `account` through the API; any refused item fails the test with the server's reason."""
    domain_ids = {SYSTEM_DOMAIN: None}
    for domain in account.domains:
        domain_ids[domain] = (await client.create_domain({"name": domain, "type": "Personal"}))["id"]
    script_ids = {name: (await client.create_retargeting({"name": name, "script": "<script></script>"}))["id"]
                  for name in account.scripts}
    conversion_ids = {c["name"]: (await client.create_conversion(c))["id"] for c in account.conversions}
    group_ids = {g["name"]: (await client.create_group(g))["id"] for g in account.groups}
    for tag in account.spare_tags:
        await client.create_tag(tag)
    bodies = [_datapoint_body(dp, domain_ids, script_ids, conversion_ids, group_ids)
              for dp in account.datapoints]
    for start in range(0, len(bodies), MAX_BATCH):
        for item in await client.create_datapoints_batch(bodies[start:start + MAX_BATCH]):
            assert item.ok, item.message


def _datapoint_body(dp: DatapointSpec, domain_ids: dict[str, int | None], script_ids: dict[str, int],
                    conversion_ids: dict[str, int], group_ids: dict[str, int]) -> dict[str, Any]:
    body: dict[str, Any] = {"type": TYPE_CODES[dp.type], "name": dp.name, "title": dp.title, "notes": dp.notes,
                            "preferred": dp.favourite, "status": 1 if dp.paused else 0,
                            "tags": [{"name": tag} for tag in dp.tags]}
    if dp.group is not None:
        body["groupId"] = group_ids[dp.group]
    for slot_field, conversion in zip(CONVERSION_ID_FIELDS, dp.conversions, strict=False):
        body[slot_field] = conversion_ids[conversion]
    if dp.type == TRACKING_LINK:
        link: dict[str, Any] = {"url": dp.url, "scripts": [{"id": script_ids[s]} for s in dp.scripts]}
        if domain_ids.get(dp.domain) is not None:
            link["domainId"] = domain_ids[dp.domain]
        if dp.redirect is not None:
            link["redirectType"] = REDIRECT_CODES.get(dp.redirect, dp.redirect)
        if dp.password:
            link["password"] = password_of(dp.name)
        body["typeTL"] = link
    return body


def local_options(db_path: Path) -> TargetOptions:
    """The options of `--target local --local-db db_path`: the account the CLI acts on."""
    return TargetOptions(target="local", local_db=str(db_path), rate=None, concurrency=4)


async def seed_local(db_path: Path, account: AccountSpec) -> None:
    async with open_client(local_options(db_path)) as client:
        await seed_account(client, account)


async def update_local(db_path: Path, datapoint_id: int, fields: dict[str, Any]) -> None:
    """Change one datapoint out of band, as someone in the web UI would."""
    async with open_client(local_options(db_path)) as client:
        await client.update_datapoint(datapoint_id, whole_update(await client.get_datapoint(datapoint_id), fields))


async def read_local(db_path: Path) -> LiveState:
    async with open_client(local_options(db_path)) as client:
        return await read_live_state(client)
