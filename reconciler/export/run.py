"""`export` end to end, so that the command only parses, calls and prints: a refused output
folder fails before the first API call, and nothing is written unless all of it validates."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from reconciler.export.documents import (
    check_output_dir,
    export_manifests,
    refuse_invalid,
    report_lines,
    stale_manifests,
    write_export,
)
from reconciler.live.reader import read_live_state
from reconciler.model import LiveState
from reconciler.target import open_client

if TYPE_CHECKING:
    from reconciler.target import TargetOptions


def export_account(options: TargetOptions, out_dir: str, groups: Sequence[str],
                   force: bool) -> tuple[list[str], list[str]]:
    """Write the live account (or `groups` of it) as manifests under `out_dir`; the lines
    to print on stdout and the warnings for stderr."""
    out = Path(out_dir)
    check_output_dir(out, force)

    async def read_whole_account() -> LiveState:
        """The whole account: `groups` filters afterwards, since id pins need every live name."""
        async with open_client(options) as client:
            return await read_live_state(client)

    result = export_manifests(asyncio.run(read_whole_account()), groups or None)
    refuse_invalid(result.files)
    stale = stale_manifests(out, result.files) if out.is_dir() else []
    written = write_export(out, result.files)
    return report_lines(out, written, result, stale)
