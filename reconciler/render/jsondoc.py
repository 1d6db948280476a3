"""The plan as `schemas/plan.schema.json` says: the same text as the saved-plan file."""

from __future__ import annotations

from reconciler.plan.document import Plan
from reconciler.plan.saved import plan_text


class PlanJson:
    """The saved plan's text (`plan.saved.plan_text`), printed: what `--out` writes."""

    def render(self, plan: Plan) -> str:
        return plan_text(plan)
