"""AIAS through the real worker and PostgreSQL: a routed task runs as a chain of
follow-up jobs under one trace id, and a failing step meets the fate its connector's
metadata gives it (retried in the call, queued, moved to a fallback target, dead-lettered).

The catalogue and the model are in-process transports; everything else is real: the
runner contract's schemas, the connectors' metadata read from connectors/, the follow-up
enqueue in the completing transaction and its idempotency keys. The connector clock
records waits instead of sleeping.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from jobforge import HandlerRegistry
from jobforge.client import Job, JobForgeClient
from jobforge.connectors.policy import ConnectorPolicy, policies_from_metadata
from jobforge.connectors.registry import ConnectorRegistry
from jobforge.contracts.loading.loader import load_file
from jobforge.contracts.models.contract_files import ConnectorMetadata, RunnerConfig
from jobforge.errors import ConnectorFailure
from jobforge.runners.aias.names import (
    MODEL_CONNECTOR_ID,
    REGISTRY_CONNECTOR_ID,
    ROUTE_JOB_TYPE,
    RUNNER_ID,
    STEP_JOB_TYPE,
)
from jobforge.runners.aias.route import route_task
from jobforge.runners.aias.step import run_step
from jobforge.worker import Worker, WorkerConfig
from jobforge.worker.job_types import contracts_by_job_type
from tests.integration.support import wait_until
from tests.unit.connectors.policy_support import FakeClock

ROOT = Path(__file__).resolve().parents[2]
CONTRACT = ROOT / "contracts" / "runners" / f"{RUNNER_ID}.yaml"
METADATA = [
    ROOT / "connectors" / name / "metadata.json" for name in ("aias.registry", "aias.model")
]
DRAIN_SECONDS = 30

CATALOGUE = [
    {"id": "claude-eu", "job_type": STEP_JOB_TYPE, "capabilities": ["summarise", "translate"],
     "load": 0.35, "cost_tier": 2, "region": "eu-central"},
    {"id": "llama-us", "job_type": STEP_JOB_TYPE, "capabilities": ["summarise", "translate"],
     "load": 0.1, "cost_tier": 1, "region": "us-east"},
    {"id": "mistral-eu", "job_type": STEP_JOB_TYPE, "capabilities": ["summarise"],
     "load": 0.2, "cost_tier": 1, "region": "eu-west"},
]  # fmt: skip
THREE_STEPS = {
    "task": {
        "id": "ticket-4711",
        "kind": "support.reply",
        "required_capabilities": ["summarise"],
        "input": {"ticket": 4711},
    },
    "agent": {"id": "support-agent-7"},
    "steps": [
        {"capability": "summarise"},
        {"capability": "translate", "input": {"language": "de"}},
        {"capability": "summarise", "input": {"style": "short"}},
    ],
    "policy": {"data_residency": ["eu-west", "eu-central"]},
}
ONE_STEP = {**THREE_STEPS, "steps": [{"capability": "summarise"}]}


class Model:
    """The ``aias.model`` transport: answers ``<target>:<step>`` (with what it was given),
    unless ``fail`` raises for that call first. Records every call's target."""

    def __init__(self, fail: Callable[[dict[str, Any]], None] | None = None) -> None:
        self.fail = fail
        self.calls: list[tuple[str, int]] = []
        self._lock = threading.Lock()

    def __call__(self, operation: str, request: Any) -> Any:
        with self._lock:
            self.calls.append((request["target"], request["step"]))
        if self.fail is not None:
            self.fail(request)
        previous = request["previous_output"]
        return {"output": {"by": f"{request['target']}:{request['step']}", "after": previous}}


def catalogue(operation: str, request: Any) -> Any:
    wanted = set(request["capabilities"])
    return {"targets": [t for t in CATALOGUE if wanted & set(t["capabilities"])]}


def load(path: Path, model: type[Any]) -> Any:
    loaded = load_file(path, path.name)
    assert loaded.ok, loaded.problems
    return model.model_validate(loaded.data)


@pytest.fixture(scope="module")
def policies() -> dict[str, ConnectorPolicy]:
    return policies_from_metadata([load(path, ConnectorMetadata) for path in METADATA])


