"""The plan as `schemas/plan.schema.json` says: also the saved-plan file."""

from __future__ import annotations

import json

from reconciler.plan import Plan


class PlanJson:
    """Stable key order and no timestamps: the same inputs give the same bytes."""

    def render(self, plan: Plan) -> str:
        return json.dumps(plan.to_document(), indent=2, ensure_ascii=False) + "\n"
