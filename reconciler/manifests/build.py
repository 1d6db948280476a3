"""Schema-valid documents -> the specs of `reconciler.model`, per-file defaults applied.

Only the parts of a document that passed the schema are built (a broken item is
skipped, not guessed at), so that the cross-file checks see sound values.
"""

from __future__ import annotations

from collections.abc import Callable, Set
from dataclasses import dataclass, field
from typing import Any

from yaml import Mark

from reconciler.manifests.link_settings import LINK_SETTING_KEYS, apply_link_settings
from reconciler.manifests.locations import Locations
from reconciler.manifests.problems import field_path
from reconciler.manifests.secrets import EnvPassword
from reconciler.manifests.yamldoc import DocPath, LocatedMap, location
from reconciler.model import (
    LINK,
    PIXEL,
    ConversionSpec,
    DatapointSpec,
    GroupSpec,
    Location,
    Settings,
    TagSpec,
)

LINK_ONLY = ("url", "redirect", "domain", "password", "retargeting", *LINK_SETTING_KEYS)
SECTIONS = ("groups", "conversions", "tags", "datapoints")
NO_DEFAULTS = LocatedMap(Mark("", 0, 0, 0, None, 0))


@dataclass(slots=True)
class Declared:
    """A spec and where in its file it was declared (for messages)."""

    path: DocPath
    spec: Any
    inherited: dict[str, str] = field(default_factory=dict)  # key -> where its value came from
    partial: bool = False  # only the name is known: the item has schema problems
    renamed_at: tuple[Location, ...] = ()  # where each `renamed_from` name was written

    def field(self, key: str, index: int | None = None) -> str:
        """The field a message names: `datapoints[3].url`, or `defaults.group` for an inherited value."""
        if key in self.inherited:
            return self.inherited[key]
        path = (*self.path, key) if key else self.path
        return field_path(path if index is None else (*path, index))


@dataclass(slots=True)
class FileDeclarations:
    """What one manifest file declares, ready for the cross-file checks."""

    file: str
    settings: Settings | None = None
    settings_locations: dict[str, Location] = field(default_factory=dict)
    groups: list[Declared] = field(default_factory=list)
    conversions: list[Declared] = field(default_factory=list)
    tags: list[Declared] = field(default_factory=list)
    datapoints: list[Declared] = field(default_factory=list)


def declarations(document: LocatedMap, file: str, problem_paths: Set[DocPath]) -> FileDeclarations:
    """Build the specs of one file; an item with a schema problem keeps only its name.

    `problem_paths` is a set: every broken item looks its name and pin up in it.
    """
    broken = broken_items(problem_paths)
    found = FileDeclarations(file)
    if "settings" in document:
        where = location(file, document.key_marks["settings"])
        if ("settings",) in broken:
            found.settings = Settings(location=where)
        else:
            values, found.settings_locations = _fields(document["settings"], file)
            found.settings = _settings(values, where)
    defaults_broken = ("defaults",) in broken
    defaults = NO_DEFAULTS if defaults_broken else document.get("defaults") or NO_DEFAULTS
    default_locations = {key: location(file, mark) for key, mark in defaults.value_marks.items()}
    shared = SharedSets()
    for section in SECTIONS:
        items = document.get(section)
        if items is None or (section,) in broken:
            continue
        declared: list[Declared] = getattr(found, section)
        for index, item in enumerate(items):
            path = (section, index)
            sound = path not in broken and (section != "datapoints" or not defaults_broken)
            if sound and section == "datapoints":
                declared.append(_datapoint(path, item, defaults, default_locations, file, shared))
            elif sound:
                declared.append(Declared(path, _BUILDERS[section](item, file)))
            elif (*path, "name") not in problem_paths and isinstance(item, LocatedMap) and "name" in item:
                declared.append(_name_only(section, path, item, file, problem_paths))
    return found


def broken_items(problem_paths: Set[DocPath]) -> set[DocPath]:
    """The items (`("datapoints", 3)`) and top-level values (`("defaults",)`) holding a problem."""
    return {path[:2] if path and path[0] in SECTIONS else path[:1] for path in problem_paths}


def _name_only(section: str, path: DocPath, item: LocatedMap, file: str, problem_paths: Set[DocPath]) -> Declared:
    """A broken item as far as its (valid) name and pin go: duplicates and renames still see it."""
    spec_type = {"groups": GroupSpec, "conversions": ConversionSpec, "tags": TagSpec,
                 "datapoints": DatapointSpec}[section]
    locations = {"": location(file, item.mark), "name": location(file, item.value_marks["name"])}
    spec = spec_type(name=item["name"], locations=locations)
    if section == "datapoints" and (*path, "id") not in problem_paths and type(item.get("id")) is int:
        spec.id = item["id"]  # its pin tells twins apart
        locations["id"] = location(file, item.value_marks["id"])
    return Declared(path, spec, partial=True)