class Setup:
    def __init__(self, model: Model, policies: dict[str, ConnectorPolicy]) -> None:
        self.model = model
        self.policies = policies
        self.clock = FakeClock()
        self.registry = HandlerRegistry()
        self.registry.register(ROUTE_JOB_TYPE, route_task)
        self.registry.register(STEP_JOB_TYPE, run_step)
        self.connectors = ConnectorRegistry()
        self.connectors.register(REGISTRY_CONNECTOR_ID, catalogue)
        self.connectors.register(MODEL_CONNECTOR_ID, model)
        self.job_types = contracts_by_job_type([load(CONTRACT, RunnerConfig)])

    def drain(
        self, database_url: str, client: JobForgeClient, *, until: Callable[[], bool]
    ) -> None:
        def run_and_check() -> bool:
            Worker(
                database_url,
                registry=self.registry,
                config=WorkerConfig(burst=True, poll_interval_seconds=0.05, concurrency=1),
                job_types=self.job_types,
                connectors=self.connectors,
                connector_policies=self.policies,
                connector_clock=self.clock,
            ).run()
            return until()

        wait_until(run_and_check, DRAIN_SECONDS, "the chain to settle")


def enqueue_route(client: JobForgeClient, tenant: uuid.UUID, payload: Any, **options: Any) -> Job:
    receipt = client.enqueue_job(
        tenant_id=tenant, type=ROUTE_JOB_TYPE, payload=payload, trace_id="agent-run-42", **options
    )
    return client.get_job(receipt.id)


def only_child(client: JobForgeClient, parent: Job) -> Job:
    [child] = client.get_follow_ups(parent.id)
    return child


def test_a_task_runs_as_a_chain_of_follow_ups_under_one_trace_id(
    database_url: str, client: JobForgeClient, tenant_id: uuid.UUID, policies: Any
) -> None:
    setup = Setup(Model(), policies)
    route = enqueue_route(client, tenant_id, THREE_STEPS)

    setup.drain(database_url, client, until=lambda: _last_step_finished(client, route))

    assert client.get_job(route.id).state == "succeeded"
    chain = [route]
    while children := client.get_follow_ups(chain[-1].id):
        [child] = children
        chain.append(child)
    assert [job.type for job in chain] == [ROUTE_JOB_TYPE] + [STEP_JOB_TYPE] * 3
    assert {(job.trace_id, job.tenant_id) for job in chain} == {("agent-run-42", tenant_id)}
    assert [job.parent_job_id for job in chain[1:]] == [job.id for job in chain[:-1]]
    assert [job.idempotency_key for job in chain[1:]] == [
        f"aias:ticket-4711:step:{index}" for index in range(3)
    ]
    assert all(client.get_job(job.id).state == "succeeded" for job in chain)

    # Step 0 to the least loaded EU target; step 1 needs translate (only claude-eu is in the
    # EU); step 2 back to mistral-eu. Each step got the one before's output.
    assert setup.model.calls == [("mistral-eu", 0), ("claude-eu", 1), ("mistral-eu", 2)]
    outputs = [client.get_result(job.id).output for job in chain[1:]]
    assert [output["target"] for output in outputs] == ["mistral-eu", "claude-eu", "mistral-eu"]
    assert outputs[1]["output"] == {
        "by": "claude-eu:1",
        "after": {"by": "mistral-eu:0", "after": None},
    }
    assert [output["chain_complete"] for output in outputs] == [False, False, True]

    # The parent's trace shows the filtered candidate and the follow-up it asked for.
    [result] = client.get_results(route.id)
    decisions = [event["decision"] for event in result.decision_trace]
    assert decisions.count("candidate_filtered") == 1
    assert decisions.count("follow_up") == 1
    [follow_up] = result.follow_ups
    assert (follow_up["job_id"], follow_up["created"]) == (str(chain[1].id), True)


