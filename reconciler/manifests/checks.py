"""Checks across all manifest files, on the built specs.

Undeclared references are legal (they may exist in the account and are
resolved at plan time); what is checked here is what the manifests alone
prove wrong.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from functools import partial

from reconciler.apishapes import MAX_MONEY, name_problem, text_problem, url_problem
from reconciler.manifests.build import LINK_ONLY, Declared, FileDeclarations
from reconciler.manifests.link_settings import PIXEL_ONLY
from reconciler.manifests.problems import Problem
from reconciler.model import LINK, PIXEL, DatapointSpec, Location

KIND_NAMES = {"groups": "group", "conversions": "conversion", "tags": "tag"}


def cross_file_problems(files: list[FileDeclarations]) -> Iterator[Problem]:
    """Every problem that needs the specs of all files together."""
    yield from _settings_problems(files)
    for section in (*KIND_NAMES, "datapoints"):
        for entry in (entry for found in files for entry in getattr(found, section)):
            if not entry.partial:
                yield from _value_problems(entry)
    for section in KIND_NAMES:
        yield from _duplicate_names(section, [entry for found in files for entry in getattr(found, section)])
    datapoints = [entry for found in files for entry in found.datapoints]
    yield from _duplicate_datapoints(datapoints)
    yield from _duplicate_ids(datapoints)
    for entry in datapoints:
        if not entry.partial:
            yield from _type_problems(entry)
    yield from _rename_problems(datapoints)
    yield from _case_mismatches("group", [entry for found in files for entry in found.groups],
                                _group_references(files))
    yield from _case_mismatches("conversion", [entry for found in files for entry in found.conversions],
                                _conversion_references(datapoints))


def first_declarations(entries: Iterable[Declared]) -> dict[str, Declared]:
    """Each name's first declaration (the later ones are reported as duplicates)."""
    first: dict[str, Declared] = {}
    for entry in entries:
        first.setdefault(entry.spec.name, entry)
    return first


def keyed_datapoints(entries: list[Declared]) -> dict[str, Declared]:
    """Each datapoint key's first declaration: the name, or `name#id` for pinned twins.

    A name may repeat when every entry carrying it pins its own live id (as
    `export` writes two live links of one name on two domains); those entries
    are told apart by their pins.
    """
    twins = _pinned_twins(entries)
    keyed: dict[str, Declared] = {}
    for entry in entries:
        keyed.setdefault(_datapoint_key(entry.spec, twins), entry)
    return keyed


def _pinned_twins(entries: list[Declared]) -> set[str]:
    """Names declared more than once, every time with an `id:` pin."""
    pins: dict[str, list[int | None]] = {}
    for entry in entries:
        pins.setdefault(entry.spec.name, []).append(entry.spec.id)
    return {name for name, ids in pins.items() if len(ids) > 1 and None not in ids}


def _datapoint_key(spec: DatapointSpec, twins: set[str]) -> str:
    return f"{spec.name}#{spec.id}" if spec.name in twins else spec.name


def _problem(entry: Declared, key: str, message: str) -> Problem:
    return Problem(entry.spec.locations[key], entry.field(key), message)


def _settings_problems(files: list[FileDeclarations]) -> Iterator[Problem]:
    holders = [found.settings for found in files if found.settings is not None]
    for later in holders[1:]:
        assert later.location is not None
        yield Problem(later.location, "settings",
                      f"settings are already declared at {holders[0].location}; only one file may hold them")


def _duplicate_names(section: str, entries: list[Declared]) -> Iterator[Problem]:
    first = first_declarations(entries)
    for entry in entries:
        original = first[entry.spec.name]
        if original is not entry:
            yield _problem(entry, "name", f"duplicate {KIND_NAMES[section]} name {entry.spec.name!r} "
                                          f"(first declared at {original.spec.locations['name']})")


def _duplicate_datapoints(entries: list[Declared]) -> Iterator[Problem]:
    """A repeated name without a pin on every entry; a plain name equal to a twin's key.

    (Twins pinning one id twice are reported by `_duplicate_ids`.)
    """
    twins = _pinned_twins(entries)
    first: dict[str, Declared] = {}
    for entry in entries:
        spec = entry.spec
        key = _datapoint_key(spec, twins)
        original = first.setdefault(key, entry)
        if original is entry or (spec.name in twins and original.spec.name == spec.name):
            continue
        where = original.spec.locations["name"]
        if original.spec.name == spec.name:
            yield _problem(entry, "name", f"duplicate datapoint name {spec.name!r} (first declared at {where}); "
                                          "a name may repeat only with a distinct `id:` pin on every entry")
        else:
            yield _problem(entry, "name", f"datapoint key {key!r} is taken twice: by {spec.name!r} here and "
                                          f"by {original.spec.name!r} at {where} (pinned twins are keyed "
                                          "name#id); rename one")


def _duplicate_ids(datapoints: list[Declared]) -> Iterator[Problem]:
    pinned: dict[int, Declared] = {}
    for entry in datapoints:
        spec = entry.spec
        if spec.id is None:
            continue
        original = pinned.setdefault(spec.id, entry)
        if original is not entry:
            yield _problem(entry, "id", f"id {spec.id} is already pinned by {original.spec.name!r} "
                                        f"at {original.spec.locations['id']}")


