"""Live state -> format-v1 manifests that plan back to no changes.

`export_manifests` is pure: a `LiveState` in, file texts out, so that the
same state always gives the same bytes. The few file-system steps the command
takes (refusing a non-empty directory, writing, spotting stale manifests) are
at the end. The layout:

- `groups/<slug>.yaml`: one group's definition and its datapoints (the group
  set once through `defaults`, so that moving a file's links is one edit);
- `ungrouped.yaml`: datapoints in no group (`datapoints: []` for an empty
  account, so that there is a manifest to plan);
- `conversions.yaml`: the conversions (all of them, or with `--group` the ones
  the exported datapoints use);
- `tags.yaml`: tags nothing exported uses (whole-account export only; used tags
  are implied by the manifests);
- `manifest.schema.json`: a copy of the schema, which every file's first line
  (`# yaml-language-server: $schema=...`) points at.

The output is a function of the state alone: every list is sorted, fields at
their defaults are left out, and the YAML is emitted without aliases, with
unicode kept readable and with whatever quoting a value needs to load back as
the same string.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from reconciler.clickmeter.link_settings import DYNAMIC_URL
from reconciler.errors import ReconcilerError, did_you_mean
from reconciler.manifests.loader import load_texts
from reconciler.manifests.problems import ManifestError, Problem
from reconciler.manifests.schema import SCHEMA_FILE, schema_text
from reconciler.model import (
    DEFAULT_DESTINATION,
    LINK,
    LIST_MODES,
    PAUSE,
    REFERRERS,
    SIMPLE,
    STATUSES,
    LiveConversion,
    LiveDatapoint,
    LiveGroup,
    LiveState,
)
from reconciler.plan.settings_form import destinations_form, expires_form
from reconciler.safe_files import UnsafeWriteError, write_file

CONVERSIONS_FILE = "conversions.yaml"
TAGS_FILE = "tags.yaml"
UNGROUPED_FILE = "ungrouped.yaml"
GROUPS_DIR = "groups"
PASSWORD_ENV_PREFIX = "CLICKMETER_PASSWORD_"
DEFAULT_REDIRECT = "temporary"
SYSTEM_DOMAIN_KIND = "system"
MAX_SLUG_LENGTH = 60
# Names Windows will not open as files, whatever the extension.
RESERVED_FILE_STEMS = frozenset(
    ["con", "prn", "aux", "nul"] + [f"{port}{n}" for port in ("com", "lpt") for n in range(1, 10)]
)


class ExportError(ReconcilerError):
    """The export cannot be made as asked (an unknown group, a refused overwrite)."""


@dataclass(frozen=True, slots=True)
class ExportResult:
    """What to write and what to tell the user.

    `files` maps a path relative to the output directory to its text;
    `env_vars` maps each environment variable the manifests read to what it
    holds (never the value itself); `warnings` are one line each.
    """

    files: dict[str, str]
    env_vars: dict[str, str]
    warnings: tuple[str, ...]


def export_manifests(live: LiveState, groups: Sequence[str] | None = None) -> ExportResult:
    """Turn `live` (or only the named `groups` of it) into manifest files."""
    selected = _select_groups(live, groups)
    whole_account = groups is None
    by_group = _datapoints_by_group(live, {group.name for group in selected}, whole_account)
    exported = [dp for datapoints in by_group.values() for dp in datapoints]
    repeated = _repeated_names(live.datapoints.values())
    entries = _Entries(pinned={dp_id for ids in repeated.values() for dp_id in ids},
                       env_vars=_password_env_vars(dp for dp in exported if dp.password is not None),
                       default_domain=_default_domain(live))

    files = {SCHEMA_FILE: schema_text()} | _group_files(selected, by_group, entries)
    if by_group.get(None):
        files[UNGROUPED_FILE] = _document({"datapoints": entries.datapoints(by_group[None])})
    conversions = _exported_conversions(live, exported, whole_account)
    if conversions:
        files[CONVERSIONS_FILE] = _document({"conversions": [_conversion_entry(c) for c in conversions]})
    unused_tags = _unused_tags(live, exported, selected) if whole_account else []
    if unused_tags:
        files[TAGS_FILE] = _document({"tags": [{"name": name} for name in unused_tags]})
    if len(files) == 1:  # an empty account: plan needs at least one manifest to read
        files[UNGROUPED_FILE] = _document({"datapoints": []})

    variables = {entries.env_vars[dp.id]: f"password of link {dp.name!r} (id {dp.id})"
                 for dp in exported if dp.id in entries.env_vars}
    return ExportResult(files=dict(sorted(files.items())), env_vars=dict(sorted(variables.items())),
                        warnings=_warnings(repeated, exported))


def _warnings(repeated: dict[str, list[int]], exported: list[LiveDatapoint]) -> tuple[str, ...]:
    """What the export could not say exactly as live has it, one line each, sorted."""
    exported_names = {dp.name for dp in exported}
    pinned = [f"datapoint name {name!r} is not unique live (ids {', '.join(map(str, ids))}): "
              "exported with id pins" for name, ids in repeated.items() if name in exported_names]
    in_order = sorted(exported, key=lambda dp: (dp.name, dp.id))
    unmanaged = [f"datapoint {dp.name!r} (id {dp.id}) has status {dp.status!r}, which manifests cannot "
                 "declare: left out" for dp in in_order if dp.status not in STATUSES]
    dynamic = [f"link {dp.name!r} (id {dp.id}) uses DynamicUrl destinations, which manifests cannot declare: "
               "exported with its url only; plans leave its destinations as they are live"
               for dp in in_order if dp.destinations.mode == DYNAMIC_URL]
    return tuple(pinned + unmanaged + dynamic)


def _group_files(groups: list[LiveGroup], by_group: dict[str | None, list[LiveDatapoint]],
                 entries: _Entries) -> dict[str, str]:
    """`groups/<slug>.yaml` per group: its definition, its datapoints, the group as a file default."""
    file_names = _group_file_names(groups)
    files = {}
    for group in groups:
        content = {"defaults": {"group": group.name}, "groups": [_group_entry(group)]}
        _put(content, "datapoints", entries.datapoints(by_group.get(group.name, [])))
        files[f"{GROUPS_DIR}/{file_names[group.id]}"] = _document(content, depth=1)
    return files


# ------------------------------------------------------------------ selection


def _select_groups(live: LiveState, names: Sequence[str] | None) -> list[LiveGroup]:
    """The groups to export, sorted by name; an unknown name is an error."""
    by_name = {group.name: group for group in live.groups.values()}
    if names is None:
        return sorted(by_name.values(), key=lambda group: group.name)
    unknown = sorted(set(names) - set(by_name))
    if unknown:
        raise ExportError(f"export --group: no live group named {', '.join(map(repr, unknown))}"
                          f"{did_you_mean(unknown[0], by_name)}")
    return [by_name[name] for name in sorted(set(names))]


def _datapoints_by_group(live: LiveState, group_names: set[str],
                         with_ungrouped: bool) -> dict[str | None, list[LiveDatapoint]]:
    """Exported datapoints per group name (`None`: ungrouped), each list sorted."""
    by_group: dict[str | None, list[LiveDatapoint]] = {}
    for dp in live.datapoints.values():
        if dp.group in group_names or (dp.group is None and with_ungrouped):
            by_group.setdefault(dp.group, []).append(dp)
    for datapoints in by_group.values():
        datapoints.sort(key=lambda dp: (dp.name, dp.type, dp.id))
    return by_group


def _repeated_names(datapoints: Iterable[LiveDatapoint]) -> dict[str, list[int]]:
    """Each name more than one live datapoint has, with their ids (sorted).

    Counted over the whole account, not the exported part: a name matched twice
    is ambiguous to the planner whichever group the other one is in.
    """
    ids_by_name: dict[str, list[int]] = {}
    for dp in datapoints:
        ids_by_name.setdefault(dp.name, []).append(dp.id)
    return {name: sorted(ids) for name, ids in sorted(ids_by_name.items()) if len(ids) > 1}


def _exported_conversions(live: LiveState, exported: list[LiveDatapoint],
                          whole_account: bool) -> list[LiveConversion]:
    used = {name for dp in exported for name in dp.conversions}
    return sorted((c for c in live.conversions.values() if whole_account or c.name in used),
                  key=lambda c: c.name)


def _unused_tags(live: LiveState, exported: list[LiveDatapoint], groups: list[LiveGroup]) -> list[str]:
    used = {tag for dp in exported for tag in dp.tags} | {tag for group in groups for tag in group.tags}
    return sorted({tag.name for tag in live.tags.values()} - used)


def _default_domain(live: LiveState) -> str | None:
    """The domain a link gets when it names none: the account's one system domain."""
    system = [domain.name for domain in live.domains.values()
              if (domain.kind or "").lower() == SYSTEM_DOMAIN_KIND]
    return system[0] if len(system) == 1 else None


