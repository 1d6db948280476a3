"""The plan as `schemas/plan.schema.json` says: also the saved-plan file."""

from __future__ import annotations

import json
import math
from typing import Any

from reconciler.errors import ReconcilerError
from reconciler.plan.document import Plan


class PlanJson:
    """Stable key order and no timestamps: the same inputs give the same bytes.

    Strict JSON: a non-finite number (a live value such as `Infinity`, which
    strict parsers refuse) is an error naming where it is, never written.
    """

    def render(self, plan: Plan) -> str:
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
