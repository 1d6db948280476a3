"""Saved plans (`plan --out`, `apply --plan`): written whole or not at all, read back only
when they are sound, so that a hand-edited or truncated file is one line, never a traceback."""

from __future__ import annotations

import functools
import json
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reconciler.errors import ReconcilerError
from reconciler.manifests.schema import schema_text
from reconciler.plan.document import FORMAT_VERSION, Plan, PlanFileError
from reconciler.safe_files import UnsafeWriteError, write_file

if TYPE_CHECKING:  # imported when a saved plan is read: `plan` without `--out` never needs it
    from jsonschema import Draft202012Validator

PLAN_SCHEMA_FILE = "plan.schema.json"
MAX_PLAN_DEPTH = 64  # a plan written by `plan --out` nests about 8 levels


def plan_text(plan: Plan) -> str:
    """The plan as `schemas/plan.schema.json` says: stable key order and no timestamps, so the
    same inputs give the same bytes. Strict JSON: a non-finite number (a live value such as
    `Infinity`, which strict parsers refuse) is an error naming where it is, never written."""
    document = plan.to_document()
    try:
        return json.dumps(document, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
    except ValueError:
        raise ReconcilerError(f"the plan cannot be written as strict JSON: {_non_finite(document)} "
                              "is not a finite number (as read from the account)") from None


def _non_finite(value: Any, path: str = "plan") -> str | None:
    """The path of the first non-finite number in `value`, named by the change that holds it."""
    if isinstance(value, float) and not math.isfinite(value):
        return f"{path} ({value})"
    if isinstance(value, dict):
        named = f"{path}[{value['kind']} {value['name']!r}]" if {"kind", "name"} <= value.keys() else path
        return next((found for key, item in value.items() if (found := _non_finite(item, f"{named}.{key}"))), None)
    if isinstance(value, list):
        return next((found for index, item in enumerate(value) if (found := _non_finite(item, f"{path}[{index}]"))),
                    None)
    return None


def write_plan(plan: Plan, path: str) -> None:
    """The saved plan, written whole or not at all (a half-written plan must never be applied)."""
    write_plan_text(plan_text(plan), path, "--out")


def write_plan_text(text: str, path: str, option: str) -> None:
    """A plan in any format written whole or not at all; an error is one line naming `option`."""
    try:
        write_file(Path(path), text)
    except UnsafeWriteError as error:
        raise ReconcilerError(f"{option} {path}: {error}") from None
    except OSError as error:
        raise ReconcilerError(f"{option} {path}: cannot write the plan ({error.strerror})") from None


@functools.cache
def _plan_validator() -> Draft202012Validator:
    from jsonschema import Draft202012Validator

    return Draft202012Validator(json.loads(schema_text(PLAN_SCHEMA_FILE)))


def _depth_exceeds(document: object, limit: int) -> bool:
    """Whether `document` nests lists and mappings more than `limit` levels (without recursing)."""
    level: list[object] = [document]
    for _ in range(limit):
        level = [child for value in level if isinstance(value, (dict, list))
                 for child in (value.values() if isinstance(value, dict) else value)]
        if not level:
            return False
    return any(isinstance(value, (dict, list)) for value in level)


def _malformed(document: object) -> str | None:
    """What breaks `plan.schema.json` or a placeholder in a plan of this version (a hand-edited
    plan is refused whole, before anything reads into it); None for a sound one or another version."""
    if not isinstance(document, dict) or document.get("format_version") != FORMAT_VERSION:
        return None  # `Plan.from_document` names the version it wants
    from jsonschema.exceptions import best_match

    mismatch = best_match(_plan_validator().iter_errors(document))
    if mismatch is not None:
        where = "".join(f"[{step}]" if isinstance(step, int) else f".{step}" for step in mismatch.absolute_path)
        return f"{where.lstrip('.') or 'document'}: {mismatch.message}"
    for number, operation in enumerate(document["operations"], start=1):
        if _bad_placeholder(operation["params"]) or _bad_placeholder(operation["body"]):
            return (f"operation {number}: a $ref or $secret placeholder must be the only key of its object "
                    "and name a text")
    return None


def _bad_placeholder(value: object) -> bool:
    """Whether `value` holds a `$ref`/`$secret` that is not `{"$ref": text}` / `{"$secret": text}`."""
    if isinstance(value, dict):
        marked = {"$ref", "$secret"} & value.keys()
        if marked:
            return len(value) != 1 or not isinstance(value[marked.pop()], str)
        return any(_bad_placeholder(item) for item in value.values())
    return isinstance(value, list) and any(_bad_placeholder(item) for item in value)


def read_plan(path: str) -> Plan:
    """A saved plan, for `apply --plan`; one line if it cannot be read."""
    try:
        document = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as error:
        raise PlanFileError(f"{path}: cannot read the plan ({error.strerror})") from None
    except ValueError as error:
        raise PlanFileError(f"{path}: not a plan: {error}") from None
    except RecursionError:
        raise PlanFileError(f"{path}: not a plan: nested more than {MAX_PLAN_DEPTH} levels deep") from None
    if _depth_exceeds(document, MAX_PLAN_DEPTH):  # deeper still would exhaust the stack when applied
        raise PlanFileError(f"{path}: not a plan: nested more than {MAX_PLAN_DEPTH} levels deep")
    malformed = _malformed(document)
    if malformed:
        raise PlanFileError(f"{path}: malformed plan: {malformed}")
    try:
        return Plan.from_document(document)
    except PlanFileError as error:
        raise PlanFileError(f"{path}: {error}") from None

