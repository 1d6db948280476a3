"""YAML text -> plain values that remember where each key and value was written.

libyaml composes the node tree (fast, with marks); the values are built here
rather than by PyYAML's constructor so that duplicate keys, unsupported tags and
recursive aliases become `Problem`s, and so that every mapping and list keeps
the line and column of its items for the messages of later checks.
"""

from __future__ import annotations

import binascii
import math
import re
from collections.abc import Callable
from typing import Any, ClassVar

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from reconciler.manifests.problems import Problem, field_path
from reconciler.model import Location
from reconciler.terminal import clipped

Mark = yaml.Mark  # where a node starts; its line and column count from 0
DocPath = tuple[str | int, ...]

STR_TAG = "tag:yaml.org,2002:str"
MERGE_TAG = "tag:yaml.org,2002:merge"
_SCALAR_CONSTRUCTORS: dict[str, Callable[[yaml.SafeLoader, ScalarNode], Any]] = {
    f"tag:yaml.org,2002:{kind}": yaml.SafeLoader.yaml_constructors[f"tag:yaml.org,2002:{kind}"]
    for kind in ("null", "bool", "int", "float", "timestamp", "binary")
}
# Aliases may repeat a collection any number of times ("billion laughs"): past this
# many repeated values a file is refused rather than handed to later checks.
MAX_ALIASED_VALUES = 100_000
# The scalar constructors used above keep no state, so one instance serves all files.
_CONSTRUCTOR = yaml.SafeLoader("")


# YAML 1.1 reads these plain words as booleans, YAML 1.2 (and editors) as text. As a key they are
# text here, so that `expires: {on: 2027-06-30}` means what it says.
_WORD_KEYS = frozenset({"on", "off", "yes", "no"})


def _is_word_key(node: ScalarNode) -> bool:
    return node.tag == "tag:yaml.org,2002:bool" and not node.style and node.value.lower() in _WORD_KEYS


class _TooMuchAliasing(Exception):
    """Aliases repeat more than `MAX_ALIASED_VALUES` values."""


class LocatedMap(dict[Any, Any]):
    """A mapping that knows where it, each key and each value were written."""

    __slots__ = ("key_marks", "mark", "value_marks")

    def __init__(self, mark: Mark) -> None:  # dict.__init__ is left out: it would only add items
        self.mark = mark
        self.key_marks: dict[Any, Mark] = {}
        self.value_marks: dict[Any, Mark] = {}


class LocatedList(list[Any]):
    """A list that knows where it and each item were written."""

    __slots__ = ("item_marks", "mark")

    def __init__(self, mark: Mark) -> None:  # list.__init__ is left out: it would only add items
        self.mark = mark
        self.item_marks: list[Mark] = []


def location(file: str, mark: Mark) -> Location:
    """The 1-based `Location` of a mark."""
    return Location(file, mark.line + 1, mark.column + 1)