TEXT_FIELDS = ("title", "notes", "description")


def _value_problems(entry: Declared) -> Iterator[Problem]:
    """The service's own rules for names, texts and values (`apishapes`, shared with the local
    server), so that nothing the service refuses passes `validate`."""
    spec = entry.spec
    if reason := name_problem(spec.name):
        yield _problem(entry, "name", f"the name {reason}")
    for tag in sorted(getattr(spec, "tags", None) or ()):
        if reason := name_problem(tag):
            yield _problem(entry, "tags", f"the tag {tag!r} {reason}")
    for key in TEXT_FIELDS:
        value = getattr(spec, key, None)
        if value is not None and (reason := text_problem(value)):
            yield _problem(entry, key, f"the {key} {reason}")
    value = getattr(spec, "value", None)
    if value is not None and abs(value) > MAX_MONEY:
        yield _problem(entry, "value", f"the value must be at most {MAX_MONEY:.4g} (a .NET decimal)")


ABSENT_KEYS = frozenset({"", "name", "type", "id", "absent"})


def _type_problems(entry: Declared) -> Iterator[Problem]:
    spec: DatapointSpec = entry.spec
    if spec.absent:
        extra = sorted(set(spec.locations) - ABSENT_KEYS - set(entry.inherited))
        if extra:
            yield _problem(entry, extra[0], f"{extra[0]!r} on a datapoint marked absent: true; it takes only "
                                            "name, type and id (it is deleted, not changed)")
        return
    if spec.type == LINK and spec.url is None and spec.destinations is None:
        yield _problem(entry, "", "a link needs a url or destinations (or write type: pixel)")
    elif spec.type == LINK and _url_written(spec) and (reason := url_problem(spec.url)):
        yield _problem(entry, "url", f"the url {reason}")
    if "/" in spec.name or any(char.isspace() for char in spec.name):  # the API refuses them
        yield _problem(entry, "name", "a datapoint name may not hold '/' or spaces (a link's name is its "
                                      f"short path, http://<domain>/<name>); got {spec.name!r}")
    source = " (its type comes from this file's defaults)" if "type" in entry.inherited else ""
    wrong, kind = (LINK_ONLY, "links") if spec.type == PIXEL else (PIXEL_ONLY, "pixels")
    for key in wrong:
        if key in spec.locations:
            yield _problem(entry, key, f"{key!r} is for {kind} only; {spec.name!r} is a {spec.type}{source}")


def _url_written(spec: DatapointSpec) -> bool:
    """The link's `url` is its own key, not the first url or the default of its `destinations`."""
    written = spec.locations
    return "url" in written and ("destinations" not in written or written["url"] != written["destinations"])


def _rename_problems(datapoints: list[Declared]) -> Iterator[Problem]:
    declared = {entry.spec.name: entry for entry in datapoints}
    claimed: dict[str, tuple[Declared, Location]] = {}
    for entry in datapoints:
        for index, (old, where) in enumerate(zip(entry.spec.renamed_from, entry.renamed_at, strict=True)):
            field = entry.field("renamed_from", index)
            other = declared.get(old)
            if other is not None:
                yield Problem(where, field, f"{old!r} is a declared datapoint (at {other.spec.locations['name']}); "
                                            "renamed_from lists former names only")
                continue
            first, first_at = claimed.setdefault(old, (entry, where))
            if first is not entry:
                yield Problem(where, field, f"{old!r} is already in renamed_from of {first.spec.name!r} at {first_at}")


# A name referred to, and how to find where and in which field (only a mismatch needs them).
Reference = tuple[str, Callable[[], tuple[Location, str]]]


def _written_at(entry: Declared, key: str) -> tuple[Location, str]:
    return entry.spec.locations[key], entry.field(key)


def _given(where: Location, field: str) -> tuple[Location, str]:
    return where, field


def _group_references(files: list[FileDeclarations]) -> Iterator[Reference]:
    for found in files:
        if found.settings is not None and found.settings.default_group is not None:
            where = found.settings_locations["default_group"]
            yield found.settings.default_group, partial(_given, where, "settings.default_group")
        for entry in found.datapoints:
            if entry.spec.group is not None:
                yield entry.spec.group, partial(_written_at, entry, "group")


def _conversion_references(datapoints: list[Declared]) -> Iterator[Reference]:
    for entry in datapoints:
        for name in sorted(entry.spec.conversions or ()):
            yield name, partial(_written_at, entry, "conversions")


def _case_mismatches(kind: str, declared: list[Declared],
                     references: Iterable[Reference]) -> Iterator[Problem]:
    """A reference that differs from a declared name only in case is a typo, not a live object."""
    names = {entry.spec.name for entry in declared}
    folded = {name.casefold(): name for name in sorted(names)}
    reported: set[tuple[str, Location]] = set()
    for name, written_at in references:
        if name in names:
            continue
        where, field = written_at()
        if (name, where) in reported:
            continue
        match = folded.get(name.casefold())
        if match is not None:
            reported.add((name, where))
            yield Problem(where, field, f"{kind} {name!r} is not declared but {match!r} is "
                                        f"(names are case-sensitive)")
