"""The apply stage: a plan's operations carried out in order, item by item, then verified.

`run_apply` runs it end to end for the `apply` command; `execute_plan` on an
open client; `check_target` and `check_secrets` refuse a plan before any write.
"""

from reconciler.apply.executor import Outcome, Status
from reconciler.apply.run import (
    StalePlanError,
    check_secrets,
    check_target,
    execute_plan,
    report_lines,
    run_apply,
)

__all__ = [
    "Outcome", "StalePlanError", "Status", "check_secrets", "check_target", "execute_plan",
    "report_lines", "run_apply",
]
