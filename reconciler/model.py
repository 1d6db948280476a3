"""The state every stage shares: what the manifests want and what the account has.

The flow is one way: manifests -> `DesiredState`; reader -> `LiveState`;
planner(desired, live) -> plan. These are plain data, with no I/O, so that each
stage can be tested on its own and the planner stays pure.

References between objects are by *name* on both sides (group, tags,
conversions, domain, retargeting scripts): the reader resolves live ids to
names, and the executor resolves names back to ids.
"""

from __future__ import annotations

import hmac
from collections.abc import MutableMapping
from dataclasses import dataclass, field
from enum import StrEnum

LINK = "link"
PIXEL = "pixel"


class Kind(StrEnum):
    """The kinds of object a plan names (`kind:name` item keys, changes, fingerprints)."""

    GROUP = "group"
    DATAPOINT = "datapoint"
    CONVERSION = "conversion"
    TAG = "tag"
    DOMAIN = "domain"
    RETARGETING = "retargeting"
DATAPOINT_TYPES = (LINK, PIXEL)
REDIRECTS = ("temporary", "permanent")
STATUSES = ("active", "paused")

# Where a link sends its visitors. `simple`: its one `url`. The list modes hold every url
# in order (the link's `url` is the first); the keyed modes hold the urls other than the
# link's `url`, which is their `default`.
SIMPLE = "simple"
LIST_MODES = ("rotate", "sequence", "spillover")
KEYED_MODES = ("by_language", "by_country", "by_device", "first_click")
DESTINATION_MODES = (SIMPLE, *LIST_MODES, *KEYED_MODES)
DEVICES = ("mobile", "email", "spider")  # by_device's keys
FIRST_CLICK = "first"  # first_click's one key
DEFAULT_DESTINATION = "default"  # the keyed modes' name for the link's own `url`
REFERRERS = ("keep", "clean", "myself")
PAUSE = "pause"  # what an expired link does, unless it sends visitors to a url instead
# The datapoint settings managed since manifest v1.1 (all additive): the planner diffs them
# like any field, and a live datapoint's fingerprint leaves them out while at their default,
# so that plans saved before they existed still match an unchanged account.
LINK_SETTINGS = ("destinations", "expires", "forward_query", "encode_url", "cloak", "cloak_title",
                 "referrer", "anonymise_ip", "light_tracking", "public", "redirect_only")
PIXEL_SETTINGS = ("parameter_note",)


@dataclass(frozen=True, slots=True)
class Location:
    """Where a value was written: a file and a 1-based line and column."""

    file: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


class Secret:
    """A value that must never be printed, logged or written to a plan.

    `env` names the environment variable it came from, which *is* safe to show.
    """

    __slots__ = ("_value", "env")

    def __init__(self, value: str, env: str | None = None) -> None:
        self._value = value
        self.env = env

    def reveal(self) -> str:
        """The plain value, for a request body and nothing else."""
        return self._value

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Secret):
            return NotImplemented
        return hmac.compare_digest(self._value.encode(), other._value.encode())

    def __hash__(self) -> int:
        return hash(("Secret", self.env))

    def __repr__(self) -> str:
        return "(sensitive)"

    __str__ = __repr__


# ---------------------------------------------------------------- link settings


@dataclass(frozen=True, slots=True)
class Destination:
    """One destination of a multi-destination link.

    `key` is the language (ISO 639-1) or country (ISO 3166-1 alpha-2) code,
    the device or `first` in the keyed modes, None in the list modes;
    `weight` is set only in a weighted rotation.
    """

    url: str
    key: str | None = None
    weight: int | None = None


@dataclass(frozen=True, slots=True)
class Destinations:
    """A link's destination mode and its destinations beyond the link's own `url`.

    Canonical, so that `==` is the planner's comparison: list modes keep their
    order, keyed modes are sorted by key. `Destinations()` is the simple mode.
    """

    mode: str = SIMPLE
    entries: tuple[Destination, ...] = ()


@dataclass(frozen=True, slots=True)
class Expiry:
    """When a link expires and what it does then.

    `on` is an ISO date or date-time ("2027-06-30", "2027-06-30T12:00:00");
    `then` is `pause` or the url expired visits go to (after clicks and on the
    date alike). `Expiry()` is a link that never expires (`expires: false`).
    """

    after_clicks: int | None = None
    on: str | None = None
    then: str = PAUSE


# ---------------------------------------------------------------- desired state


@dataclass(slots=True)
class Settings:
    """Repository-wide settings; at most one manifest file holds them."""

    default_domain: str | None = None
    default_group: str | None = None
    max_delete_percent: float = 30.0
    max_update_percent: float = 30.0
    protect_active_days: int = 30
    location: Location | None = None


@dataclass(slots=True)
class GroupSpec:
    """A declared group. `None` means "not declared: leave as live"."""

    name: str
    notes: str | None = None
    favourite: bool | None = None
    tags: frozenset[str] | None = None
    prune: bool = False
    locations: MutableMapping[str, Location] = field(default_factory=dict)


