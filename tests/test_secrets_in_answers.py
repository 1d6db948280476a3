"""Link passwords come back in clear in every datapoint answer (REAL-API 4): none may reach
stdout, stderr, logs, saved plans or exports, whichever command read them."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from reconciler.model import Secret
from reconciler.target import open_client
from tests.export.helpers import local_options, read_local
from tests.helpers import run_local

READ_PASSWORD = "hunter2-read-in-clear"  # set out of band: every answer about the link carries it
DECLARED_PASSWORD = "open-sesame-declared"  # from the environment, for the other link

MANIFEST = """\
groups:
  - name: spring
datapoints:
  - name: locked
    url: https://shop.example.com/locked
    title: Locked, retitled
    group: spring
  - name: guarded
    url: https://shop.example.com/guarded
    group: spring
    password: {env: GUARDED_PASSWORD}
"""


async def seed(db_path: Path) -> None:
    async with open_client(local_options(db_path)) as client:
        group = (await client.create_group({"name": "spring", "preferred": False}))["id"]
        await client.create_datapoint({"type": 0, "name": "locked", "title": "Locked", "groupId": group,
                                       "typeTL": {"url": "https://shop.example.com/locked", "redirectType": 301,
                                                  "password": READ_PASSWORD}})
        await client.create_datapoint({"type": 0, "name": "guarded", "groupId": group,
                                       "typeTL": {"url": "https://shop.example.com/guarded",
                                                  "password": "an-old-one-read-in-clear"}})


def test_no_password_read_or_declared_reaches_any_output(db_path: Path, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    asyncio.run(seed(db_path))
    monkeypatch.setenv("GUARDED_PASSWORD", DECLARED_PASSWORD)
    manifests = tmp_path / "manifests"
    manifests.mkdir()
    (manifests / "links.yaml").write_text(MANIFEST)
    saved, log, exported = tmp_path / "plan.json", tmp_path / "apply.log", tmp_path / "exported"

    results = [run_local(db_path, "plan", str(manifests), "--format", fmt) for fmt in ("text", "json", "markdown")]
    results.append(run_local(db_path, "plan", str(manifests), "--out", str(saved)))
    results.append(run_local(db_path, "apply", "--plan", str(saved), "--auto-approve", "--log", str(log)))
    results.append(run_local(db_path, "plan", str(manifests), "--detailed-exitcode"))
    results.append(run_local(db_path, "export", "--out", str(exported)))
    results += [run_local(db_path, "stats", str(manifests), "--format", fmt) for fmt in ("table", "csv", "json")]

    assert [result.exit_code for result in results] == [0] * 10, [r.output for r in results if r.exit_code]
    assert "~ link locked" in results[0].output and "password" in results[0].output  # guarded's is changed
    assert "No changes" in results[5].output, results[5].output  # the apply converged, passwords kept
    live = asyncio.run(read_local(db_path))
    passwords = {d.name: d.password for d in live.datapoints.values()}
    assert passwords == {"locked": Secret(READ_PASSWORD), "guarded": Secret(DECLARED_PASSWORD)}  # kept / set
    written = [saved.read_text(), log.read_text(),
               *(path.read_text() for path in exported.rglob("*") if path.is_file())]
    said = [result.output for result in results] + [result.stderr for result in results]
    for text in written + said:
        for secret in (READ_PASSWORD, DECLARED_PASSWORD, "an-old-one-read-in-clear"):
            assert secret not in text
