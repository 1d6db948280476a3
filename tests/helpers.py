"""What tests in every folder share: the CLI in-process, a server over loopback, the service
variants, and builders of desired and live states (plain model objects)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import uvicorn
from click.testing import CliRunner, Result
from starlette.applications import Starlette

from reconciler.cli import cli
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

TEST_API_KEY = "test-key-0123456789abcdef"

SERVICE_VARIANTS = ("default", "no-expand", "updates=merge", "text-enums=accept",
                    "counts=without-deleted", "no-expand,updates=merge,counts=without-deleted,update-slots=honour")
"""Every plausible live service the end-to-end tests run against (`ServiceVariant` tokens)."""


def run_local(db_path: Path, *args: str, env: dict[str, str] | None = None,
              stdin: str | None = None) -> Result:
    """The CLI in-process on the local target `db_path`; an exception other than the
    exit it chose fails the test (it would be a traceback for the user)."""
    return CliRunner().invoke(cli, ["--local-db", str(db_path), *args], env=env, input=stdin,
                              catch_exceptions=False)


def free_port() -> int:
    """A TCP port on 127.0.0.1 nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def serving_app(app: Starlette, *, lifespan: str = "on", log_level: str = "warning") -> Iterator[str]:
    """`app` served by a real uvicorn on 127.0.0.1 (a free port) in a thread; yields its base URL."""
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=free_port(),
                                           log_level=log_level, lifespan=lifespan))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the live server did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{server.config.port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


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
