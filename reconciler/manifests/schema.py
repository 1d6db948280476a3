"""The manifest JSON Schema: loading it, checking documents, and wording its errors.

`jsonschema` gives exact errors but costs about 1 s per 10,000 datapoints here,
so each document first goes through `quick_check`, compiled once from the same
schema, which only answers "certainly valid". Only a document it does not pass
is walked by `jsonschema` for the errors.
"""

from __future__ import annotations

import difflib
import functools
import json
import pathlib
from collections.abc import Callable, Iterator, Mapping
from importlib import resources
from typing import TYPE_CHECKING, Any

from reconciler.manifests.problems import Problem, field_path
from reconciler.manifests.quickcheck import compile_quick_check
from reconciler.manifests.yamldoc import DocPath, LocatedList, LocatedMap, Mark, location
from reconciler.terminal import clipped

if TYPE_CHECKING:  # imported when first needed: only a document quick_check does not pass needs it
    from jsonschema import Draft202012Validator, ValidationError

SCHEMA_FILE = "manifest.schema.json"


def schema_text(name: str = SCHEMA_FILE) -> str:
    """A schema as installed (package data `reconciler.schemas`), or from the source tree."""
    try:
        return resources.files("reconciler.schemas").joinpath(name).read_text("utf-8")
    except ModuleNotFoundError:
        return (pathlib.Path(__file__).resolve().parents[2] / "schemas" / name).read_text("utf-8")


@functools.cache
def manifest_schema() -> dict[str, Any]:
    schema: dict[str, Any] = json.loads(schema_text())
    return schema


@functools.cache
def validator() -> Draft202012Validator:
    from jsonschema import Draft202012Validator  # ~40 ms of imports that valid manifests never need

    return Draft202012Validator(manifest_schema())


@functools.cache
def quick_check() -> Callable[[Any], bool]:
    return compile_quick_check(manifest_schema())


def schema_problems(document: Any, file: str) -> list[tuple[DocPath, Problem]]:
    """Every way `document` breaks the schema, worded for people, with its path."""
    if quick_check()(document):
        return []
    return [found for error in validator().iter_errors(document)
            for found in _explain(error, document, file)]


# ----------------------------------------------------------- error wording

_TYPE_NAMES = {"object": "a mapping", "array": "a list", "string": "text", "boolean": "true or false",
               "integer": "a whole number", "number": "a number", "null": "nothing"}


def _explain(error: ValidationError, document: Any, file: str) -> Iterator[tuple[DocPath, Problem]]:
    """The `Problem`s of one jsonschema error (several for unknown or duplicate items)."""
    path = tuple(error.absolute_path)
    instance = error.instance
    reveal = "password" not in path
    kind = error.validator
    if kind == "additionalProperties" and isinstance(instance, LocatedMap):
        allowed = list(_schema_of(error)["properties"])
        for key in instance:
            if key not in allowed:
                yield _problem(file, instance.key_marks[key], (*path, key), _unknown_key(key, allowed))
        return
    if kind == "uniqueItems" and isinstance(instance, LocatedList):
        seen: set[Any] = set()
        for index, item in enumerate(instance):
            key = _unique_key(item)
            if key in seen:
                yield _problem(file, instance.item_marks[index], (*path, index),
                               f"duplicate item {_show(item, reveal)}")
            seen.add(key)
        return
    if kind == "anyOf" and (chosen := _shaped_alternative(error)) is not None:
        for inner in chosen:
            yield from _explain(inner, document, file)
        return
    if kind == "required" and isinstance(instance, dict):
        required: list[str] = _limit_of(error)
        for key in required:
            if key not in instance:
                yield _problem(file, _locate(document, path), path, f"missing required key {key!r}")
        return
    yield _problem(file, _locate(document, path), path, _message(error, reveal))


_SHAPE_KEYWORDS = frozenset({"type", "const", "enum"})


