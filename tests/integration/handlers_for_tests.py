"""Handlers the worker-process tests load with ``-m tests.integration.handlers_for_tests``."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path
from typing import Any

from jobforge import JobContext, handler

# A blocked handler gives up after this long, so a forgotten worker cannot run forever.
BLOCK_LIMIT_SECONDS = 60.0
POLL_SECONDS = 0.02


@handler("proc.noop")
def noop(payload: dict[str, Any], ctx: JobContext) -> dict[str, Any]:
    return {"n": payload.get("n"), "attempt": ctx.attempt}


@handler("proc.block")
def block_on_first_attempt(payload: dict[str, Any], ctx: JobContext) -> dict[str, Any]:
    """On attempt 1: write ``<name>.started`` (holding our pid), then wait for
    ``<name>.release`` to appear. Later attempts return at once."""
    if ctx.attempt == 1:
        folder = Path(payload["marker_dir"])
        (folder / f"{payload['name']}.started").write_text(str(os.getpid()), encoding="utf-8")
        release = folder / f"{payload['name']}.release"
        deadline = time.monotonic() + BLOCK_LIMIT_SECONDS
        pause = threading.Event()
        while not release.exists() and time.monotonic() < deadline:
            pause.wait(POLL_SECONDS)
    return {"name": payload["name"], "attempt": ctx.attempt}