class _Builder:
    """Builds the values of one file's node tree, collecting problems."""

    def __init__(self, file: str, problems: list[Problem]) -> None:
        self.file = file
        self.problems = problems
        self.built: dict[int, Any] = {}  # alias targets, built once (no "billion laughs")
        self.in_progress: set[int] = set()
        self.spoiled: list[DocPath] = []  # where a problem was found: later checks skip these
        self.aliased = 0  # values repeated through aliases so far
        self.sizes: dict[int, int] = {}

    def problem(self, mark: Mark, path: DocPath, message: str) -> None:
        self.problems.append(Problem(location(self.file, mark), field_path(path), message))
        self.spoiled.append(path)

    def value(self, node: Node, path: DocPath) -> Any:
        if type(node) is ScalarNode:
            return self.scalar(node, path)
        key = id(node)
        if key in self.built:
            self.aliased += self.size(self.built[key])
            if self.aliased > MAX_ALIASED_VALUES:
                raise _TooMuchAliasing
            return self.built[key]
        if key in self.in_progress:
            self.problem(node.start_mark, path, "an alias refers to the node that contains it")
            return None
        self.in_progress.add(key)
        try:
            assert isinstance(node, MappingNode | SequenceNode)  # a scalar was built above
            built = self.mapping(node, path) if isinstance(node, MappingNode) else self.sequence(node, path)
        finally:
            self.in_progress.discard(key)
        self.built[key] = built
        return built

    def size(self, value: Any) -> int:
        """How many values `value` holds, counting repeats (known once computed)."""
        if not isinstance(value, (list, dict)):
            return 1
        if id(value) not in self.sizes:
            items = value.values() if isinstance(value, dict) else value
            self.sizes[id(value)] = 1 + sum(map(self.size, items))
        return self.sizes[id(value)]

    def scalar(self, node: ScalarNode, path: DocPath) -> Any:
        if node.tag == STR_TAG:
            return node.value
        construct = _SCALAR_CONSTRUCTORS.get(node.tag)
        if construct is None:
            self.problem(node.start_mark, path, f"unsupported YAML tag {node.tag}")
            return None
        try:
            value = construct(_CONSTRUCTOR, node)
        except (yaml.YAMLError, ValueError, TypeError, binascii.Error):
            self.problem(node.start_mark, path,
                         f"{clipped(repr(node.value), 60)} is not a valid {node.tag.rsplit(':', 1)[-1]}")
            return None
        if isinstance(value, float) and not math.isfinite(value):
            self.problem(node.start_mark, path, "infinite and NaN numbers are not allowed")
            return None
        return value

    def sequence(self, node: SequenceNode, path: DocPath) -> LocatedList:
        items = LocatedList(node.start_mark)
        marks = items.item_marks
        for index, child in enumerate(node.value):
            if type(child) is ScalarNode and child.tag == STR_TAG:  # the common case, inlined
                items.append(child.value)
            else:
                items.append(self.value(child, (*path, index)))
            marks.append(child.start_mark)
        return items

    def mapping(self, node: MappingNode, path: DocPath) -> LocatedMap:
        result = LocatedMap(node.start_mark)
        merges: list[tuple[Node, DocPath]] = []
        key_marks, value_marks = result.key_marks, result.value_marks
        for key_node, value_node in node.value:
            if type(key_node) is ScalarNode and key_node.tag == STR_TAG:  # the common case, inlined
                key = key_node.value
            elif key_node.tag == MERGE_TAG:
                merges.append((value_node, path))
                continue
            elif (key := self.key(key_node, path)) is None:
                continue
            if key in key_marks:
                first = key_marks[key]
                self.problem(key_node.start_mark, (*path, key),
                             f"duplicate key {key!r} (first at line {first.line + 1}, column {first.column + 1})")
                continue
            key_marks[key] = key_node.start_mark
            value_marks[key] = value_node.start_mark
            if type(value_node) is ScalarNode and value_node.tag == STR_TAG:  # the common case, inlined
                result[key] = value_node.value
            else:
                result[key] = self.value(value_node, (*path, key))
        for value_node, merge_path in merges:
            self.merge(result, value_node, merge_path)
        return result

    def key(self, node: Node, path: DocPath) -> str | None:
        if type(node) is ScalarNode and (node.tag == STR_TAG or _is_word_key(node)):
            return str(node.value)
        shown = node.value if type(node) is ScalarNode else "a collection"
        self.problem(node.start_mark, path, f"a key must be text, got {shown!r} (quote it)")
        return None

    def merge(self, target: LocatedMap, node: Node, path: DocPath) -> None:
        """`<<: *anchor` (or a list of them): keys written in the mapping itself win."""
        sources = node.value if isinstance(node, SequenceNode) else [node]
        for source in sources:
            merged = self.value(source, path)
            if not isinstance(merged, LocatedMap):
                self.problem(source.start_mark, path, "a merge key (<<) needs a mapping or a list of mappings")
                continue
            for key, value in merged.items():
                if key not in target.key_marks:
                    target.key_marks[key] = merged.key_marks[key]
                    target.value_marks[key] = merged.value_marks[key]
                    target[key] = value


