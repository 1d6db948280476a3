"""The plan as a terminal reads it: Terraform-like, colour only when asked.

Every piece that comes from outside (names, urls, notes, paths) is escaped
(`terminal.shown`) before colour is added, so no live name can move the cursor
or recolour the screen.
"""

from __future__ import annotations

import click

from reconciler.plan.document import Plan
from reconciler.render.describe import (
    SYMBOLS,
    call_groups,
    change_reasons,
    diff_lines,
    left_alone,
    replacements,
    risk,
    title,
)
from reconciler.terminal import shown

COLOURS = {"+": "green", "~": "yellow", "->": "cyan", "-": "red"}


class PlanText:
    """`color` is the caller's decision (a terminal, and NO_COLOR unset)."""

    def __init__(self, color: bool = False) -> None:
        self.color = color

    def _paint(self, text: str, colour: str | None, bold: bool = False) -> str:
        return click.style(text, fg=colour, bold=bold) if self.color else text

    def render(self, plan: Plan) -> str:
        lines = [shown(plan.target), f"manifests: sha256:{plan.manifests_digest[:12] or '-'}", ""]
        days = plan.safety.protect_active_days
        replaced = replacements(plan)
        for change in plan.changes:
            symbol = SYMBOLS[change.action]
            head = f"{self._paint(symbol.rjust(2), COLOURS[symbol], bold=True)} {shown(title(change))}"
            lines.append(head + (f"  [{shown(change.location)}]" if change.location else ""))
            lines += [f"      why: {shown(reason)}" for reason in change_reasons(change, replaced)]
            warning = risk(change, days)
            if warning:
                lines.append("      " + self._paint(f"! {warning}", "red" if change.recent_clicks else "yellow"))
            lines += [f"      {shown(line)}" for diff in change.diffs for line in diff_lines(diff, change.action)]
        if plan.changes:
            lines.append("")
        lines += [f"note: {shown(note)}" for note in plan.notes]
        if plan.read_scope:
            lines.append(f"read: {shown(plan.read_scope)}")
        lines.append(plan.safety.settings_line())
        lines += [self._paint(f"warning: {shown(warning)}", "yellow")
                  for warning in (*plan.warnings, *plan.safety.warnings())]
        alone = left_alone(plan)
        if alone:
            lines.append(shown(alone) + ".")
        if plan.operations:
            lines.append("API calls:")
            lines += [shown(f"  {method} {path}: {calls} call{'s' * (calls != 1)}, {items} item{'s' * (items != 1)}")
                      for method, path, calls, items in call_groups(plan.operations)]
        refusals = plan.refusals(force=False, allow_active=False)
        if refusals:
            lines.append(self._paint("apply will refuse:", "red", bold=True))
            lines += [f"  - {shown(refusal)}" for refusal in refusals]
        lines.append(self._paint(plan.summary_line(), None, bold=True) if plan.has_changes
                     else plan.summary_line())  # bold in the terminal's own colour: white is unreadable on light ones
        return "\n".join(lines) + "\n"
