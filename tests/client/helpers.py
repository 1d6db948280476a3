"""Helpers for the client tests: request bodies and `serve` in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import httpx

from reconciler.apishapes import AUTH_HEADER
from tests.helpers import free_port

REPOSITORY = Path(__file__).parents[2]


@contextmanager
def served(db_path: Path, api_key: str, *options: str) -> Iterator[str]:
    """`clickmeter-reconciler serve` in a subprocess on a free port; yields its base URL."""
    port = free_port()
    command = [sys.executable, "-m", "reconciler", "serve", "--host", "127.0.0.1", "--port", str(port),
               "--db", str(db_path), "--api-key", api_key, *options]
    url = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(command, stdout=log, stderr=log,
                                   env={**os.environ, "PYTHONPATH": str(REPOSITORY)})
        try:
            _wait_until_listening(url, api_key, process, log)
            yield url
        finally:
            process.terminate()
            process.wait(timeout=10)


def _wait_until_listening(url: str, api_key: str, process: subprocess.Popen[bytes], log: IO[bytes]) -> None:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log.seek(0)
            raise RuntimeError(f"serve exited: {log.read().decode(errors='replace')[-2000:]}")
        try:
            httpx.get(f"{url}/account", headers={AUTH_HEADER: api_key}, timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.05)
    raise RuntimeError("serve did not start listening")


def link(name: str, url: str = "https://shop.example.com/", **fields: Any) -> dict[str, Any]:
    """A tracking-link body as openapi.json shapes it."""
    type_tl = {"url": url, **fields.pop("typeTL", {})}
    return {"type": 0, "name": name, "typeTL": type_tl, **fields}


def pixel(name: str, **fields: Any) -> dict[str, Any]:
    return {"type": 1, "name": name, **fields}
