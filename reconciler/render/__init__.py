"""Plan renderers: one small class per output format behind one `PlanRenderer` protocol.

Each takes a finished `Plan` and gives text; none reads anything else, so a new
format is one new class and one entry in `plan_renderer`.
"""

from typing import Protocol

from reconciler.plan.document import Plan
from reconciler.render.jsondoc import PlanJson
from reconciler.render.markdown import COMMENT_LIMIT, PlanMarkdown, markdown_text
from reconciler.render.text import PlanText

__all__ = ["COMMENT_LIMIT", "PLAN_FORMATS", "PlanJson", "PlanMarkdown", "PlanRenderer", "PlanText", "markdown_text",
           "plan_renderer"]

PLAN_FORMATS = ("text", "json", "markdown")


class PlanRenderer(Protocol):
    """What every plan output is: `render(plan) -> str`."""

    def render(self, plan: Plan) -> str: ...


def plan_renderer(output_format: str, *, color: bool = False, whole: bool = False) -> PlanRenderer:
    """The renderer for one of `PLAN_FORMATS` (`color` only matters to text; `whole`
    only to Markdown, which otherwise cuts its details to fit one GitHub comment)."""
    renderers: dict[str, PlanRenderer] = {"text": PlanText(color=color), "json": PlanJson(),
                                          "markdown": PlanMarkdown(limit=None if whole else COMMENT_LIMIT)}
    return renderers[output_format]