def _shaped_alternative(error: ValidationError) -> list[ValidationError] | None:
    """The errors of the one `anyOf` alternative the value has the shape of, or None.

    A value that is a mapping fails a url alternative on its type, and that says
    nothing; what it got wrong *as a mapping* is what the user needs to read.
    """
    by_alternative: dict[Any, list[ValidationError]] = {}
    for inner in error.context or ():
        by_alternative.setdefault(inner.relative_schema_path[0], []).append(inner)
    shaped = [errors for errors in by_alternative.values()
              if not any(not inner.relative_path and inner.validator in _SHAPE_KEYWORDS for inner in errors)]
    return shaped[0] if len(shaped) == 1 else None


def _unique_key(item: Any) -> Any:
    """What makes two list items equal to `uniqueItems` (1 and 1.0 alike, true and 1 not), hashable."""
    if isinstance(item, (dict, list)):
        return repr(item)
    return (type(item) is bool, item)


def _schema_of(error: ValidationError) -> Mapping[str, Any]:
    """The failing subschema (the stubs allow `bool` and unset: a validator's errors always carry a mapping)."""
    return error.schema if isinstance(error.schema, Mapping) else {}


def _limit_of(error: ValidationError) -> Any:
    """The failing keyword's value in the schema (a type name, a length, a pattern, a list)."""
    return error.validator_value


def _message(error: ValidationError, reveal: bool) -> str:
    schema, limit = _schema_of(error), _limit_of(error)
    value: Any = error.instance
    got = _describe(value, reveal)
    match error.validator:
        case "type":
            expected = schema.get("errorMessage") or f"expected {_TYPE_NAMES.get(limit, limit)}"
            return f"{expected}; got {got}"
        case "enum":
            close = difflib.get_close_matches(str(value), [str(option) for option in limit], n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            return f"must be one of {', '.join(map(str, limit))}; got {got}{hint}"
        case "pattern":
            return f"{schema.get('patternErrorMessage') or 'does not match ' + limit}; got {got}"
        case "anyOf":
            return f"{schema.get('errorMessage') or 'not one of the accepted forms'}; got {got}"
        case "const":
            return f"must be {_describe(limit, True).split(' (')[0]}; got {got}"
        case "minItems":
            return f"lists {len(value)} item{'' if len(value) == 1 else 's'}; at least {limit} are needed"
        case "minLength" if limit == 1:
            return "must not be empty"
        case "minLength":
            return f"must be at least {limit} characters long"
        case "maxLength":
            return f"must be at most {limit} characters long (it has {len(value)})"
        case "maxItems":
            return f"lists {len(value)} items; at most {limit} are allowed"
        case "minimum":
            return f"must be at least {limit}; got {got}"
        case "maximum":
            return f"must be at most {limit}; got {got}"
    return str(error.message)


def _unknown_key(key: str, allowed: list[str]) -> str:
    close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
    if close:
        return f"unknown key {key!r} (did you mean {close[0]!r}?)"
    return f"unknown key {key!r}; expected one of: {', '.join(allowed)}"


def _describe(value: Any, reveal: bool) -> str:
    """A short, safe description of a value for a message."""
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return f"{str(value).lower()} (a boolean)"
    if isinstance(value, (int, float)):
        return f"{clipped(value, 40)} (a number)"
    if isinstance(value, str):
        return _show(value, reveal)
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, bytes):
        return "binary data"
    return f"{value} (a {type(value).__name__})"


def _show(value: Any, reveal: bool) -> str:
    if not reveal:
        return "text (not shown: it may be secret)"
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _locate(document: LocatedMap | LocatedList, path: DocPath) -> Mark:
    """Where the value at `path` was written (the document's start for the empty path)."""
    container: Any = document
    mark = document.mark
    for step in path:
        if isinstance(container, LocatedMap):
            mark = container.value_marks[step]
        elif isinstance(container, LocatedList) and isinstance(step, int):
            mark = container.item_marks[step]
        container = container[step]
    return mark


def _problem(file: str, mark: Mark, path: DocPath, message: str) -> tuple[DocPath, Problem]:
    return path, Problem(location(file, mark), field_path(path), message)
