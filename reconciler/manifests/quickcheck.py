"""A JSON Schema subset compiled to Python source: a fast "certainly valid" test.

`jsonschema` interprets the schema for every value; this generates one small
function per subschema instead (as fastjsonschema does), about ten times
faster. It answers True only when the value is valid; False means "ask
jsonschema", which words the errors. Any keyword it does not know is refused
when compiling, so the schema cannot silently outgrow it.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from typing import Any

ANNOTATIONS = frozenset({"$schema", "$defs", "title", "description", "examples", "default",
                         "patternErrorMessage", "errorMessage"})
_TYPE_TESTS = {
    "object": "isinstance({v}, dict)",
    "array": "isinstance({v}, list)",
    "string": "type({v}) is str",
    "boolean": "type({v}) is bool",
    "integer": "type({v}) is int",
    "number": "type({v}) in (int, float)",
}
_GUARDS = {  # a keyword applies only to values of its kind
    "minLength": "type({v}) is not str", "maxLength": "type({v}) is not str",
    "pattern": "type({v}) is not str", "maxItems": "not isinstance({v}, list)",
    "minItems": "not isinstance({v}, list)",
    "minimum": "type({v}) not in (int, float)", "maximum": "type({v}) not in (int, float)",
}


def compile_quick_check(root: dict[str, Any]) -> Callable[[Any], bool]:
    """One predicate for documents of `root` (a schema using local `$defs` refs only)."""
    generator = _Generator(root)
    entry = generator.function(root)
    namespace = dict(generator.constants)
    exec("\n".join(generator.lines), namespace)
    check: Callable[[Any], bool] = namespace[entry]
    return check


def _unique_strings(values: list[Any]) -> bool:
    return all(type(item) is str for item in values) and len(set(values)) == len(values)


class _Generator:
    def __init__(self, root: dict[str, Any]) -> None:
        self.root = root
        self.lines: list[str] = []
        self.constants: dict[str, Any] = {"_unique_strings": _unique_strings}
        self.defined: dict[str, str] = {}  # $ref -> function name
        self.names = itertools.count()

    def constant(self, value: Any) -> str:
        name = f"_k{next(self.names)}"
        self.constants[name] = value
        return name

    def function(self, schema: dict[str, Any]) -> str:
        """Define a function testing `schema`; return its name."""
        name = f"_f{next(self.names)}"
        body = self.expression(schema, "v")
        self.lines.append(f"def {name}(v):\n    return {body}")
        return name

    def reference(self, ref: str) -> str:
        """The function testing `#/$defs/...`, defined once (named first: it may refer to itself)."""
        if ref not in self.defined:
            if not ref.startswith("#/$defs/"):
                raise ValueError(f"the quick check follows local $defs references only, not {ref}")
            self.defined[ref] = f"_ref{next(self.names)}"
            body = self.expression(self.root["$defs"][ref.removeprefix("#/$defs/")], "v")
            self.lines.append(f"def {self.defined[ref]}(v):\n    return {body}")
        return self.defined[ref]

    def expression(self, schema: dict[str, Any], v: str) -> str:
        unknown = set(schema) - ANNOTATIONS - {"$ref", "type", "enum", "const", "anyOf", "properties",
                                                "additionalProperties", "required", "items", "uniqueItems",
                                                *_GUARDS}
        if unknown:
            raise ValueError(f"the quick check does not know the keywords {sorted(unknown)}")
        tests = [self.keyword(keyword, schema, v) for keyword in schema if keyword not in ANNOTATIONS
                 and (keyword != "additionalProperties" or "properties" not in schema)]
        return " and ".join(f"({test})" for test in tests) or "True"

    def keyword(self, keyword: str, schema: dict[str, Any], v: str) -> str:
        value = schema[keyword]
        if keyword == "$ref":
            return f"{self.reference(value)}({v})"
        if keyword == "type":
            return _TYPE_TESTS[value].format(v=v)
        if keyword == "enum":
            if not all(type(option) is str for option in value):
                raise ValueError("the quick check knows enums of strings only")
            return f"type({v}) is str and {v} in {self.constant(frozenset(value))}"
        if keyword == "const":
            if type(value) not in (bool, str):
                raise ValueError("the quick check knows boolean and string constants only")
            return f"type({v}) is {type(value).__name__} and {v} == {value!r}"
        if keyword == "anyOf":
            return " or ".join(f"{self.function(alternative)}({v})" for alternative in value)
        if keyword == "additionalProperties":  # a schema for every value of a mapping without `properties`
            if not isinstance(value, dict):
                raise ValueError("the quick check needs properties beside additionalProperties: false")
            return f"not isinstance({v}, dict) or all(map({self.function(value)}, {v}.values()))"
        if keyword == "properties":
            return f"not isinstance({v}, dict) or {self.object_function(schema)}({v})"
        if keyword == "required":
            return f"not isinstance({v}, dict) or all(key in {v} for key in {self.constant(tuple(value))})"
        if keyword == "items":
            return f"not isinstance({v}, list) or all(map({self.function(value)}, {v}))"
        if keyword == "uniqueItems":
            return f"not isinstance({v}, list) or _unique_strings({v})"
        guard = _GUARDS[keyword].format(v=v)
        if keyword == "pattern":
            return f"{guard} or {self.constant(re.compile(value).search)}({v}) is not None"
        measured = v if keyword in ("minimum", "maximum") else f"len({v})"
        operator = ">=" if keyword.startswith("min") else "<="
        return f"{guard} or {measured} {operator} {value!r}"

    def object_function(self, schema: dict[str, Any]) -> str:
        if isinstance(schema.get("additionalProperties"), dict):
            raise ValueError("the quick check knows additionalProperties: false beside properties only")
        checks = {key: self.function(sub) for key, sub in schema["properties"].items()}
        table = self.constant({})
        name = f"_obj{next(self.names)}"
        self.lines.append(
            f"def {name}(v):\n"
            f"    for key, item in v.items():\n"
            f"        check = {table}.get(key)\n"
            f"        if check is None:\n"
            f"            {'return False' if schema.get('additionalProperties') is False else 'continue'}\n"
            f"        if not check(item):\n"
            f"            return False\n"
            f"    return True")
        self.lines.append(f"{table}.update({{{', '.join(f'{key!r}: {fn}' for key, fn in checks.items())}}})")
        return name
