"""Handlers the chaos workers load with ``-m tests.chaos.handlers``: good ones, and ones
that misbehave in every way a handler can."""

from __future__ import annotations

import os
from typing import Any

from jobforge import JobContext, handler


@handler("chaos.work")
def work(payload: dict[str, Any], ctx: JobContext) -> dict[str, Any]:
    """A good job: a little computing, a deterministic answer."""
    return {"n": payload["n"], "sum": sum(range(payload["n"] % 500))}


@handler("chaos.exit")
def call_sys_exit(payload: dict[str, Any], ctx: JobContext) -> None:
    raise SystemExit(2)


@handler("chaos.interrupt")
def raise_keyboard_interrupt(payload: dict[str, Any], ctx: JobContext) -> None:
    raise KeyboardInterrupt


@handler("chaos.raise")
def raise_an_error(payload: dict[str, Any], ctx: JobContext) -> None:
    raise RuntimeError("this handler always fails")


@handler("chaos.crash")
def kill_the_process(payload: dict[str, Any], ctx: JobContext) -> None:
    """What a segfault in a C extension does: the process ends, mid-job, with no cleanup."""
    os._exit(70)