def test_a_route_enqueued_twice_makes_its_first_step_once(
    database_url: str, client: JobForgeClient, tenant_id: uuid.UUID, policies: Any
) -> None:
    setup = Setup(Model(), policies)
    first = enqueue_route(client, tenant_id, ONE_STEP)
    second = enqueue_route(client, tenant_id, ONE_STEP, idempotency_key="again")
    setup.drain(
        database_url,
        client,
        until=lambda: (
            all(client.get_job(job.id).is_finished for job in (first, second))
            and _last_step_finished(client, first)
        ),
    )
    step = only_child(client, first)
    assert client.get_follow_ups(second.id) == []
    [result] = client.get_results(second.id)
    assert [(f["job_id"], f["created"]) for f in result.follow_ups] == [(str(step.id), False)]
    assert setup.model.calls == [("mistral-eu", 0)]


def test_a_rate_limited_step_is_retried_in_the_call_then_queued_as_the_metadata_says(
    database_url: str, client: JobForgeClient, tenant_id: uuid.UUID, policies: Any
) -> None:
    """rate_limit_exceeded: 2 retries inside the call (exponential, Retry-After honoured),
    then queue: the attempt fails and the job runs again after the Retry-After."""
    failures = iter(range(3))

    def rate_limited(request: dict[str, Any]) -> None:
        if next(failures, None) is not None:
            raise ConnectorFailure("rate_limit_exceeded", "429", retry_after=0.01)

    setup = Setup(Model(rate_limited), policies)
    route = enqueue_route(client, tenant_id, ONE_STEP)
    setup.drain(database_url, client, until=lambda: _last_step_finished(client, route))

    step = only_child(client, route)
    results = client.get_results(step.id)
    assert [r.outcome for r in results] == ["failed", "succeeded"]
    assert results[0].error["kind"] == "connector_rate_limit_exceeded"
    assert "queued to run again" in results[0].error["message"]
    assert setup.model.calls == [("mistral-eu", 0)] * 4
    assert setup.clock.sleeps == [0.01, 0.01]
    assert results[1].output["fallbacks_taken"] == []


def test_a_timing_out_target_is_retried_once_then_the_step_falls_back(
    database_url: str, client: JobForgeClient, tenant_id: uuid.UUID, policies: Any
) -> None:
    """timeout: 1 retry inside the call (fixed), then fail: the step moves to claude-eu."""

    def mistral_times_out(request: dict[str, Any]) -> None:
        if request["target"] == "mistral-eu":
            raise ConnectorFailure("timeout", "no answer in 60 s")

    setup = Setup(Model(mistral_times_out), policies)
    route = enqueue_route(client, tenant_id, ONE_STEP)
    setup.drain(database_url, client, until=lambda: _last_step_finished(client, route))

    step = only_child(client, route)
    [result] = client.get_results(step.id)
    assert result.outcome == "succeeded"
    assert setup.model.calls == [("mistral-eu", 0), ("mistral-eu", 0), ("claude-eu", 0)]
    assert len(setup.clock.sleeps) == 1
    assert result.output["target"] == "claude-eu"
    assert result.output["fallbacks_taken"] == [
        {"target": "mistral-eu", "error_kind": "connector_timeout"}
    ]
    decisions = [event["decision"] for event in result.decision_trace]
    assert decisions.count("connector_try_failed") == 2
    assert decisions.count("target_fallback") == 1


def test_a_rejected_credential_dead_letters_the_step_at_once(
    database_url: str, client: JobForgeClient, tenant_id: uuid.UUID, policies: Any
) -> None:
    def unauthorised(request: dict[str, Any]) -> None:
        raise ConnectorFailure("authentication_failed", "401 from the provider")

    setup = Setup(Model(unauthorised), policies)
    route = enqueue_route(client, tenant_id, THREE_STEPS)
    setup.drain(database_url, client, until=lambda: _last_step_finished(client, route))

    step = only_child(client, route)
    job = client.get_job(step.id)
    assert (job.state, job.attempts) == ("dead", 1)
    assert job.last_error["kind"] == "connector_authentication_failed"
    assert "dead-lettered" in job.last_error["message"]
    # Not tried on the fallback target, and no next step.
    assert setup.model.calls == [("mistral-eu", 0)]
    assert client.get_follow_ups(step.id) == []


def _last_step_finished(client: JobForgeClient, route: Job) -> bool:
    """The route is finished, and so is the last job of its chain so far, and it asked for
    no further job."""
    job = client.get_job(route.id)
    while True:
        if not job.is_finished:
            return False
        children = client.get_follow_ups(job.id)
        if not children:
            return True
        job = children[0]
