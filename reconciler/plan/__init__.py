"""The plan stage: desired state vs live state -> a `Plan` of changes, API calls and risk.

`plan_changes` is pure (no I/O, deterministic); `build_plan` runs the stage end
to end for the `plan` command; `write_plan` / `read_plan` are the saved-plan
files that `apply --plan` takes (`write_plan_text` writes any rendering, as
`plan --out-full` does); `Operation` is the base of the typed calls.
"""

from reconciler.plan.document import Action, Change, FieldDiff, Plan, PlanFileError
from reconciler.plan.effects import UnknownOperationError
from reconciler.plan.operations import Operation
from reconciler.plan.planner import PlanningError, plan_changes
from reconciler.plan.run import build_plan, read_and_plan
from reconciler.plan.saved import plan_text, read_plan, write_plan, write_plan_text

__all__ = [
    "Action", "Change", "FieldDiff", "Operation", "Plan", "PlanFileError", "PlanningError",
    "UnknownOperationError", "build_plan", "plan_changes", "plan_text", "read_and_plan", "read_plan",
    "write_plan", "write_plan_text",
]