@dataclass(slots=True)
class ConversionSpec:
    name: str
    value: float | None = None
    protocol: str | None = None  # "http" | "https"
    description: str | None = None
    locations: MutableMapping[str, Location] = field(default_factory=dict)


@dataclass(slots=True)
class TagSpec:
    name: str
    locations: MutableMapping[str, Location] = field(default_factory=dict)


@dataclass(slots=True)
class DatapointSpec:
    """A declared datapoint, per-file defaults already applied.

    Every optional field is `None` when the manifests do not declare it, and is
    then left as it is live. `tags`, `conversions` and `retargeting`, when
    declared, are exact sets. `locations` maps a field name ("" for the item
    itself) to where it was written, so that later stages can point at it.
    """

    name: str
    type: str = LINK
    url: str | None = None
    title: str | None = None
    domain: str | None = None
    redirect: str | None = None
    group: str | None = None
    tags: frozenset[str] | None = None
    conversions: frozenset[str] | None = None
    retargeting: frozenset[str] | None = None
    favourite: bool | None = None
    notes: str | None = None
    status: str | None = None
    password: Secret | None = None
    destinations: Destinations | None = None  # declaring only `url` declares the simple mode
    expires: Expiry | None = None
    forward_query: bool | None = None  # appendQuery
    encode_url: bool | None = None
    cloak: bool | None = None  # hideUrl: the destination shown in a frame under the short url
    cloak_title: str | None = None  # hideUrlTitle
    referrer: str | None = None  # referrerClean: keep | clean | myself
    anonymise_ip: bool | None = None  # encodeIp
    light_tracking: bool | None = None
    public: bool | None = None  # isPublic
    redirect_only: bool | None = None
    parameter_note: str | None = None  # pixels: typeTP.parameterNote
    renamed_from: tuple[str, ...] = ()
    id: int | None = None
    absent: bool = False  # `absent: true`: delete the live one wherever it is
    locations: MutableMapping[str, Location] = field(default_factory=dict)


@dataclass(slots=True)
class DesiredState:
    """Everything the manifests declare, merged, keyed by name.

    One exception: a datapoint name declared more than once, each time with its
    own `id:` pin (two live links of one name on two domains), keys each entry
    as `name#id`.
    """

    settings: Settings = field(default_factory=Settings)
    groups: dict[str, GroupSpec] = field(default_factory=dict)
    conversions: dict[str, ConversionSpec] = field(default_factory=dict)
    tags: dict[str, TagSpec] = field(default_factory=dict)
    datapoints: dict[str, DatapointSpec] = field(default_factory=dict)
    files: tuple[str, ...] = ()
    digest: str = ""  # sha256 over the manifest files' paths and bytes


# ------------------------------------------------------------------ live state


@dataclass(slots=True)
class LiveDatapoint:
    """A datapoint as the account has it, references resolved to names."""

    id: int
    name: str
    type: str
    url: str | None = None
    title: str | None = None
    domain: str | None = None
    redirect: str | None = None
    group: str | None = None
    tags: frozenset[str] = frozenset()
    conversions: frozenset[str] = frozenset()
    retargeting: frozenset[str] = frozenset()
    favourite: bool = False
    notes: str | None = None
    status: str = "active"
    password: Secret | None = None
    destinations: Destinations = Destinations()
    expires: Expiry = Expiry()
    forward_query: bool = False
    encode_url: bool = False
    cloak: bool = False
    cloak_title: str | None = None
    referrer: str = "keep"
    anonymise_ip: bool = False
    light_tracking: bool = False
    public: bool = False
    redirect_only: bool = False
    parameter_note: str | None = None
    created: str | None = None  # YmdHis


@dataclass(slots=True)
class LiveGroup:
    id: int
    name: str
    notes: str | None = None
    favourite: bool = False
    tags: frozenset[str] = frozenset()


@dataclass(slots=True)
class LiveConversion:
    id: int
    name: str
    value: float | None = None
    protocol: str | None = None
    description: str | None = None


@dataclass(slots=True)
class LiveNamed:
    """A tag, domain or retargeting script: an id and a name is all we use."""

    id: int
    name: str
    kind: str | None = None  # the domain type ("system", "go", ...) for domains


@dataclass(slots=True)
class LiveState:
    """An account as read, keyed by id (live names need not be unique)."""

    datapoints: dict[int, LiveDatapoint] = field(default_factory=dict)
    groups: dict[int, LiveGroup] = field(default_factory=dict)
    conversions: dict[int, LiveConversion] = field(default_factory=dict)
    tags: dict[int, LiveNamed] = field(default_factory=dict)
    domains: dict[int, LiveNamed] = field(default_factory=dict)
    retargeting: dict[int, LiveNamed] = field(default_factory=dict)
    # (type, domain, name) of deleted datapoints: such a name can never be used again on its domain
    deleted_datapoints: set[tuple[str, str | None, str]] = field(default_factory=set)
    # datapoints read from summary rows (lists not expanded): redirect and password only for those asked for
    partial_datapoints: bool = False
