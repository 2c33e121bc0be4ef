"""Running the AIAS handlers in-process on a real JobContext whose connector calls are
answered by recordings (as a replay answers them), and building their payloads."""

from __future__ import annotations

import copy
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from jobforge.connectors.calls import RecordedFailure, RecordedResponse
from jobforge.connectors.registry import ConnectorRegistry
from jobforge.connectors.session import ConnectorSession
from jobforge.context import JobContext
from jobforge.determinism.trace import HANDLER_SOURCE, DecisionTrace
from jobforge.runners.aias.names import (
    LIST_TARGETS,
    MODEL_CONNECTOR_ID,
    REGISTRY_CONNECTOR_ID,
    RUN_STEP,
    RUNNER_ID,
)

NOW = datetime(2025, 6, 2, 8, 0, tzinfo=UTC)
TENANT = uuid.UUID(int=2)


def target(
    target_id: str,
    *capabilities: str,
    load: float = 0.5,
    cost_tier: int = 1,
    region: str = "eu-west",
    job_type: str = "aias.step.run",
) -> dict[str, Any]:
    """A catalogue entry as ``aias.registry`` answers with it."""
    return {
        "id": target_id,
        "job_type": job_type,
        "capabilities": list(capabilities),
        "load": load,
        "cost_tier": cost_tier,
        "region": region,
    }


def catalogue(*targets: dict[str, Any]) -> RecordedResponse:
    return RecordedResponse(REGISTRY_CONNECTOR_ID, LIST_TARGETS, {"targets": list(targets)})


def answer(output: Any) -> RecordedResponse:
    """A ``run_step`` answer with ``output``; None stands for no answer (a ``skip``)."""
    return RecordedResponse(
        MODEL_CONNECTOR_ID, RUN_STEP, None if output is None else {"output": output}
    )


def failure(
    failure_type: str,
    *,
    dead_letter: bool = False,
    retry_in_seconds: float | None = None,
) -> RecordedResponse:
    """A ``run_step`` call that failed as the connector's metadata handed it on."""
    return RecordedResponse(
        MODEL_CONNECTOR_ID,
        RUN_STEP,
        None,
        failure=RecordedFailure(
            type=failure_type,
            kind=f"connector_{failure_type}",
            message=f"aias.model.run_step: {failure_type}",
            dead_letter=dead_letter,
            retry_in_seconds=retry_in_seconds,
        ),
    )


def route_payload(
    *required: str,
    steps: Sequence[dict[str, Any]] | None = None,
    policy: dict[str, Any] | None = None,
    preferred: Sequence[str] = (),
    task_id: str = "task-1",
) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "task": {
            "id": task_id,
            "kind": "support.reply",
            "required_capabilities": list(required),
            "input": {"ticket": 4711},
        },
        "agent": {"id": "agent-7"},
    }
    if preferred:
        payload["agent"]["preferred_targets"] = list(preferred)
    if steps is not None:
        payload["steps"] = list(steps)
    if policy is not None:
        payload["policy"] = policy
    return payload


class Run:
    """One handler call answered by ``recordings``, in order."""

    def __init__(
        self,
        handler: Callable[[Any, JobContext], Any],
        payload: Any,
        recordings: Sequence[RecordedResponse],
    ) -> None:
        self.trace = DecisionTrace(RUNNER_ID)
        self.session = ConnectorSession(ConnectorRegistry(), list(recordings), self.trace.record)
        self.context = JobContext(
            job_id=uuid.UUID(int=1),
            tenant_id=TENANT,
            job_type="aias.test",
            attempt=1,
            max_attempts=3,
            trace_id="trace",
            worker_id="test",
            now=NOW,
            seed=0,
            trace=self.trace,
            runner_id=RUNNER_ID,
            connectors=self.session,
        )
        self.handler = handler
        self.payload = copy.deepcopy(payload)

    def __call__(self) -> Any:
        return self.handler(self.payload, self.context)

    def calls(self) -> list[tuple[str, Any]]:
        return [(exchange.operation, exchange.request) for exchange in self.session.exchanges()]

    def model_targets(self) -> list[str]:
        return [request["target"] for operation, request in self.calls() if operation == RUN_STEP]

    def decisions(self, name: str | None = None) -> list[dict[str, Any]]:
        return [
            event
            for event in self.trace.events()
            if event["source"] == HANDLER_SOURCE and (name is None or event["decision"] == name)
        ]

    def decision_names(self) -> list[str]:
        return [event["decision"] for event in self.decisions()]
