"""Renderers: one small class per output format, each `render(plan) -> str`."""

from reconciler.render.jsondoc import PlanJson
from reconciler.render.markdown import PlanMarkdown
from reconciler.render.text import PlanText

__all__ = ["PlanJson", "PlanMarkdown", "PlanText"]
