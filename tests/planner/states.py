"""Builders of desired and live states for planner tests (plain model objects)."""

from __future__ import annotations

from reconciler.model import (
    LINK,
    ConversionSpec,
    DatapointSpec,
    DesiredState,
    GroupSpec,
    LiveConversion,
    LiveDatapoint,
    LiveGroup,
    LiveNamed,
    LiveState,
    Location,
    Settings,
)

SYSTEM_DOMAIN = "go.clickmeter.test"


def desired_state(datapoints: list[DatapointSpec], groups: list[GroupSpec] = (),
                  conversions: list[ConversionSpec] = (), settings: Settings | None = None) -> DesiredState:
    for line, spec in enumerate(datapoints, start=1):
        spec.locations.setdefault("", Location("manifests/links.yaml", line, 5))
    return DesiredState(settings=settings or Settings(), groups={g.name: g for g in groups},
                        conversions={c.name: c for c in conversions},
                        datapoints={d.name: d for d in datapoints}, digest="d" * 64)


def live_like(desired: DesiredState, *, first_id: int = 1, scripts: tuple[str, ...] = ()) -> LiveState:
    """The account that already is what `desired` declares (undeclared fields at server defaults)."""
    live = LiveState(domains={1: LiveNamed(1, SYSTEM_DOMAIN, "system")},
                     retargeting={i: LiveNamed(i, name) for i, name in enumerate(scripts, start=500)})
    next_id = iter(range(first_id, first_id + 10_000_000))
    for group in desired.groups.values():
        gid = next(next_id)
        live.groups[gid] = LiveGroup(gid, group.name, group.notes, bool(group.favourite),
                                     group.tags or frozenset())
    for conversion in desired.conversions.values():
        cid = next(next_id)
        live.conversions[cid] = LiveConversion(cid, conversion.name, conversion.value, conversion.protocol,
                                               conversion.description)
    tags = {t for spec in list(desired.datapoints.values()) + list(desired.groups.values())
            for t in (spec.tags or ())}
    for tag in sorted(tags):
        tid = next(next_id)
        live.tags[tid] = LiveNamed(tid, tag)
    for spec in desired.datapoints.values():
        did = next(next_id)
        link = spec.type == LINK
        live.datapoints[did] = LiveDatapoint(
            id=did, name=spec.name, type=spec.type, url=spec.url, title=spec.title,
            domain=(spec.domain or desired.settings.default_domain or SYSTEM_DOMAIN) if link else None,
            redirect=(spec.redirect or "temporary") if link else None,
            group=spec.group or desired.settings.default_group, tags=spec.tags or frozenset(),
            conversions=spec.conversions or frozenset(), retargeting=spec.retargeting or frozenset(),
            favourite=bool(spec.favourite), notes=spec.notes, status=spec.status or "active",
            password=spec.password)
    return live
