"""``aias.task.route``: route a task's first step, after making sure every step can go
somewhere.

The catalogue is asked once, for every capability any step needs. Each step is routed
against it under the task's policy: if one has no allowed target the task fails before
any step runs (``no_capable_target``, ``no_allowed_target``), naming the step and why.
Otherwise step 0 is asked for as a follow-up job of its target's job type; each step
routes the next when it is done, against the load at that time.
"""

from __future__ import annotations

from typing import Any

from jobforge import JobContext
from jobforge.runners.aias.chain import chain_from_route, dispatch, require_target, trace_route
from jobforge.runners.aias.registry import list_targets
from jobforge.runners.aias.routing import route


def route_task(payload: Any, ctx: JobContext) -> dict[str, Any]:
    """Plan the task's steps and dispatch the first one."""
    chain = chain_from_route(payload)
    catalogue = list_targets(ctx, chain.all_capabilities())
    preferred = chain.agent.preferred_targets
    routes = [
        route(catalogue, chain.capabilities(index), chain.policy, preferred)
        for index in range(chain.length)
    ]
    trace_route(ctx, chain, 0, routes[0])
    require_target(chain, 0, routes[0])
    for index, later in enumerate(routes[1:], start=1):
        if later.chosen is None:
            trace_route(ctx, chain, index, later)
            require_target(chain, index, later)
        ctx.trace.decision(
            "step_planned",
            task_id=chain.task_id,
            step=index,
            capabilities=list(later.required),
            eligible=[target.target_id for target in later.ranked],
        )
    first = dispatch(ctx, chain, 0, routes[0])
    return {
        "task_id": chain.task_id,
        "agent_id": chain.agent.agent_id,
        "kind": chain.kind,
        "chain_length": chain.length,
        "plan": [
            {"step": index, "capabilities": list(planned.required), "eligible": len(planned.ranked)}
            for index, planned in enumerate(routes)
        ],
        "route": first,
    }
