"""Find, read and merge manifest files into one `DesiredState`.

Every problem of every file is collected and raised at the end as one
`ManifestError`, so `validate` shows them all at once. Paths in messages are
as the user gave them.
"""

from __future__ import annotations

import errno
import gc
import hashlib
import os
from collections.abc import Sequence
from dataclasses import dataclass

from reconciler.manifests.build import FileDeclarations, apply_settings, declarations
from reconciler.manifests.checks import cross_file_problems, first_declarations, keyed_datapoints
from reconciler.manifests.link_settings import dates_as_text
from reconciler.manifests.problems import ManifestError, Problem
from reconciler.manifests.schema import schema_problems
from reconciler.manifests.setting_checks import setting_problems
from reconciler.manifests.yamldoc import LocatedMap, location, parse_document
from reconciler.model import DatapointSpec, DesiredState, GroupSpec, Location, TagSpec

EXTENSIONS = (".yaml", ".yml")


@dataclass(frozen=True, slots=True)
class Source:
    """One manifest file: as shown to the user, and as hashed into the digest."""

    shown: str  # the path as the user gave it, joined with the part found below it
    relative: str  # relative to the directory given (or the file name): the same in any checkout


def load_manifests(paths: Sequence[str]) -> DesiredState:
    """All manifests under `paths`, checked and merged; `ManifestError` lists every problem.

    Passwords are left unresolved (`EnvPassword`): call `resolve_secrets` before planning.
    """
    problems: list[Problem] = []
    sources = find_sources(paths, problems)
    contents = {source: data for source in sources if (data := read_source(source, problems)) is not None}
    return _checked(sources, contents, problems)


def load_texts(texts: dict[str, str]) -> DesiredState:
    """Manifests held in memory (relative path -> text), checked as `load_manifests` checks files:
    export proves what it is about to write would validate."""
    sources = [Source(relative, relative) for relative in sorted(texts)]
    return _checked(sources, {source: texts[source.relative].encode() for source in sources}, [])


def _checked(sources: list[Source], contents: dict[Source, bytes], problems: list[Problem]) -> DesiredState:
    collecting = gc.isenabled()
    gc.disable()  # every value built here is kept: cyclic GC passes over them only cost time
    try:
        files = [found for source, data in contents.items()
                 if (found := _declarations(source, data, problems)) is not None]
    finally:
        if collecting:
            gc.enable()
    problems.extend(cross_file_problems(files))
    if problems:
        raise ManifestError(problems)
    return _merge(files, tuple(source.shown for source in sources), manifest_digest(contents))


def find_sources(paths: Sequence[str], problems: list[Problem]) -> list[Source]:
    """Every manifest file under `paths`, once each, sorted by the path shown.

    A directory is searched recursively for *.yaml and *.yml, skipping hidden
    files and directories (`.github`, `.git`); a file named explicitly is read
    whatever its name.
    """
    found: dict[str, Source] = {}
    for given in paths:
        if os.path.isdir(given):
            known = len(problems)
            below = _manifests_below(given, problems)
            if not below and len(problems) == known:
                problems.append(_path_problem(given, "no *.yaml or *.yml files in this directory"))
            for relative in below:
                shown = os.path.join(given, relative)
                found.setdefault(os.path.realpath(shown), Source(shown, relative.replace(os.sep, "/")))
        elif os.path.isfile(given):
            found.setdefault(os.path.realpath(given), Source(given, os.path.basename(given)))
        elif os.path.exists(given):
            problems.append(_path_problem(given, "not a file or a directory"))
        else:
            problems.append(_path_problem(given, "no such file or directory"))
    return sorted(found.values(), key=lambda source: source.shown)


def read_source(source: Source, problems: list[Problem]) -> bytes | None:
    try:
        with open(source.shown, "rb") as stream:
            return stream.read()
    except OSError as error:
        problems.append(_path_problem(source.shown, f"cannot read: {error.strerror or error}"))
        return None


def manifest_digest(contents: dict[Source, bytes]) -> str:
    """sha256 over each file's relative path and bytes, in path order: equal manifests, equal digest."""
    digest = hashlib.sha256()
    for source in sorted(contents, key=lambda source: (source.relative, source.shown)):
        name = source.relative.encode()
        data = contents[source]
        digest.update(b"%d:%s:%d:" % (len(name), name, len(data)))
        digest.update(data)
    return digest.hexdigest()


def _manifests_below(directory: str, problems: list[Problem]) -> list[str]:
    """The manifest files under `directory`, relative to it, in walk order.

    A symlink (to a file or a folder) is followed while it stays inside
    `directory`; one leading outside it, a loop, a broken manifest link and a
    folder that cannot be read are problems, never skipped: a partial read
    would plan the deletion of what the unread part declares.
    """
    root = os.path.realpath(directory)
    found: list[str] = []
    _walk(_Walk(directory, root, problems, {root}, found), "", (root,))
    return found


@dataclass(slots=True)
class _Walk:
    """What a walk of one given directory carries from folder to folder."""

    given: str
    root: str  # the real path of `given`: symlinks must stay under it
    problems: list[Problem]
    visited: set[str]  # real paths of the folders walked (each is read once)
    found: list[str]


