"""Hypothesis properties: converged states plan nothing; plans are deterministic."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.model import PIXEL, ConversionSpec, DatapointSpec, DesiredState, GroupSpec, Secret
from reconciler.plan.planner import plan_changes
from reconciler.render import PlanJson, PlanMarkdown, PlanText
from tests.helpers import desired_state, live_like

GROUPS = ["spring", "autumn", "winter"]
CONVERSIONS = ["signup", "buy"]
TAGS = ["news", "promo", "q1", "social"]


@st.composite
def datapoint_specs(draw: st.DrawFn, name: str) -> DatapointSpec:
    pixel = draw(st.booleans())
    spec = DatapointSpec(
        name=name, type=PIXEL if pixel else "link",
        title=draw(st.none() | st.text(max_size=8)), notes=draw(st.none() | st.text(max_size=8)),
        group=draw(st.none() | st.sampled_from(GROUPS)),
        tags=draw(st.none() | st.frozensets(st.sampled_from(TAGS))),
        conversions=draw(st.none() | st.frozensets(st.sampled_from(CONVERSIONS))),
        favourite=draw(st.none() | st.booleans()), status=draw(st.none() | st.sampled_from(["active", "paused"])))
    if not pixel:
        spec.url = f"https://shop.example.com/{draw(st.integers(0, 3))}"
        spec.redirect = draw(st.none() | st.sampled_from(["temporary", "permanent"]))
        if draw(st.booleans()):
            spec.password = Secret(draw(st.sampled_from(["p1", "p2"])), env="LINK_PASSWORD")
    return spec


@st.composite
def desired_states(draw: st.DrawFn) -> DesiredState:
    names = draw(st.lists(st.text("abcdefgh-", min_size=1, max_size=6), unique=True, max_size=12))
    specs = [draw(datapoint_specs(name)) for name in names]
    groups = [GroupSpec(g, notes=draw(st.none() | st.text(max_size=5)), prune=draw(st.booleans()),
                        tags=draw(st.none() | st.frozensets(st.sampled_from(TAGS)))) for g in GROUPS]
    conversions = [ConversionSpec(c, value=draw(st.none() | st.floats(0, 100))) for c in CONVERSIONS]
    return desired_state(specs, groups=groups, conversions=conversions)


def reordered(desired: DesiredState, seed: int) -> DesiredState:
    """The same declarations, merged in another order (as other files would give them)."""
    shuffle = random.Random(seed).shuffle
    items = {kind: list(getattr(desired, kind).items()) for kind in ("groups", "conversions", "datapoints")}
    for pairs in items.values():
        shuffle(pairs)
    return DesiredState(settings=desired.settings, digest=desired.digest,
                        **{kind: dict(pairs) for kind, pairs in items.items()})


@settings(max_examples=40, deadline=None)
@given(desired_states())
def test_a_converged_account_gives_an_empty_plan(desired: DesiredState) -> None:
    plan = plan_changes(desired, live_like(desired))
    assert plan.changes == () and plan.operations == ()


@settings(max_examples=40, deadline=None)
@given(desired_states(), desired_states(), st.integers())
def test_the_same_inputs_give_byte_identical_output(desired: DesiredState, other: DesiredState, seed: int) -> None:
    live = live_like(other)
    first = plan_changes(desired, live)
    again = plan_changes(reordered(desired, seed), live)
    for renderer in (PlanJson(), PlanText(), PlanMarkdown()):
        assert renderer.render(first) == renderer.render(again)
