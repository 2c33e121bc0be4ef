"""Demo handlers: a greeting, a job that fails once before it succeeds, and a ledger step."""

from __future__ import annotations

from typing import Any

from jobforge.context import JobContext
from jobforge.errors import NonRetryableError
from jobforge.handlers import HandlerRegistry

demo_registry = HandlerRegistry()


def greet(payload: dict[str, Any], ctx: JobContext) -> dict[str, Any]:
    return {"greeting": f"Hello, {payload['name']}!", "trace_id": ctx.trace_id}


def flaky(payload: dict[str, Any], ctx: JobContext) -> dict[str, Any]:
    """Fails its first attempt, as a call to a briefly unavailable service would."""
    if ctx.attempt == 1:
        raise ConnectionError("upstream unavailable (the demo fails the first attempt)")
    return {"attempts_needed": ctx.attempt}


def ledger_step(payload: dict[str, Any], ctx: JobContext) -> dict[str, Any]:
    """Jobs of one account run one at a time, in enqueue order (ordering_key)."""
    return {"account": payload["account"], "step": payload["step"]}


def refuse(payload: dict[str, Any], ctx: JobContext) -> None:
    raise NonRetryableError(f"invalid request {payload!r}: dead-lettered without retry")


demo_registry.register("demo.greet", greet)
demo_registry.register("demo.flaky", flaky)
demo_registry.register("demo.ledger.step", ledger_step)
demo_registry.register("demo.refuse", refuse)
