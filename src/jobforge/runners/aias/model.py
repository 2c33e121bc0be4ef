"""The ``aias.model`` connector: running one step on a target, falling back to the next.

The connector's metadata decides what a failed call becomes before the handler sees it
(docs/connectors-runtime.md): retried inside the call, then handed on as its
``fallback_behavior`` says. This module adds one rule on top, the only decision the
handler makes about failures:

* a failure the metadata hands to the handler as it is (``fail``, or ``skip``'s empty
  answer) moves the step to the next target of its route — its fallbacks, allowed by the
  same policy — with a ``target_fallback`` decision in the trace; when no target is left,
  the step fails with the last failure and the job follows its own retry schedule;
* a failure the metadata already gave a fate is left alone: ``queue`` (the job runs again
  after the delay) and ``dead_letter`` (the job is dead at once) propagate unchanged.

So changing a failure mode's ``fallback_behavior`` in ``connectors/aias.model/metadata.json``
changes what a step does about it, with no code involved.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from jobforge import JobContext
from jobforge.errors import ConnectorDeadLetter, ConnectorFailure, JobForgeError
from jobforge.runners.aias.chain import Chain
from jobforge.runners.aias.errors import InvalidModelResponse
from jobforge.runners.aias.names import MODEL_CONNECTOR_ID, RUN_STEP

# How an empty answer (``fallback_behavior: skip``) shows in the trace and the output.
NO_RESPONSE = "no_response"


class StepUnanswered(JobForgeError):
    """Every target of a step gave no answer (their failures' fallback is ``skip``).

    Retried on the job's own schedule, as a plain connector failure is.
    """

    error_kind = "step_unanswered"


@dataclass(frozen=True, slots=True)
class Fallback:
    """A target the step left, and why (the failure's error kind, or no_response)."""

    target: str
    error_kind: str

    def to_json(self) -> dict[str, Any]:
        return {"target": self.target, "error_kind": self.error_kind}


@dataclass(frozen=True, slots=True)
class StepAnswer:
    """The target that answered, its output, and the targets left before it."""

    target: str
    output: Any
    fallbacks_taken: tuple[Fallback, ...]


def run_on_targets(
    ctx: JobContext,
    chain: Chain,
    index: int,
    targets: Sequence[str],
    *,
    step_input: Any,
    previous_output: Any,
) -> StepAnswer:
    """Run step ``index`` on the first of ``targets`` that answers."""
    left: list[Fallback] = []
    last_failure: ConnectorFailure | None = None
    for position, target in enumerate(targets):
        request = {
            "tenant_id": str(ctx.tenant_id),
            "task_id": chain.task_id,
            "step": index,
            "kind": chain.kind,
            "agent_id": chain.agent.agent_id,
            "target": target,
            "capabilities": list(chain.capabilities(index)),
            "input": step_input,
            "previous_output": previous_output,
        }
        try:
            response = ctx.connector(MODEL_CONNECTOR_ID).call(RUN_STEP, request)
        except ConnectorFailure as failure:
            if isinstance(failure, ConnectorDeadLetter) or failure.retry_in_seconds is not None:
                raise  # the metadata decided: dead at once, or queued to run again
            last_failure = failure
            left.append(Fallback(target, failure.error_kind))
        else:
            if response is not None:
                return StepAnswer(target, _output(response), tuple(left))
            last_failure = None
            left.append(Fallback(target, NO_RESPONSE))
        following = targets[position + 1] if position + 1 < len(targets) else None
        ctx.trace.decision(
            "target_fallback",
            task_id=chain.task_id,
            step=index,
            target=target,
            error_kind=left[-1].error_kind,
            next_target=following,
        )
    raise _exhausted(chain, index, left, last_failure)


def _exhausted(
    chain: Chain, index: int, left: list[Fallback], last_failure: ConnectorFailure | None
) -> JobForgeError:
    tried = ", ".join(f"{item.target} ({item.error_kind})" for item in left)
    message = f"task {chain.task_id} step {index}: no target answered: {tried}"
    if last_failure is None:
        return StepUnanswered(message)
    return ConnectorFailure(last_failure.type, message, error_kind=last_failure.error_kind)


def _output(response: Any) -> Any:
    where = f"{MODEL_CONNECTOR_ID}.{RUN_STEP}"
    if not isinstance(response, Mapping):
        raise InvalidModelResponse(
            f"{where}: expected an object with an output, got {type(response).__name__}"
        )
    if "output" not in response:
        keys = ", ".join(sorted(str(key) for key in response)) or "none"
        raise InvalidModelResponse(f"{where}: expected an object with an output, got keys {keys}")
    return response["output"]
