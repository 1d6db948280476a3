"""The pure planner on pinned twins: matching by pin first, and plan items told apart by id."""

from __future__ import annotations

import dataclasses

import pytest

from reconciler.model import DatapointSpec, DesiredState, GroupSpec, Location
from reconciler.plan.planner import PlanningError, plan_changes
from tests.helpers import desired_state, live_like


def twin_account(group: str | None = None):
    """Live links 'twin' (id 1, system domain) and 'twin' (id 2, go.example.test)."""
    live = live_like(desired_state([DatapointSpec("twin", url="https://a.example/1", group=group)],
                                   [GroupSpec(group)] if group else []))
    first = next(d for d in live.datapoints.values() if d.name == "twin")
    live.datapoints[first.id + 1] = dataclasses.replace(first, id=first.id + 1, url="https://a.example/2",
                                                        domain="go.example.test")
    return live, first.id, first.id + 1


def pinned_twins(first: int, second: int, **fields) -> DesiredState:
    twins = {f"twin#{pin}": DatapointSpec("twin", url=f"https://a.example/{n}", id=pin,
                                          locations={"": Location("links.yaml", n, 5)}, **fields)
             for n, pin in ((1, first), (2, second))}
    return DesiredState(datapoints=twins, digest="d" * 64)


def test_each_pinned_twin_changes_by_its_own_id_and_item() -> None:
    live, first, second = twin_account()
    desired = pinned_twins(first, second, notes="new")
    plan = plan_changes(desired, live)
    assert [(c.action, c.name, c.id, c.location) for c in plan.changes] == [
        ("update", "twin", first, "links.yaml:1:5"), ("update", "twin", second, "links.yaml:2:5")]
    (batch,) = plan.operations
    assert batch.items == (f"datapoint:twin#{first}", f"datapoint:twin#{second}")
    assert [entry["id"] for entry in batch.body["list"]] == [first, second]


def test_twins_deleted_from_a_prune_group_are_items_of_their_own_ids() -> None:
    live, first, second = twin_account(group="owned")
    plan = plan_changes(DesiredState(groups={"owned": GroupSpec("owned", prune=True)}), live)
    assert [(c.action, c.id) for c in plan.changes] == [("delete", first), ("delete", second)]
    (removal,) = plan.operations
    assert removal.items == (f"datapoint:twin#{first}", f"datapoint:twin#{second}")


def test_a_pin_claims_its_datapoint_before_any_name_does() -> None:
    live, _, second = twin_account()
    live.datapoints[second] = dataclasses.replace(live.datapoints[second], name="other")
    desired = desired_state([DatapointSpec("other", url="https://a.example/2"),
                             DatapointSpec("renamed", url="https://a.example/2", id=second)])
    with pytest.raises(PlanningError) as raised:
        plan_changes(desired, live)
    assert str(raised.value) == (f"manifests/links.yaml:1:5: datapoints renamed and other both match "
                                 f"live datapoint {second}")