# --------------------------------------------------------------------- naming


def _ascii_words(text: str) -> list[str]:
    """`text` folded to ASCII letters and digits, split at everything else."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.findall(r"[A-Za-z0-9]+", folded)


def _unique_names(bases: dict[int, str], suffix: str) -> dict[int, str]:
    """Make `bases` (id -> candidate) unique: a shared or taken one gets `suffix` + id.

    The id, not a counter, keeps a name stable when other objects come and go.
    Candidates compare case-insensitively (file systems that fold case).
    """
    counts = Counter(base.lower() for base in bases.values())
    taken: set[str] = set()
    names: dict[int, str] = {}
    for object_id, base in sorted(bases.items(), key=lambda item: (item[1], item[0])):
        name = base if counts[base.lower()] == 1 else f"{base}{suffix}{object_id}"
        while name.lower() in taken:
            name = f"{name}{suffix}{object_id}"
        taken.add(name.lower())
        names[object_id] = name
    return names


def _group_file_names(groups: list[LiveGroup]) -> dict[int, str]:
    """A file-system-safe, collision-free `.yaml` name per group id."""
    bases = {}
    for group in groups:
        stem = "-".join(_ascii_words(group.name)).lower()[:MAX_SLUG_LENGTH].strip("-") or "group"
        bases[group.id] = f"{stem}-group" if stem in RESERVED_FILE_STEMS else stem
    names = _unique_names(bases, "-")
    return {group_id: f"{name}.yaml" for group_id, name in names.items()}


def _password_env_vars(datapoints: Iterable[LiveDatapoint]) -> dict[int, str]:
    """A valid, unique environment variable name per password-protected link."""
    bases = {dp.id: PASSWORD_ENV_PREFIX + ("_".join(_ascii_words(dp.name)).upper() or "LINK")
             for dp in datapoints}
    return _unique_names(bases, "_")


# -------------------------------------------------------------------- entries


@dataclass(frozen=True, slots=True)
class _Entries:
    """How this export writes datapoints: which get `id:` pins, which variable holds
    each password, and the domain a link need not name."""

    pinned: set[int]
    env_vars: dict[int, str]
    default_domain: str | None

    def datapoints(self, datapoints: list[LiveDatapoint]) -> list[dict[str, Any]]:
        return [self.datapoint(dp) for dp in datapoints]

    def datapoint(self, dp: LiveDatapoint) -> dict[str, Any]:
        """One datapoint in manifest key order, defaults left out (the group is a file default)."""
        entry: dict[str, Any] = {"name": dp.name}
        if dp.id in self.pinned:
            entry["id"] = dp.id
        if dp.type != LINK:
            entry["type"] = dp.type
        if dp.destinations.mode in (SIMPLE, DYNAMIC_URL):
            _put(entry, "url", dp.url)
        else:
            entry["destinations"] = _destinations_entry(dp)
        _put(entry, "title", dp.title)
        if dp.domain != self.default_domain:
            _put(entry, "domain", dp.domain)
        if dp.redirect != DEFAULT_REDIRECT:
            _put(entry, "redirect", dp.redirect)
        _put(entry, "tags", sorted(dp.tags))
        _put(entry, "conversions", sorted(dp.conversions))
        _put(entry, "retargeting", sorted(dp.retargeting))
        if dp.favourite:
            entry["favourite"] = True
        _put(entry, "notes", dp.notes)
        if dp.status != "active" and dp.status in STATUSES:
            entry["status"] = dp.status
        if dp.id in self.env_vars:
            # optional: without the variable the password stays as it is live, so the export plans clean
            entry["password"] = _Inline(env=self.env_vars[dp.id], optional=True)
        return entry | _settings_entry(dp)


def _destinations_entry(dp: LiveDatapoint) -> dict[str, Any]:
    """A multi-destination link's `destinations`: a keyed mode's urls end with its `default`,
    the link's own url."""
    form = destinations_form(dp.destinations)
    if form["mode"] not in LIST_MODES:
        form["urls"] = {**form.get("urls", {}), DEFAULT_DESTINATION: dp.url}
    return form