def apply_settings(spec: DatapointSpec, settings: Settings, where: dict[str, Location]) -> None:
    """Give a datapoint the repository's default group (and domain, for a link) it lacks.

    Runs after the cross-file checks, so the settings are valid and unique.
    """
    if spec.group is None and settings.default_group is not None:
        spec.group = settings.default_group
        spec.locations["group"] = where["default_group"]
    if spec.type == LINK and spec.domain is None and settings.default_domain is not None:
        spec.domain = settings.default_domain
        spec.locations["domain"] = where["default_domain"]


def _fields(item: LocatedMap, file: str) -> tuple[dict[str, Any], dict[str, Location]]:
    locations = {"": location(file, item.mark)}
    for key, mark in item.value_marks.items():
        locations[key] = location(file, mark)
    return dict(item), locations


def _names(values: list[str] | None) -> frozenset[str] | None:
    return None if values is None else frozenset(values)


class SharedSets(dict[frozenset[str], frozenset[str]]):
    """One frozenset per distinct set of names: a file's datapoints repeat a few tag and
    conversion sets, and each frozenset costs over 200 bytes (40 MB per 100,000 datapoints)."""

    def of(self, values: list[str] | None) -> frozenset[str] | None:
        names = _names(values)
        return None if names is None else self.setdefault(names, names)


def _settings(values: dict[str, Any], where: Location) -> Settings:
    settings = Settings(location=where)
    for key, value in values.items():
        setattr(settings, key, float(value) if key.endswith("_percent") else value)
    return settings


def _group(item: LocatedMap, file: str) -> GroupSpec:
    values, locations = _fields(item, file)
    return GroupSpec(name=values["name"], notes=values.get("notes"), favourite=values.get("favourite"),
                     tags=_names(values.get("tags")), prune=values.get("prune", False),
                     locations=locations)


def _conversion(item: LocatedMap, file: str) -> ConversionSpec:
    values, locations = _fields(item, file)
    value = values.get("value")
    return ConversionSpec(name=values["name"], value=None if value is None else float(value),
                          protocol=values.get("protocol"), description=values.get("description"),
                          locations=locations)


def _tag(item: LocatedMap, file: str) -> TagSpec:
    values, locations = _fields(item, file)
    return TagSpec(name=values["name"], locations=locations)


_BUILDERS: dict[str, Callable[[LocatedMap, str], Any]] = {
    "groups": _group, "conversions": _conversion, "tags": _tag}


def _datapoint(path: DocPath, item: LocatedMap, defaults: LocatedMap, default_locations: dict[str, Location],
               file: str, shared: SharedSets) -> Declared:
    """A datapoint's own values, then its file's defaults where it has none (tags: both)."""
    values, inherited_at = dict(item), {}
    inherited: dict[str, str] = {}
    kind = values.get("type") or defaults.get("type") or LINK
    for key, value in defaults.items():
        if key == "tags" and "tags" in values:
            values["tags"] = [*values["tags"], *value]
        elif key not in values and not (kind == PIXEL and key in LINK_ONLY):
            values[key] = value
            inherited_at[key] = default_locations[key]
            inherited[key] = f"defaults.{key}"
    locations = Locations.written(file, item, inherited_at)
    password = values.get("password")
    renamed = item.get("renamed_from", ())
    spec = DatapointSpec(
        name=values["name"], type=kind, url=values.get("url"), title=values.get("title"),
        domain=values.get("domain"), redirect=values.get("redirect"), group=values.get("group"),
        tags=shared.of(values.get("tags")), conversions=shared.of(values.get("conversions")),
        retargeting=shared.of(values.get("retargeting")), favourite=values.get("favourite"),
        notes=values.get("notes"), status=values.get("status"),
        password=None if password is None else EnvPassword(password["env"], password.get("optional", False)),
        renamed_from=tuple(renamed), id=values.get("id"), absent=values.get("absent") is True,
        locations=locations)
    apply_link_settings(spec, values, locations, file)
    if "cloak" in inherited and "cloak_title" in locations:
        inherited["cloak_title"] = "defaults.cloak.title"
    renamed_at = tuple(location(file, mark) for mark in renamed.item_marks) if renamed else ()
    return Declared(path, spec, inherited, renamed_at=renamed_at)
