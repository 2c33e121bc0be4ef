"""failure_modes[].circuit_breaker: a breaker per connector per worker, opened by
consecutive failures of the types that count, half-open after the cool-down."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from jobforge.connectors.circuit_breaker import (
    COOL_DOWN_SECONDS,
    FAILURE_THRESHOLD,
    CircuitBreaker,
    Permit,
    Refusal,
)
from jobforge.errors import ConnectorDeadLetter, ConnectorFailure
from tests.unit.connectors.policy_support import FakeClock, failures, harness, mode, policy


def fail_times(call: Callable[[], object], count: int) -> None:
    for _ in range(count):
        with pytest.raises(ConnectorFailure):
            call()


def test_the_breaker_opens_after_consecutive_failures_and_then_fails_fast() -> None:
    run = harness(policy(mode("server_error", circuit_breaker=True)), failures("server_error", 9))
    fail_times(run.call, FAILURE_THRESHOLD)
    with pytest.raises(ConnectorFailure) as raised:
        run.call()
    assert run.transport.calls == FAILURE_THRESHOLD  # the last call never reached it
    assert raised.value.error_kind == "connector_circuit_open"
    assert raised.value.type == "server_error"
    [refused] = run.decisions("connector_call_refused")
    assert refused["reason"] == "circuit_open"


def test_without_circuit_breaker_in_the_metadata_failures_never_open_it() -> None:
    run = harness(
        policy(mode("server_error", circuit_breaker=False), mode("timeout", circuit_breaker=True)),
        failures("server_error", 20),
    )
    fail_times(run.call, 20)
    assert run.transport.calls == 20


def test_a_success_resets_the_count() -> None:
    script = [
        *failures("server_error", FAILURE_THRESHOLD - 1),
        {"fine": True},
        *failures("server_error", FAILURE_THRESHOLD - 1),
    ]
    run = harness(policy(mode("server_error", circuit_breaker=True)), script)
    fail_times(run.call, FAILURE_THRESHOLD - 1)
    run.call()
    fail_times(run.call, FAILURE_THRESHOLD - 1)
    assert run.call() == {"ok": 2 * FAILURE_THRESHOLD}


def test_retries_inside_a_call_stop_when_the_breaker_opens() -> None:
    connector = policy(mode("timeout", retryable=True, max_retries=20, circuit_breaker=True))
    run = harness(connector, failures("timeout", 30))
    with pytest.raises(ConnectorFailure) as raised:
        run.call()
    assert run.transport.calls == FAILURE_THRESHOLD
    assert raised.value.error_kind == "connector_circuit_open"


def test_after_the_cool_down_one_trial_call_closes_it_on_success() -> None:
    script = failures("server_error", FAILURE_THRESHOLD)
    run = harness(policy(mode("server_error", circuit_breaker=True)), script)
    fail_times(run.call, FAILURE_THRESHOLD)
    run.clock.advance(COOL_DOWN_SECONDS - 1)
    fail_times(run.call, 1)
    assert run.transport.calls == FAILURE_THRESHOLD
    run.clock.advance(1)
    assert run.call() == {"ok": FAILURE_THRESHOLD + 1}
    assert run.call() == {"ok": FAILURE_THRESHOLD + 2}


def test_a_failed_trial_opens_it_for_another_cool_down() -> None:
    script = failures("server_error", FAILURE_THRESHOLD + 1)
    run = harness(policy(mode("server_error", circuit_breaker=True)), script)
    fail_times(run.call, FAILURE_THRESHOLD)
    run.clock.advance(COOL_DOWN_SECONDS)
    fail_times(run.call, 1)  # the trial, which fails
    fail_times(run.call, 1)  # refused at once
    assert run.transport.calls == FAILURE_THRESHOLD + 1
    run.clock.advance(COOL_DOWN_SECONDS)
    assert run.call() == {"ok": FAILURE_THRESHOLD + 2}


def test_while_open_the_fallback_of_the_failure_that_opened_it_applies() -> None:
    queue = mode("server_error", circuit_breaker=True, fallback_behavior="queue")
    run = harness(policy(queue), failures("server_error", FAILURE_THRESHOLD))
    fail_times(run.call, FAILURE_THRESHOLD)
    run.clock.advance(10)
    with pytest.raises(ConnectorFailure) as raised:
        run.call()
    assert raised.value.retry_in_seconds == pytest.approx(COOL_DOWN_SECONDS - 10)

    dead = mode("server_error", circuit_breaker=True, fallback_behavior="dead_letter")
    run = harness(policy(dead), failures("server_error", FAILURE_THRESHOLD))
    for _ in range(FAILURE_THRESHOLD):
        with pytest.raises(ConnectorDeadLetter):
            run.call()
    with pytest.raises(ConnectorDeadLetter) as dead_lettered:
        run.call()
    assert dead_lettered.value.error_kind == "connector_circuit_open"


def test_the_breaker_is_shared_by_every_job_of_the_worker() -> None:
    run = harness(policy(mode("server_error", circuit_breaker=True)), failures("server_error", 9))
    for _ in range(FAILURE_THRESHOLD):
        run.new_session()
        fail_times(run.call, 1)
    run.new_session()
    fail_times(run.call, 1)
    assert run.transport.calls == FAILURE_THRESHOLD


def test_half_open_lets_one_trial_through_at_a_time() -> None:
    clock = FakeClock()
    breaker = CircuitBreaker(clock, failure_threshold=1, cool_down_seconds=5)
    breaker.failed(Permit(), "timeout")
    clock.advance(5)
    trial = breaker.before_call()
    assert trial == Permit(trial=True)
    assert isinstance(breaker.before_call(), Refusal)
    breaker.finished_otherwise(trial)  # the trial said nothing of the connector's health
    assert breaker.before_call() == Permit(trial=True)


def test_a_late_success_from_before_the_opening_does_not_close_it() -> None:
    clock = FakeClock()
    breaker = CircuitBreaker(clock, failure_threshold=1, cool_down_seconds=5)
    in_flight = breaker.before_call()
    assert isinstance(in_flight, Permit)
    breaker.failed(Permit(), "timeout")
    breaker.succeeded(in_flight)
    assert breaker.is_open
