"""Handlers the router benchmarks run in worker processes."""

from __future__ import annotations

import time
from typing import Any

from jobforge import JobContext, handler


@handler("bench.noop")
def noop(payload: Any, ctx: JobContext) -> None:
    return None


@handler("bench.latency")
def latency(payload: Any, ctx: JobContext) -> dict[str, float]:
    return {"handler_started_at": time.time()}
