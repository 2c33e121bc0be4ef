"""How a call under a policy is recorded, and why its replay neither waits nor retries:
the recording holds what the handler got (the response, or the failure after retries and
fallback), and the replay gives the handler exactly that again."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

import pytest

from jobforge.connectors.calls import RecordedFailure, RecordedResponse
from jobforge.connectors.runtime import ConnectorRuntime
from jobforge.context import JobContext
from jobforge.errors import ConnectorDeadLetter, ConnectorFailure, InvalidArgument
from jobforge.handlers import HandlerRegistry
from jobforge.worker.execution import ClaimedJob, Failed, JobRunner, Succeeded
from jobforge.worker.outcome_writer import _failure_document
from tests.unit.connectors.policy_support import (
    CONNECTOR,
    OPERATION,
    FakeClock,
    Harness,
    failures,
    harness,
    mode,
    policy,
)


def replayed(live: Harness) -> Harness:
    """A replaying session over the live session's recordings, as they are stored."""
    assert live.session is not None
    stored = json.loads(json.dumps([e.to_json() for e in live.session.exchanges()]))
    replay = harness(None)
    replay.new_session([RecordedResponse.from_json(document) for document in stored])
    return replay


def test_a_call_that_succeeded_after_retries_replays_its_response_at_once() -> None:
    live = harness(policy(mode("timeout", retryable=True, max_retries=3)), failures("timeout", 2))
    assert live.call({"q": 1}) == {"ok": 3}
    replay = replayed(live)
    assert replay.call({"q": 1}) == {"ok": 3}
    assert (replay.transport.calls, replay.clock.sleeps) == (0, [])


@pytest.mark.parametrize(
    ("fallback", "error_class", "retry_in_seconds"),
    [("fail", ConnectorFailure, None), ("queue", ConnectorFailure, 2.0),
     ("dead_letter", ConnectorDeadLetter, None)],
)  # fmt: skip
def test_a_failed_call_replays_the_same_failure(
    fallback: str, error_class: type[ConnectorFailure], retry_in_seconds: float | None
) -> None:
    connector = policy(
        mode(
            "server_error",
            retryable=True,
            retry_strategy="linear_backoff",
            max_retries=1,
            fallback_behavior=fallback,
        )
    )
    live = harness(connector, failures("server_error", 5))
    with pytest.raises(ConnectorFailure) as live_error:
        live.call("r")
    replay = replayed(live)
    with pytest.raises(ConnectorFailure) as replay_error:
        replay.call("r")
    for error in (live_error.value, replay_error.value):
        assert type(error) is error_class
        assert error.retry_in_seconds == retry_in_seconds
    assert str(replay_error.value) == str(live_error.value)
    assert replay_error.value.error_kind == live_error.value.error_kind == "connector_server_error"
    assert (replay.transport.calls, replay.clock.sleeps) == (0, [])
    [call] = replay.decisions("connector_call")
    assert (call["failure_type"], call["replayed"]) == ("server_error", True)


def test_a_skipped_call_replays_as_null() -> None:
    live = harness(policy(mode("not_found", fallback_behavior="skip")), failures("not_found", 1))
    assert live.call("x") is None
    assert replayed(live).call("x") is None


def test_a_refused_call_replays_its_refusal_without_the_breaker_or_bucket() -> None:
    live = harness(
        policy(mode("rate_limit_exceeded", fallback_behavior="queue"), requests_per_second=0.01,
               burst_size=1)
    )  # fmt: skip
    live.call("a")
    with pytest.raises(ConnectorFailure) as refused:
        live.call("b")
    replay = replayed(live)
    replay.call("a")
    with pytest.raises(ConnectorFailure) as replayed_refusal:
        replay.call("b")
    assert replayed_refusal.value.retry_in_seconds == refused.value.retry_in_seconds
    assert replay.clock.sleeps == []


def test_a_recorded_failure_survives_json() -> None:
    failure = RecordedFailure("timeout", "connector_circuit_open", "m", True, 12.5)
    exchange = RecordedResponse(CONNECTOR, OPERATION, None, {"r": 1}, True, failure)
    document = json.loads(json.dumps(exchange.to_json()))
    assert "response" not in document
    assert RecordedResponse.from_json(document) == exchange


@pytest.mark.parametrize(
    "failure",
    [
        "timeout",
        {"kind": "k", "message": "m"},
        {"type": "teapot", "kind": "k", "message": "m"},
        {"type": "timeout", "kind": "k", "message": "m", "dead_letter": "yes"},
        {"type": "timeout", "kind": "k", "message": "m", "retry_in_seconds": True},
    ],
)
def test_a_malformed_recorded_failure_is_refused(failure: Any) -> None:
    document = {"connector_id": CONNECTOR, "operation": OPERATION, "failure": failure}
    with pytest.raises(InvalidArgument, match="recorded connector failure"):
        RecordedResponse.from_json(document)


# ---------------------------------------------------------------- through the worker's runner


def run_job(runtime: ConnectorRuntime, transport: Any) -> Failed | Succeeded:
    from jobforge.connectors.registry import ConnectorRegistry  # noqa: PLC0415

    def handler(payload: Any, ctx: JobContext) -> Any:
        return ctx.connector(CONNECTOR).call(OPERATION, payload)

    registry = HandlerRegistry()
    registry.register("policy.job", handler)
    connectors = ConnectorRegistry()
    connectors.register(CONNECTOR, transport)
    runner = JobRunner(registry, "w", None, connectors=connectors, connector_runtime=runtime)
    job = ClaimedJob(uuid4(), uuid4(), "policy.job", {"n": 1}, 1, 5, "t",
                     datetime(2026, 1, 1, tzinfo=UTC))  # fmt: skip
    try:
        return runner.run(job)
    finally:
        runner.close()


def test_a_queued_failure_sets_when_the_job_runs_again() -> None:
    connector = policy(
        mode("rate_limit_exceeded", fallback_behavior="queue"), retry_after_header=True
    )
    run = harness(connector, failures("rate_limit_exceeded", 1, retry_after=45))
    outcome = run_job(run.runtime, run.transport)
    assert isinstance(outcome, Failed)
    assert (outcome.retryable, outcome.retry_in_seconds) == (True, 45.0)
    assert outcome.error["kind"] == "connector_rate_limit_exceeded"
    document = json.loads(_failure_document(outcome))
    assert document["retry_in_seconds"] == 45.0
    snapshot = json.loads("{" + outcome.records.json_members + "}") if outcome.records else {}
    [recorded] = snapshot["input_snapshot"]["connector_responses"]
    assert recorded["failure"]["retry_in_seconds"] == 45.0


def test_a_dead_lettered_failure_is_not_retryable_and_names_no_delay() -> None:
    connector = policy(mode("authentication_failed", fallback_behavior="dead_letter"))
    run = harness(connector, failures("authentication_failed", 1))
    outcome = run_job(run.runtime, run.transport)
    assert isinstance(outcome, Failed)
    assert (outcome.retryable, outcome.retry_in_seconds) == (False, None)
    assert "retry_in_seconds" not in json.loads(_failure_document(outcome))


def test_the_worker_runs_retries_on_the_runtime_clock() -> None:
    clock = FakeClock()
    connector = policy(mode("timeout", retryable=True, max_retries=2))
    run = harness(connector, failures("timeout", 2))
    runtime = ConnectorRuntime({CONNECTOR: connector}, clock=clock, jitter=False)
    outcome = run_job(runtime, run.transport)
    assert isinstance(outcome, Succeeded)
    assert clock.sleeps == [1.0, 1.0]
