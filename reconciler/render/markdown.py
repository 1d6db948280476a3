"""The plan as a pull-request comment: summary table, risk first, details folded.

A GitHub comment holds at most `COMMENT_LIMIT` characters, and a plan too big to
post fails the review exactly when it matters most. So the summary, the notes,
what apply would refuse and the API calls always stay; the destructive rows and
then the change details are cut to what fits, each cut saying how many it left
out ("N more changes: see the full plan artifact"). `PlanMarkdown(limit=None)`
never cuts: that is the full plan `plan --out-full` writes for upload.
"""

from __future__ import annotations

from collections.abc import Sequence

from reconciler.plan.document import DELETE, Change, Plan
from reconciler.render.describe import SYMBOLS, call_groups, change_reasons, diff_lines, left_alone, replacements, title

COMMENT_LIMIT = 65_536
RISK_COLUMN = {"deleted": "delete", "re-pointed": "re-point", "renamed": "rename",
               "moved to another domain": "move"}
FULL_PLAN = "see the full plan artifact"
NOT_READ = "not read"  # clicks of a pixel, or of any link with protect_active_days 0


def markdown_text(text: object) -> str:
    """Text safe inside a table cell or list item (no HTML, no column breaks)."""
    return (str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace("|", "\\|").replace("\n", " "))


def _code(text: object, in_table: bool = False) -> str:
    """An inline code span: no HTML escaping inside it, only what would end it."""
    inner = str(text).replace("`", "\u2035").replace("\n", " ")
    return f"`{inner.replace('|', chr(92) + '|') if in_table else inner}`"


def within(items: Sequence[str], budget: int) -> list[str]:
    """The leading `items` whose lines (each with its newline) fit in `budget` characters."""
    kept: list[str] = []
    for item in items:
        budget -= len(item) + 1
        if budget < 0:
            break
        kept.append(item)
    return kept


def _more(left_out: int, noun: str) -> list[str]:
    return [f"_{left_out} more {noun}{'' if left_out == 1 else 's'}: {FULL_PLAN}._"] if left_out else []


class PlanMarkdown:
    """`render(plan)` within `limit` characters (None: whole, however long)."""

    def __init__(self, limit: int | None = COMMENT_LIMIT) -> None:
        self.limit = limit

    def render(self, plan: Plan) -> str:
        replaced = replacements(plan)
        parts = (self._risk_rows(plan), self._refusal_items(plan),
                 [self._change_item(c, replaced) for c in plan.changes])
        whole = self._assemble(plan, *parts)
        if self.limit is None or len(whole) <= self.limit:
            return whole
        spare = self.limit - len(self._assemble(plan, [], [], [])) - 400  # headings and "more" lines
        kept: list[list[str]] = []
        for part in parts:  # in order of importance: destructive rows, refusals, details
            kept.append(within(part, spare))
            spare -= sum(len(item) + 1 for item in kept[-1])
        rows, refusals, change_items = kept
        return self._assemble(plan, rows, refusals, change_items,
                              cut=tuple(len(part) - len(k) for part, k in zip(parts, kept, strict=True)))

    def _assemble(self, plan: Plan, risk_rows: list[str], refusals: list[str], change_items: list[str],
                  cut: tuple[int, ...] = (0, 0, 0)) -> str:
        counts = plan.summary()
        lines = [f"### clickmeter-reconciler plan ({markdown_text(plan.target)})", "",
                 "| | count |", "|---|---:|"]
        lines += [f"| {label} | {counts[key]} |" for label, key in
                  (("to create", "create"), ("to update", "update"), ("to delete", "delete"),
                   ("links to re-tag", "retag"), ("API calls", "calls"))]
        notes = "\n".join(f"- note: {markdown_text(note)}" for note in plan.notes)
        sections = (notes, self._safety(plan), self._risk_section(plan, risk_rows, cut[0]),
                    self._refusals(refusals, cut[1]), self._details(plan, change_items, cut[2]),
                    f"**{markdown_text(plan.summary_line())}**")
        return "\n".join(lines) + "".join(f"\n\n{section.strip()}" for section in sections if section) + "\n"

    @staticmethod
    def _safety(plan: Plan) -> str:
        """The settings in force, and a warning for each one off or loosened."""
        warnings = [f"> - **warning:** {markdown_text(w)}" for w in (*plan.warnings, *plan.safety.warnings())]
        return "\n".join([f"> {markdown_text(plan.safety.settings_line())}", *warnings])

    @staticmethod
    def _risk_rows(plan: Plan) -> list[str]:
        """Deletions, renamed and re-pointed links, with their recent clicks."""
        rows = []
        for change in plan.changes:
            if change.action != DELETE and not change.at_risk:
                continue
            what = RISK_COLUMN.get(change.risk_verb or "", "delete")
            clicks = NOT_READ if change.recent_clicks is None else change.recent_clicks
            name = f"{change.previous_name} -> {change.name}" if change.previous_name else change.name
            rows.append(f"| {what} | {_code(name, in_table=True)} | {change.id} | {clicks} |")
        return rows

    @staticmethod
    def _risk_section(plan: Plan, rows: list[str], left_out: int) -> str | None:
        """The destructive changes, before anything else."""
        if not rows and not left_out:
            return None
        days = plan.safety.protect_active_days
        clicks = f"clicks, last {days} days" if days else "clicks (protection off)"
        head = ["#### Destructive changes", "", f"| change | datapoint | id | {clicks} |",
                "|---|---|---:|---:|"]
        return "\n".join(head + rows + (["", *_more(left_out, "destructive change")] if left_out else [])) + "\n"

    @staticmethod
    def _refusal_items(plan: Plan) -> list[str]:
        return [f"> - {markdown_text(r)}" for r in plan.refusals(force=False, allow_active=False)]

    @staticmethod
    def _refusals(items: list[str], left_out: int) -> str | None:
        if not items and not left_out:
            return None
        more = [f"> {line}" for line in _more(left_out, "refusal")]
        return "\n".join(["> **apply will refuse:**", *items, *more]) + "\n"

    @staticmethod
    def _change_item(change: Change, replaced: dict[str, Change]) -> str:
        head = f"- `{SYMBOLS[change.action]}` {markdown_text(title(change))}"
        if change.location:
            head += f" ({_code(change.location)})"
        reasons = change_reasons(change, replaced)
        if reasons:
            head += f": {markdown_text('; '.join(reasons))}"
        return "\n".join([head] + [f"{'    ' if nested else '  '}- {_code(line.strip())}" for d in change.diffs
                                    for nested, line in enumerate(diff_lines(d, change.action))])

    @staticmethod
    def _details(plan: Plan, change_items: list[str], left_out: int) -> str:
        sections = []
        if plan.changes:
            more = ["", *_more(left_out, "change")] if left_out else []
            sections.append(("Changes", len(plan.changes), "\n".join(change_items + more)))
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