def _walk(walk: _Walk, relative: str, ancestors: tuple[str, ...]) -> None:
    folder = os.path.join(walk.given, relative)
    try:
        with os.scandir(folder) as scan:
            entries = sorted(scan, key=lambda entry: entry.name)
    except OSError as error:
        walk.problems.append(_path_problem(folder.rstrip(os.sep), f"cannot read this folder: {_reason(error)}"))
        return
    for entry in entries:
        if entry.name.startswith("."):
            continue
        below = os.path.join(relative, entry.name)
        manifest = entry.name.lower().endswith(EXTENSIONS)
        linked = entry.is_symlink()
        real = _followed(walk, entry.path, manifest) if linked else None
        if linked and real is None:
            continue
        if entry.is_dir():
            real = real or os.path.realpath(entry.path)
            if real in ancestors:
                walk.problems.append(_path_problem(entry.path, "a symlink loop: it leads back to a folder above it"))
            elif real not in walk.visited:  # a folder linked twice inside the tree is read once
                walk.visited.add(real)
                _walk(walk, below, (*ancestors, real))
        elif manifest and entry.is_file():  # a FIFO or device would block the read
            walk.found.append(below)


def _followed(walk: _Walk, path: str, manifest: bool) -> str | None:
    """Where the symlink at `path` leads, or None (a problem noted) when it may not be followed."""
    try:
        real = os.path.realpath(path, strict=True)
    except OSError as error:
        if error.errno == errno.ELOOP:
            walk.problems.append(_path_problem(path, "a symlink loop"))
        elif manifest:
            walk.problems.append(_path_problem(path, f"a broken symlink: {_reason(error)}"))
        return None
    inside = real == walk.root or real.startswith(walk.root.rstrip(os.sep) + os.sep)
    if not inside and (manifest or os.path.isdir(real)):
        walk.problems.append(_path_problem(path, f"a symlink leading outside {walk.given}: refused "
                                                 "(symlinks are followed only inside the folder given)"))
        return None
    return real if inside else None


def _reason(error: OSError) -> str:
    return error.strerror or type(error).__name__


def _path_problem(path: str, message: str) -> Problem:
    return Problem(Location(path, 1, 1), "path", message)


def _declarations(source: Source, data: bytes, problems: list[Problem]) -> FileDeclarations | None:
    """One file's declarations, or None when it is not a usable manifest."""
    text = _decode(source.shown, data, problems)
    if text is None:
        return None
    document, spoiled = parse_document(text, source.shown, problems)
    if document is None:
        return None
    if not isinstance(document, LocatedMap):
        mark = getattr(document, "mark", None)
        problems.append(Problem(location(source.shown, mark) if mark else Location(source.shown, 1, 1), "document",
                                "a manifest must be a mapping of settings, defaults, groups, "
                                "conversions, tags and datapoints"))
        return None
    spoiled_paths = set(spoiled)
    dates_as_text(document)
    found = [(path, problem) for path, problem in schema_problems(document, source.shown)
             if not any(path[:length] in spoiled_paths for length in range(len(path) + 1))]
    problems.extend(problem for _, problem in found)
    problem_paths = spoiled_paths.union(path for path, _ in found)
    problems.extend(setting_problems(document, source.shown, problem_paths))
    return declarations(document, source.shown, problem_paths)


def _decode(shown: str, data: bytes, problems: list[Problem]) -> str | None:
    if b"\0" in data:
        problems.append(_path_problem(shown, "a binary file, not YAML text"))
        return None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        column = error.start - (data.rfind(b"\n", 0, error.start) + 1) + 1
        problems.append(Problem(Location(shown, line, column), "yaml",
                                f"not UTF-8 text (byte 0x{data[error.start]:02x})"))
        return None


def _merge(files: list[FileDeclarations], shown: tuple[str, ...], digest: str) -> DesiredState:
    """One desired state from files already checked for duplicates and conflicts."""
    desired = DesiredState(files=shown, digest=digest)
    settings = [found for found in files if found.settings is not None]
    if settings:
        desired.settings = settings[0].settings  # type: ignore[assignment]
    for section in ("groups", "conversions", "tags"):
        declared = first_declarations([entry for found in files for entry in getattr(found, section)])
        setattr(desired, section, {name: entry.spec for name, entry in declared.items()})
    keyed = keyed_datapoints([entry for found in files for entry in found.datapoints])
    desired.datapoints = {key: entry.spec for key, entry in keyed.items()}
    if settings:
        for spec in desired.datapoints.values():
            apply_settings(spec, desired.settings, settings[0].settings_locations)
    _add_implied_tags(desired)
    return desired


def _add_implied_tags(desired: DesiredState) -> None:
    """A tag used by a datapoint or a group exists as if listed (where first used)."""
    owners: list[GroupSpec | DatapointSpec] = [*desired.groups.values(), *desired.datapoints.values()]
    for owner in owners:
        for name in sorted(owner.tags or ()):
            if name not in desired.tags:
                desired.tags[name] = TagSpec(name=name, locations={"": owner.locations["tags"]})