def _settings_entry(dp: LiveDatapoint) -> dict[str, Any]:
    """The settings away from their defaults, in the manifests' order."""
    entry: dict[str, Any] = {}
    form = expires_form(dp.expires)
    if isinstance(form, dict):  # else it never expires: the default
        entry["expires"] = {key: value for key, value in form.items() if (key, value) != ("then", PAUSE)}
    for field in ("forward_query", "encode_url"):
        if getattr(dp, field):
            entry[field] = True
    if dp.cloak:
        entry["cloak"] = {"title": dp.cloak_title} if dp.cloak_title else True
    if dp.referrer != REFERRERS[0]:
        entry["referrer"] = dp.referrer
    for field in ("anonymise_ip", "light_tracking", "public", "redirect_only"):
        if getattr(dp, field):
            entry[field] = True
    _put(entry, "parameter_note", dp.parameter_note)
    return entry


def _group_entry(group: LiveGroup) -> dict[str, Any]:
    entry: dict[str, Any] = {"name": group.name}
    _put(entry, "notes", group.notes)
    if group.favourite:
        entry["favourite"] = True
    _put(entry, "tags", sorted(group.tags))
    return entry


def _conversion_entry(conversion: LiveConversion) -> dict[str, Any]:
    entry: dict[str, Any] = {"name": conversion.name}
    _put(entry, "value", conversion.value)
    _put(entry, "protocol", conversion.protocol)
    _put(entry, "description", conversion.description)
    return entry


