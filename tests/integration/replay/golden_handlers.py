"""Handlers the replay tests run: well-behaved and misbehaving ones."""

from __future__ import annotations

import time
import urllib.request
from typing import Any

from jobforge.context import JobContext
from jobforge.handlers import HandlerRegistry

registry = HandlerRegistry()


def scan(payload: dict[str, Any], ctx: JobContext) -> dict[str, Any]:
    hot = [asset for asset in payload["assets"] if asset.startswith("hot-")]
    ctx.trace.decision("classified", hot=len(hot))
    status = ctx.connector("readylayer.cdn").call("zone_status", {"zone": payload["zone"]})
    return {
        "hot": hot,
        "zone_healthy": status["healthy"],
        "scanned_at": ctx.now.isoformat(),
        "sample": ctx.random.randint(0, 10**6),
    }


def reads_the_clock(payload: Any, ctx: JobContext) -> dict[str, float]:
    return {"at": time.time()}


def reads_the_network(payload: Any, ctx: JobContext) -> None:
    urllib.request.urlopen("http://127.0.0.1:9/", timeout=1)


registry.register("test.scan", scan)
registry.register("test.clock", reads_the_clock)
registry.register("test.network", reads_the_network)
