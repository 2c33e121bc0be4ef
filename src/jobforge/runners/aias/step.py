"""``aias.step.run``: run one step of a task on its routed target, then route the next.

The step runs on its target through ``aias.model`` (falling back to the route's next
targets as ``model.py`` describes). When it answers and steps remain, the next step is
routed against the catalogue's load now and asked for as a follow-up job, carrying this
step's output as its ``previous_output``; after the last step the chain is complete.

``continue_chain`` is the second half on its own: a job type of the application's own
that serves a step (a target whose ``job_type`` is not ``aias.step.run``) receives the
same step payload and calls it with its output to keep the chain going.
"""

from __future__ import annotations

from typing import Any

from jobforge import JobContext
from jobforge.runners.aias.chain import Chain, chain_from_step, dispatch, trace_route
from jobforge.runners.aias.errors import InvalidTaskInput
from jobforge.runners.aias.model import run_on_targets
from jobforge.runners.aias.registry import list_targets
from jobforge.runners.aias.routing import route


def run_step(payload: Any, ctx: JobContext) -> dict[str, Any]:
    """Run the step the payload names and ask for the next one."""
    chain = chain_from_step(payload)
    index = step_index(payload, chain)
    targets = _targets(payload)
    answer = run_on_targets(
        ctx,
        chain,
        index,
        targets,
        step_input=payload.get("input"),
        previous_output=payload.get("previous_output"),
    )
    ctx.trace.decision(
        "step_answered",
        task_id=chain.task_id,
        step=index,
        target=answer.target,
        reason=(
            f"{answer.target} answered"
            if not answer.fallbacks_taken
            else f"{answer.target} answered after {len(answer.fallbacks_taken)} target(s) failed"
        ),
    )
    following = continue_chain(ctx, chain, index, answer.output)
    return {
        "task_id": chain.task_id,
        "step": index,
        "capabilities": list(chain.capabilities(index)),
        "target": answer.target,
        "fallbacks_taken": [fallback.to_json() for fallback in answer.fallbacks_taken],
        "output": answer.output,
        "next": following,
        "chain_complete": following is None,
    }


def continue_chain(ctx: JobContext, chain: Chain, index: int, output: Any) -> dict[str, Any] | None:
    """Route and ask for the step after ``index`` (what was routed), or None after the
    last step. Fails with no_capable_target or no_allowed_target when the catalogue no
    longer has an allowed target for it."""
    following = index + 1
    if following >= chain.length:
        ctx.trace.decision(
            "chain_complete",
            task_id=chain.task_id,
            step=index,
            reason=f"step {index} was the last of {chain.length}",
        )
        return None
    catalogue = list_targets(ctx, chain.capabilities(following))
    routed = route(
        catalogue, chain.capabilities(following), chain.policy, chain.agent.preferred_targets
    )
    trace_route(ctx, chain, following, routed)
    return dispatch(ctx, chain, following, routed, previous_output=output)


def step_index(payload: Any, chain: Chain) -> int:
    """The payload's step index, checked against its chain and capabilities."""
    index = payload.get("step")
    if isinstance(index, bool) or not isinstance(index, int) or index < 0:
        raise InvalidTaskInput(f"payload.step: expected an integer from 0, got {index!r}")
    if index >= chain.length:
        raise InvalidTaskInput(
            f"payload.step: {index} is past the end of a chain of {chain.length} step(s)"
        )
    declared = payload.get("capabilities")
    needed = chain.capabilities(index)
    if not isinstance(declared, list) or sorted(set(map(str, declared))) != list(needed):
        raise InvalidTaskInput(
            f"payload.capabilities: step {index} of this chain needs {', '.join(needed)}, "
            f"the payload says {declared!r}"
        )
    return index


def _targets(payload: Any) -> list[str]:
    """The step's target, then its fallbacks, each once."""
    target = payload.get("target")
    fallbacks = payload.get("fallbacks") or []
    if not isinstance(target, str) or not target:
        raise InvalidTaskInput(f"payload.target: expected a non-empty string, got {target!r}")
    if not isinstance(fallbacks, list) or not all(isinstance(item, str) for item in fallbacks):
        raise InvalidTaskInput("payload.fallbacks: expected an array of strings")
    ordered: list[str] = []
    for name in [target, *fallbacks]:
        if name not in ordered:
            ordered.append(name)
    return ordered