def _put(entry: dict[str, Any], key: str, value: Any) -> None:
    """Set `key` unless `value` is absent or empty (the API's default)."""
    if value is not None and value != "" and value != []:
        entry[key] = value


# ----------------------------------------------------------------------- YAML


class _Inline(dict[str, Any]):
    """A small mapping written on one line, as `{env: NAME, optional: true}`."""


class _ManifestDumper(yaml.CSafeDumper):
    """Safe YAML, never an alias, laid out as the manifest docs write it.

    Mappings are blocks except `_Inline` ones, lists of names are written on
    one line (`[a, b]`), multi-line text is a `|` block when that can hold it
    exactly (the emitter falls back to a quoted scalar otherwise).
    """

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _represent_str(dumper: _ManifestDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


def _represent_list(dumper: _ManifestDumper, value: list[Any]) -> yaml.SequenceNode:
    flow = all(isinstance(item, str) for item in value)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", value, flow_style=flow)


def _represent_inline(dumper: _ManifestDumper, value: _Inline) -> yaml.MappingNode:
    return dumper.represent_mapping("tag:yaml.org,2002:map", value.items(), flow_style=True)


_ManifestDumper.add_representer(str, _represent_str)
_ManifestDumper.add_representer(list, _represent_list)
_ManifestDumper.add_representer(_Inline, _represent_inline)


def _document(content: dict[str, Any], depth: int = 0) -> str:
    """The YAML text of one manifest file, headed by its schema line.

    `depth` is how many folders below the output directory the file sits, so
    that the schema line finds the schema copy written at the top.
    """
    header = f"# yaml-language-server: $schema={'../' * depth}{SCHEMA_FILE}\n"
    body = yaml.dump(content, Dumper=_ManifestDumper, sort_keys=False, allow_unicode=True,
                     default_flow_style=False, width=1 << 30)
    return header + body


# -------------------------------------------------------------------- writing


SHOWN_REFUSALS = 5  # live objects named when the export would not validate; the rest are counted
_ENTRY_FIELD = re.compile(r"(groups|conversions|tags|datapoints)\[(\d+)\]\.?(.*)")


def refuse_invalid(files: dict[str, str]) -> None:
    """Refuse, before writing anything, manifests that `validate` would refuse: the live
    account holds what the manifests cannot (a control character in a name, an infinite
    value), and a round trip that breaks on the next plan is worse than none."""
    manifests = {path: text for path, text in files.items() if path.endswith((".yaml", ".yml"))}
    try:
        load_texts(manifests)
    except ManifestError as error:
        documents: dict[str, Any] = {}
        named = list(dict.fromkeys(_live_problem(problem, manifests, documents) for problem in error.problems))
        more = len(named) - SHOWN_REFUSALS
        raise ExportError("export: the account holds what manifests cannot: " + "; ".join(named[:SHOWN_REFUSALS])
                          + (f"; and {more} more" if more > 0 else "")
                          + "; nothing was written (fix these in the account first)") from None


def _live_problem(problem: Problem, manifests: dict[str, str], documents: dict[str, Any]) -> str:
    """One problem of an exported file, named by the live object it came from (a group file's
    `defaults.group` is its group)."""
    file = problem.location.file
    if file not in documents:
        documents[file] = yaml.safe_load(manifests[file])
    document = documents[file]
    if problem.field == "defaults.group":
        return f"group {document['defaults']['group']!r}: name: {problem.message}"
    match = _ENTRY_FIELD.fullmatch(problem.field)
    if match is None:
        return f"{file}: {problem.field}: {problem.message}"
    section, index, rest = match.group(1), int(match.group(2)), match.group(3)
    entry = document[section][index]
    return f"{section[:-1]} {entry.get('name')!r}: {rest or 'entry'}: {problem.message}"


def check_output_dir(out: Path, force: bool) -> None:
    """Refuse, before any call is made, to write into a non-empty `out` without `force`."""
    if out.exists() and not out.is_dir():
        raise ExportError(f"export --out {out}: not a directory")
    if not force and out.is_dir() and any(out.iterdir()):
        raise ExportError(f"export --out {out}: the directory is not empty (pass --force to write into it)")


def write_export(out: Path, files: dict[str, str]) -> list[Path]:
    """Write `files` under `out` as UTF-8 with `\\n` line ends; the paths written, in order.

    Never through a symlink inside `out` (`safe_files`): `--force` writes into
    a folder that may hold links to elsewhere.
    """
    written = []
    out.mkdir(parents=True, exist_ok=True)
    for relative, text in files.items():
        path = out / relative
        try:
            write_file(path, text, base=out)
        except UnsafeWriteError as error:
            raise ExportError(f"export: {error}") from None
        except OSError as error:
            raise ExportError(f"export: cannot write {path}: {error.strerror}") from None
        written.append(path)
    return written


def stale_manifests(out: Path, files: dict[str, str]) -> list[Path]:
    """Manifest files already in `out` that this export did not write: plan would still read them."""
    return sorted(path for pattern in ("*.yaml", "*.yml") for path in out.rglob(pattern)
                  if path.relative_to(out).as_posix() not in files)


def report_lines(out: Path, written: list[Path], result: ExportResult,
                 stale: list[Path]) -> tuple[list[str], list[str]]:
    """What to tell the user after writing: (lines for stdout, warnings for stderr)."""
    lines = [f"wrote {len(written)} files to {out}:", *(f"  {path}" for path in written)]
    if result.env_vars:
        width = max(map(len, result.env_vars))
        lines.append("set these environment variables to manage the passwords (unset, plan leaves them as live):")
        lines += [f"  {variable:<{width}}  {meaning}" for variable, meaning in result.env_vars.items()]
    warnings = [f"warning: {warning}" for warning in result.warnings]
    warnings += [f"warning: {path} was not written by this export; plan still reads it" for path in stale]
    return lines, warnings