class _FastLoader(yaml.CSafeLoader):
    """libyaml's composer with a leaner tag resolver (no path resolvers, no lists built)."""

    _IMPLICIT: ClassVar[dict[str, tuple[tuple[str, re.Pattern[str]], ...]]] = {
        first: tuple(resolvers) + tuple(yaml.CSafeLoader.yaml_implicit_resolvers.get(None, ()))
        for first, resolvers in yaml.CSafeLoader.yaml_implicit_resolvers.items() if first is not None}
    _DEFAULT_TAGS: ClassVar[dict[type[Node], str]] = {
        ScalarNode: STR_TAG, SequenceNode: yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG,
        MappingNode: yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG}

    def descend_resolver(self, current_node: Any, current_index: Any) -> None:
        return None

    def ascend_resolver(self) -> None:
        return None

    def resolve(self, kind: type, value: Any, implicit: tuple[bool, bool]) -> str:
        if kind is ScalarNode and implicit[0]:
            tag = _PLAIN_TAGS.get(value)
            if tag is None:
                tag = self._plain_tag(value)
                if len(_PLAIN_TAGS) < MAX_PLAIN_TAGS:
                    _PLAIN_TAGS[value] = tag
            return tag
        return self._DEFAULT_TAGS[kind]

    @classmethod
    def _plain_tag(cls, value: str) -> str:
        for tag, pattern in cls._IMPLICIT.get(value[:1], ()):
            if pattern.match(value):
                return tag
        return STR_TAG


# Plain scalar -> its implicit tag, learnt as met: keys and many values repeat in every item.
MAX_PLAIN_TAGS = 4096  # new texts past this many are resolved each time rather than grow the table
_PLAIN_TAGS: dict[str, str] = {}


INDENTATION_SLIPS = ("did not find expected key", "expected <block end>", "could not find expected ':'",
                     "did not find expected '-' indicator")


def _syntax_hint(error: yaml.MarkedYAMLError, text: str) -> str:
    """What usually causes libyaml's words: a tab, or an indentation that slipped."""
    lines = text.splitlines()
    near = {line for m in (error.problem_mark, error.context_mark) if m is not None
            for line in lines[max(m.line - 1, 0):m.line + 1]}
    if any("\t" in line[:len(line) - len(line.lstrip())] for line in near):
        return "; YAML indents with spaces, never tabs"
    if "mapping values are not allowed" in (error.problem or ""):
        return "; quote a value that holds ': ', or check the indentation"
    if any(slip in (error.problem or "") for slip in INDENTATION_SLIPS):
        return "; check the indentation of this line and the one above (items of one list or map line up)"
    return ""


def _syntax_problem(error: yaml.MarkedYAMLError, file: str, text: str) -> Problem:
    """libyaml's message, at the problem, with the construct it was reading and a hint."""
    mark = error.problem_mark or error.context_mark
    where = location(file, mark) if mark else Location(file, 1, 1)
    detail = error.problem or error.context or "invalid YAML"
    if detail.startswith("but found another document"):
        detail = "a manifest file holds one YAML document; a second one starts here"
    elif error.problem and error.context and error.context_mark:
        detail += f" ({error.context} at line {error.context_mark.line + 1}, column {error.context_mark.column + 1})"
    return Problem(where, "yaml", detail + _syntax_hint(error, text))


def parse_document(text: str, file: str, problems: list[Problem]) -> tuple[Any, list[DocPath]]:
    """The file's single YAML document as located values (None when empty or broken).

    Also returns the paths of the values that had problems (duplicate keys,
    unsupported tags...), so that other checks do not report them again.
    """
    try:
        loader = _FastLoader(text)
        try:
            node = loader.get_single_node()
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as error:
        problems.append(_syntax_problem(error, file, text))
        return None, []
    except yaml.YAMLError as error:
        problems.append(Problem(Location(file, 1, 1), "yaml", str(error).splitlines()[0]))
        return None, []
    if node is None:
        return None, []
    builder = _Builder(file, problems)
    try:
        return builder.value(node, ()), builder.spoiled
    except RecursionError:
        problems.append(Problem(location(file, node.start_mark), "yaml", "nested too deeply"))
    except _TooMuchAliasing:
        problems.append(Problem(location(file, node.start_mark), "yaml",
                                f"aliases repeat more than {MAX_ALIASED_VALUES} values"))
    return None, []
