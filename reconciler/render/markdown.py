"""The plan as a pull-request comment: summary table, risk first, details folded."""

from __future__ import annotations

from reconciler.plan.document import DELETE, Change, Plan
from reconciler.render.describe import SYMBOLS, call_groups, diff_text, left_alone, title

RISK_COLUMN = {"deleted": "delete", "re-pointed": "re-point", "renamed": "rename",
               "moved to another domain": "move"}


def markdown_text(text: object) -> str:
    """Text safe inside a table cell or list item (no HTML, no column breaks)."""
    return (str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace("|", "\\|").replace("\n", " "))


def _code(text: object, in_table: bool = False) -> str:
    """An inline code span: no HTML escaping inside it, only what would end it."""
    inner = str(text).replace("`", "\u2035").replace("\n", " ")
    return f"`{inner.replace('|', chr(92) + '|') if in_table else inner}`"


class PlanMarkdown:
    def render(self, plan: Plan) -> str:
        counts = plan.summary()
        lines = [f"### clickmeter-reconciler plan ({markdown_text(plan.target)})", "",
                 "| | count |", "|---|---:|"]
        lines += [f"| {label} | {counts[key]} |" for label, key in
                  (("to create", "create"), ("to update", "update"), ("to delete", "delete"),
                   ("links to re-tag", "retag"), ("API calls", "calls"))]
        notes = "\n".join(f"- note: {markdown_text(note)}" for note in plan.notes)
        sections = (notes, self._risk_section(plan), self._refusals(plan), self._details(plan),
                    f"**{markdown_text(plan.summary_line())}**")
        return "\n".join(lines) + "".join(f"\n\n{section.strip()}" for section in sections if section) + "\n"

    @staticmethod
    def _risk_section(plan: Plan) -> str | None:
        """Deletions, renamed and re-pointed links, with their recent clicks, before anything else."""
        risky = [c for c in plan.changes if c.action == DELETE or c.at_risk]
        if not risky:
            return None
        days = plan.safety.protect_active_days
        rows = ["#### Destructive changes", "", f"| change | datapoint | id | clicks, last {days} days |",
                "|---|---|---:|---:|"]
        for change in risky:
            what = RISK_COLUMN.get(change.risk_verb or "", "delete")
            clicks = "n/a" if change.recent_clicks is None else change.recent_clicks
            name = f"{change.previous_name} -> {change.name}" if change.previous_name else change.name
            rows.append(f"| {what} | {_code(name, in_table=True)} | {change.id} | {clicks} |")
        return "\n".join(rows) + "\n"

    @staticmethod
    def _refusals(plan: Plan) -> str | None:
        refusals = plan.refusals(force=False, allow_active=False)
        if not refusals:
            return None
        return "\n".join(["> **apply will refuse:**"] + [f"> - {markdown_text(r)}" for r in refusals]) + "\n"

    @staticmethod
    def _change_item(change: Change) -> str:
        head = f"- `{SYMBOLS[change.action]}` {markdown_text(title(change))}"
        if change.location:
            head += f" ({_code(change.location)})"
        return "\n".join([head] + [f"  - {_code(diff_text(d, change.action))}" for d in change.diffs])

    def _details(self, plan: Plan) -> str:
        sections = []
        if plan.changes:
            sections.append(("Changes", len(plan.changes),
                             "\n".join(self._change_item(c) for c in plan.changes)))
        if plan.operations:
            table = ["| method | path | calls | items |", "|---|---|---:|---:|"]
            table += [f"| {method} | {_code(path, in_table=True)} | {calls} | {items} |"
                      for method, path, calls, items in call_groups(plan.operations)]
            sections.append(("API calls", len(plan.operations), "\n".join(table)))
        alone = left_alone(plan)
        if alone:
            sections.append(("Left alone", sum(plan.left_alone.values()), markdown_text(alone)))
        return "\n".join(f"<details><summary>{name} ({count})</summary>\n\n{body}\n\n</details>\n"
                         for name, count, body in sections)
