"""A task as a chain of steps, and each routed step as a follow-up job.

A task without ``steps`` is one step needing the task's ``required_capabilities``; with
steps, step *i* needs those plus ``steps[i].capability``. Step *i* works on
``steps[i].input`` (the task's input when the step has none) and on the output of step
*i - 1* (``previous_output``). Each step is a follow-up job of the routed target's job
type, with the step payload below and the idempotency key ``aias:<task_id>:step:<i>``,
so a retried or duplicated job asks for each step once. It carries its parent's trace id
(JobForge gives follow-ups their parent's), so one trace id follows a task end to end.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from jobforge import JobContext
from jobforge.runners.aias.errors import InvalidTaskInput, NoAllowedTarget, NoCapableTarget
from jobforge.runners.aias.names import MAX_STEPS
from jobforge.runners.aias.policy import TenantPolicy, parse_policy
from jobforge.runners.aias.routing import Route
from jobforge.runners.aias.targets import Target

# Targets named one by one in an error message before "and N more".
MAX_NAMED_TARGETS = 5


@dataclass(frozen=True, slots=True)
class Agent:
    """The agent whose task this is; its ``preferred_targets`` break ties on load."""

    agent_id: str
    preferred_targets: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        document: dict[str, Any] = {"id": self.agent_id}
        if self.preferred_targets:
            document["preferred_targets"] = list(self.preferred_targets)
        return document


@dataclass(frozen=True, slots=True)
class StepSpec:
    """One declared step: the capability it adds, and its own input if it has one."""

    capability: str
    input: Any = None
    has_input: bool = False

    def to_json(self) -> dict[str, Any]:
        document: dict[str, Any] = {"capability": self.capability}
        if self.has_input:
            document["input"] = self.input
        return document


@dataclass(frozen=True, slots=True)
class Chain:
    """A task and everything its steps need to route and run the next one."""

    task_id: str
    kind: str
    agent: Agent
    required_capabilities: tuple[str, ...]
    steps: tuple[StepSpec, ...]
    policy: TenantPolicy
    task_input: Any

    @property
    def length(self) -> int:
        return max(1, len(self.steps))

    def capabilities(self, index: int) -> tuple[str, ...]:
        """What step ``index`` needs, sorted."""
        needed = set(self.required_capabilities)
        if self.steps:
            needed.add(self.steps[index].capability)
        return tuple(sorted(needed))

    def all_capabilities(self) -> tuple[str, ...]:
        """What any step needs, sorted (what the route asks the catalogue about)."""
        return tuple(
            sorted({name for index in range(self.length) for name in self.capabilities(index)})
        )

    def step_input(self, index: int) -> Any:
        if self.steps and self.steps[index].has_input:
            return self.steps[index].input
        return self.task_input

    def to_json(self) -> dict[str, Any]:
        """The ``chain`` object of a step payload."""
        return {
            "kind": self.kind,
            "agent": self.agent.to_json(),
            "required_capabilities": list(self.required_capabilities),
            "steps": [step.to_json() for step in self.steps],
            "policy": self.policy.to_json(),
            "input": self.task_input,
        }


def step_key(task_id: str, index: int) -> str:
    """The idempotency key of step ``index`` of a task: one job per task and step."""
    return f"aias:{task_id}:step:{index}"


def chain_from_route(payload: Any) -> Chain:
    """The chain an ``aias.task.route`` payload describes."""
    document = _object(payload, "payload")
    task = _object(document.get("task"), "payload.task")
    return _chain(
        document,
        task_id=(task.get("id"), "payload.task.id"),
        kind=(task.get("kind"), "payload.task.kind"),
        required=(task.get("required_capabilities"), "payload.task.required_capabilities"),
        task_input=task.get("input"),
        label="payload",
    )


def chain_from_step(payload: Any) -> Chain:
    """The chain an ``aias.step.run`` payload carries."""
    document = _object(payload, "payload")
    chain = _object(document.get("chain"), "payload.chain")
    return _chain(
        chain,
        task_id=(document.get("task_id"), "payload.task_id"),
        kind=(chain.get("kind"), "payload.chain.kind"),
        required=(chain.get("required_capabilities"), "payload.chain.required_capabilities"),
        task_input=chain.get("input"),
        label="payload.chain",
    )


def trace_route(ctx: JobContext, chain: Chain, index: int, route: Route) -> None:
    """Every target the router passed over, with why, then the choice and why."""
    for incapable in route.incapable:
        ctx.trace.decision(
            "candidate_incapable",
            task_id=chain.task_id,
            step=index,
            target=incapable.target.target_id,
            missing=list(incapable.missing),
        )
    for filtered in route.filtered:
        ctx.trace.decision(
            "candidate_filtered",
            task_id=chain.task_id,
            step=index,
            target=filtered.target.target_id,
            reasons=[str(refusal.reason) for refusal in filtered.refusals],
            detail="; ".join(refusal.detail for refusal in filtered.refusals),
        )
    chosen = route.chosen
    if chosen is not None:
        ctx.trace.decision(
            "route_chosen",
            task_id=chain.task_id,
            step=index,
            target=chosen.target_id,
            job_type=chosen.job_type,
            load=chosen.load,
            fallbacks=[target.target_id for target in route.fallbacks],
            reason=route.reason(),
        )


def require_target(chain: Chain, index: int, route: Route) -> Target:
    """The chosen target; NoCapableTarget or NoAllowedTarget, saying why, when none is."""
    chosen = route.chosen
    if chosen is not None:
        return chosen
    subject = f"task {chain.task_id} step {index} needs {', '.join(route.required)}"
    if not route.filtered:
        lacking = [
            f"{item.target.target_id} lacks {', '.join(item.missing)}" for item in route.incapable
        ]
        listed = f" ({_named(lacking)})" if lacking else ""
        raise NoCapableTarget(f"{subject}: no target in the catalogue declares them all{listed}")
    refused = [
        f"{item.target.target_id}: {'; '.join(refusal.detail for refusal in item.refusals)}"
        for item in route.filtered
    ]
    raise NoAllowedTarget(
        f"{subject}: the tenant's policy refuses every capable target ({_named(refused)})"
    )


def dispatch(
    ctx: JobContext,
    chain: Chain,
    index: int,
    route: Route,
    *,
    previous_output: Any = None,
) -> dict[str, Any]:
    """Ask for step ``index`` as a follow-up job of the chosen target's job type; what was
    routed, for the output."""
    chosen = require_target(chain, index, route)
    payload: dict[str, Any] = {
        "task_id": chain.task_id,
        "step": index,
        "capabilities": list(chain.capabilities(index)),
        "target": chosen.target_id,
        "fallbacks": [target.target_id for target in route.fallbacks],
        "input": chain.step_input(index),
        "chain": chain.to_json(),
    }
    if index > 0:
        payload["previous_output"] = previous_output
    key = step_key(chain.task_id, index)
    ctx.follow_up(chosen.job_type, payload, idempotency_key=key)
    return {
        "step": index,
        "capabilities": list(route.required),
        "target": chosen.target_id,
        "job_type": chosen.job_type,
        "load": chosen.load,
        "fallbacks": payload["fallbacks"],
        "candidates": route.candidates,
        "filtered": [
            {
                "target": item.target.target_id,
                "reasons": [str(refusal.reason) for refusal in item.refusals],
            }
            for item in route.filtered
        ],
        "idempotency_key": key,
    }


# ----------------------------------------------------------------- reading payloads


def _chain(
    document: Mapping[str, Any],
    *,
    task_id: tuple[Any, str],
    kind: tuple[Any, str],
    required: tuple[Any, str],
    task_input: Any,
    label: str,
) -> Chain:
    """A chain from its parts, each ``(value, label)``; agent, steps and policy are read
    from ``document`` (labelled ``label``)."""
    agent = _object(document.get("agent"), f"{label}.agent")
    return Chain(
        task_id=_text(*task_id),
        kind=_text(*kind),
        agent=Agent(
            agent_id=_text(agent.get("id"), f"{label}.agent.id"),
            preferred_targets=_texts(
                agent.get("preferred_targets"), f"{label}.agent.preferred_targets"
            ),
        ),
        required_capabilities=tuple(sorted(set(_texts(*required, minimum=1)))),
        steps=_steps(document.get("steps"), f"{label}.steps"),
        policy=parse_policy(document.get("policy"), f"{label}.policy"),
        task_input=task_input,
    )


def _steps(value: Any, label: str) -> tuple[StepSpec, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise InvalidTaskInput(f"{label}: expected an array, got {_type(value)}")
    if len(value) > MAX_STEPS:
        raise InvalidTaskInput(f"{label}: a task has at most {MAX_STEPS} steps, got {len(value)}")
    steps = []
    for index, item in enumerate(value):
        step = _object(item, f"{label}[{index}]")
        steps.append(
            StepSpec(
                capability=_text(step.get("capability"), f"{label}[{index}].capability"),
                input=step.get("input"),
                has_input="input" in step,
            )
        )
    return tuple(steps)


def _object(value: Any, label: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise InvalidTaskInput(f"{label}: expected an object, got {_type(value)}")
    return value


def _text(value: Any, label: str) -> str:
    if not isinstance(value, str) or not value:
        raise InvalidTaskInput(f"{label}: expected a non-empty string, got {value!r}")
    return value


def _texts(value: Any, label: str, *, minimum: int = 0) -> tuple[str, ...]:
    if value is None and minimum == 0:
        return ()
    if not isinstance(value, list) or not all(isinstance(item, str) and item for item in value):
        raise InvalidTaskInput(f"{label}: expected an array of non-empty strings")
    if len(value) < minimum:
        raise InvalidTaskInput(f"{label}: expected at least {minimum} item(s)")
    return tuple(value)


def _named(items: list[str]) -> str:
    shown = "; ".join(items[:MAX_NAMED_TARGETS])
    hidden = len(items) - MAX_NAMED_TARGETS
    return shown if hidden <= 0 else f"{shown}; and {hidden} more"


def _type(value: Any) -> str:
    return "null" if value is None else type(value).__name__
