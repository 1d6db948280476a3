"""Apply always ends with its summary and exit 1 when its log, its terminal or the service
fails under it (issue 15, item 4)."""

from __future__ import annotations

import asyncio
import io
import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

from reconciler.apply.run import execute_plan, report_lines
from reconciler.clickmeter.client import ClickMeterClient
from reconciler.model import DatapointSpec
from reconciler.server.app import create_app
from tests.apply.helpers import desired_state, live_datapoints, plan_for
from tests.helpers import run_local, serving_app

LINKS = 60  # three batches of at most 25


def _manifest(tmp_path: Path) -> Path:
    path = tmp_path / "links.yaml"
    path.write_text("datapoints:\n" + "".join(f"  - name: dp-{i}\n    url: https://shop.example.com/{i}\n"
                                              for i in range(LINKS)))
    return path


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_a_full_log_disk_still_ends_with_the_summary(tmp_path: Path, db_path: Path) -> None:
    result = run_local(db_path, "apply", str(_manifest(tmp_path)), "--auto-approve", "--log", "/dev/full")
    lines = result.output.splitlines()
    assert result.exit_code == 1
    assert "Apply: 60 done, 0 failed, 0 skipped, 0 not started." in lines
    assert ("warning: the --log file stopped being written at call 1 (No space left on device); "
            "it is incomplete") in lines
    assert lines[-1] == "converged"
    assert len(live_datapoints(db_path)) == LINKS


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_a_failing_terminal_still_ends_with_the_summary(tmp_path: Path, db_path: Path) -> None:
    with open("/dev/full", "w") as full:
        result = subprocess.run([sys.executable, "-m", "reconciler", "--local-db", str(db_path), "apply",
                                 str(_manifest(tmp_path)), "--auto-approve"],
                                stdout=subprocess.PIPE, stderr=full, text=True, timeout=120)
    lines = result.stdout.splitlines()
    assert result.returncode == 1
    assert "Apply: 60 done, 0 failed, 0 skipped, 0 not started." in lines
    assert "warning: progress could not be shown after call 1 (No space left on device)" in lines


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_a_failing_stdout_is_one_line_and_exit_1(tmp_path: Path, db_path: Path) -> None:
    with open("/dev/full", "w") as full:
        result = subprocess.run([sys.executable, "-m", "reconciler", "--local-db", str(db_path), "validate",
                                 str(_manifest(tmp_path))], stdout=full, stderr=subprocess.PIPE, text=True,
                                timeout=60)
    assert (result.returncode, result.stderr) == (1, "error: cannot write the output: No space left on device\n")


class DiesAfterFirstWrite:
    """ASGI wrapper: the first write's answer is held until the server is shutting down (`dying`
    tells the test to stop it), then sent; every later call finds no server."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.dying = threading.Event()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["method"] == "GET" or self.dying.is_set():
            await self.app(scope, receive, send)
            return

        async def send_once_dying(message: Any) -> None:
            if message["type"] == "http.response.body" and not message.get("more_body"):
                self.dying.set()
                await asyncio.sleep(0.5)  # uvicorn looks at should_exit every 0.1 s
            await send(message)

        await self.app(scope, receive, send_once_dying)


@pytest.mark.anyio
async def test_the_service_dying_mid_apply_still_ends_with_the_summary(db_path: Path, api_key: str) -> None:
    app = create_app(db_path)
    wrapper = DiesAfterFirstWrite(app)
    serving = serving_app(wrapper, log_level="critical")
    url = serving.__enter__()
    stopper = threading.Thread(target=lambda: (wrapper.dying.wait(30), serving.__exit__(None, None, None)))
    stopper.start()
    desired = desired_state([DatapointSpec(f"dp-{i}", url=f"https://shop.example.com/{i}") for i in range(LINKS)])
    try:
        async with ClickMeterClient(url, api_key, concurrency=1, backoff=0.001, max_backoff=0.01) as client:
            plan = await plan_for(client, desired)
            outcome = await execute_plan(client, plan, saved=False, stream=io.StringIO())
    finally:
        wrapper.dying.set()
        await asyncio.to_thread(stopper.join, 30)
        app.state.store.close()
    lines = report_lines(plan, outcome)
    assert not outcome.succeeded and not outcome.verified
    assert [line for line in lines if line.startswith("Apply:")] == [
        "Apply: 25 done, 35 failed, 0 skipped, 0 not started."]
    assert any(line.startswith("warning: not verified: the account could not be read back (") for line in lines)
    assert lines[-1] == "Not verified: run plan to see exactly what remains."
    assert len(live_datapoints(db_path)) == 25
