"""The plan as a terminal reads it: Terraform-like, colour only when asked."""

from __future__ import annotations

import click

from reconciler.plan import Plan
from reconciler.render.describe import SYMBOLS, call_groups, diff_text, left_alone, risk, title

COLOURS = {"+": "green", "~": "yellow", "->": "cyan", "-": "red"}


class PlanText:
    """`color` is the caller's decision (a terminal, and NO_COLOR unset)."""

    def __init__(self, color: bool = False) -> None:
        self.color = color

    def _paint(self, text: str, colour: str, bold: bool = False) -> str:
        return click.style(text, fg=colour, bold=bold) if self.color else text

    def render(self, plan: Plan) -> str:
        lines = [plan.target, f"manifests: sha256:{plan.manifests_digest[:12] or '-'}", ""]
        days = plan.safety.protect_active_days
        for change in plan.changes:
            symbol = SYMBOLS[change.action]
            head = f"{self._paint(symbol.rjust(2), COLOURS[symbol], bold=True)} {title(change)}"
            lines.append(head + (f"  [{change.location}]" if change.location else ""))
            warning = risk(change, days)
            if warning:
                lines.append("      " + self._paint(f"! {warning}", "red" if change.recent_clicks else "yellow"))
            lines += [f"      {diff_text(diff, change.action)}" for diff in change.diffs]
        if plan.changes:
            lines.append("")
        lines += [f"note: {note}" for note in plan.notes]
        alone = left_alone(plan)
        if alone:
            lines.append(alone + ".")
        if plan.operations:
            lines.append("API calls:")
            lines += [f"  {method} {path}: {calls} call{'s' * (calls != 1)}, {items} item{'s' * (items != 1)}"
                      for method, path, calls, items in call_groups(plan.operations)]
        refusals = plan.refusals(force=False, allow_active=False)
        if refusals:
            lines.append(self._paint("apply will refuse:", "red", bold=True))
            lines += [f"  - {refusal}" for refusal in refusals]
        lines.append(self._paint(plan.summary_line(), "white", bold=True) if plan.has_changes
                     else plan.summary_line())
        return "\n".join(lines) + "\n"
