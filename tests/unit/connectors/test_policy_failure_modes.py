"""Each failure type, retry strategy and fallback of connector metadata, as a live call
meets it: what the transport sees, how long the call waits, what the handler gets."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jobforge.connectors.backoff import RETRY_CAP_SECONDS
from jobforge.connectors.policy import FALLBACK_BEHAVIORS, RETRY_STRATEGIES
from jobforge.connectors.runtime import MAX_RETRY_WAIT_SECONDS
from jobforge.contracts.models.enums import FailureType, FallbackBehavior, RetryStrategy
from jobforge.errors import (
    CONNECTOR_FAILURE_TYPES,
    ConnectorDeadLetter,
    ConnectorFailure,
    InvalidArgument,
    NonRetryableError,
)
from tests.unit.connectors.policy_support import failures, harness, mode, policy

FAILURE_TYPES = [member.value for member in FailureType]


def test_the_closed_sets_are_the_contract_enums() -> None:
    """The run-time layers keep their own copies (they may not import the contracts)."""
    assert tuple(FAILURE_TYPES) == CONNECTOR_FAILURE_TYPES
    assert tuple(member.value for member in RetryStrategy) == RETRY_STRATEGIES
    assert tuple(member.value for member in FallbackBehavior) == FALLBACK_BEHAVIORS


# ---------------------------------------------------------------- one test per failure type


@pytest.mark.parametrize("failure_type", FAILURE_TYPES)
def test_a_retryable_failure_is_tried_again_until_it_succeeds(failure_type: str) -> None:
    connector = policy(mode(failure_type, retryable=True, retry_strategy="fixed", max_retries=2))
    run = harness(connector, failures(failure_type, 2))
    assert run.call({"id": 1}) == {"ok": 3}
    assert run.transport.calls == 3
    assert run.clock.sleeps == [1.0, 1.0]
    assert [e["failure_type"] for e in run.decisions("connector_try_failed")] == [failure_type] * 2
    [call] = run.decisions("connector_call")
    assert call["tries"] == 3
    [exchange] = run.session.exchanges() if run.session else []
    assert (exchange.response, exchange.failure) == ({"ok": 3}, None)


@pytest.mark.parametrize("failure_type", FAILURE_TYPES)
def test_retries_stop_at_max_retries_then_the_handler_gets_the_failure(failure_type: str) -> None:
    connector = policy(mode(failure_type, retryable=True, max_retries=2, fallback_behavior="fail"))
    run = harness(connector, failures(failure_type, 5))
    with pytest.raises(ConnectorFailure) as raised:
        run.call()
    assert run.transport.calls == 3
    assert len(run.clock.sleeps) == 2
    assert not isinstance(raised.value, NonRetryableError)
    assert raised.value.type == failure_type
    assert raised.value.error_kind == f"connector_{failure_type}"
    assert raised.value.retry_in_seconds is None
    assert str(raised.value) == (f"scripted.api.fetch: {failure_type} #2 ({failure_type}, 3 tries)")


@pytest.mark.parametrize("failure_type", FAILURE_TYPES)
def test_a_failure_that_is_not_retryable_is_tried_once(failure_type: str) -> None:
    connector = policy(mode(failure_type, retryable=False, fallback_behavior="dead_letter"))
    run = harness(connector, failures(failure_type, 5))
    with pytest.raises(ConnectorDeadLetter) as raised:
        run.call()
    assert isinstance(raised.value, NonRetryableError)
    assert (run.transport.calls, run.clock.sleeps) == (1, [])
    assert raised.value.error_kind == f"connector_{failure_type}"


@pytest.mark.parametrize("failure_type", FAILURE_TYPES)
def test_a_failure_the_metadata_does_not_list_is_tried_once(failure_type: str) -> None:
    others = [t for t in FAILURE_TYPES if t != failure_type]
    connector = policy(*(mode(t, retryable=True, max_retries=3) for t in others))
    run = harness(connector, failures(failure_type, 5))
    with pytest.raises(ConnectorFailure) as raised:
        run.call()
    assert (run.transport.calls, run.clock.sleeps) == (1, [])
    assert not isinstance(raised.value, NonRetryableError)


def test_a_connector_without_a_policy_hands_the_failure_on_after_one_try() -> None:
    run = harness(None, failures("timeout", 5))
    with pytest.raises(ConnectorFailure, match=r"timeout #0 \(timeout, 1 try\)"):
        run.call()
    assert (run.transport.calls, run.clock.sleeps) == (1, [])


def test_failure_types_are_counted_apart() -> None:
    """max_retries is per failure type: two timeouts and two server errors all retried."""
    connector = policy(
        mode("timeout", retryable=True, max_retries=2),
        mode("server_error", retryable=True, max_retries=2),
    )
    script = [*failures("timeout", 1), *failures("server_error", 2), *failures("timeout", 1)]
    run = harness(connector, script)
    assert run.call() == {"ok": 5}
    assert len(run.clock.sleeps) == 4


def test_other_exceptions_pass_through_untouched_and_unrecorded() -> None:
    connector = policy(mode("timeout", retryable=True, max_retries=3))
    run = harness(connector, [KeyError("bug in the transport")])
    with pytest.raises(KeyError):
        run.call()
    assert run.transport.calls == 1
    assert run.session is not None
    assert run.session.exchanges() == []


def test_a_failure_names_a_type_of_the_closed_set() -> None:
    with pytest.raises(InvalidArgument, match="expected one of rate_limit_exceeded"):
        ConnectorFailure("teapot")
    with pytest.raises(InvalidArgument, match="retry_after"):
        ConnectorFailure("timeout", retry_after=float("nan"))
    with pytest.raises(InvalidArgument, match="retry_after"):
        ConnectorFailure("timeout", retry_after=-1)


# ---------------------------------------------------------------- retry strategies


@pytest.mark.parametrize(
    ("strategy", "expected_sleeps"),
    [
        ("fixed", [1.0, 1.0, 1.0, 1.0]),
        ("linear_backoff", [1.0, 2.0, 3.0, 4.0]),
        ("exponential_backoff", [1.0, 2.0, 4.0, 8.0]),
    ],
)
def test_each_retry_strategy_waits_its_own_schedule(
    strategy: str, expected_sleeps: list[float]
) -> None:
    connector = policy(mode("server_error", retryable=True, retry_strategy=strategy, max_retries=4))
    run = harness(connector, failures("server_error", 4))
    assert run.call() == {"ok": 5}
    assert run.clock.sleeps == expected_sleeps
    waits = [e["retry_in_seconds"] for e in run.decisions("connector_try_failed")]
    assert waits == expected_sleeps


def test_strategy_none_never_retries() -> None:
    connector = policy(mode("server_error", retryable=False, retry_strategy="none"))
    run = harness(connector, failures("server_error", 1))
    with pytest.raises(ConnectorFailure):
        run.call()
    assert (run.transport.calls, run.clock.sleeps) == (1, [])


def test_backoff_is_capped() -> None:
    connector = policy(
        mode("timeout", retryable=True, retry_strategy="exponential_backoff", max_retries=8)
    )
    run = harness(connector, failures("timeout", 8))
    run.call()
    assert run.clock.sleeps == [1.0, 2.0, 4.0, 8.0, 16.0, RETRY_CAP_SECONDS, 30.0, 30.0]


@given(seed=st.integers(min_value=0, max_value=2**63 - 1))
def test_jitter_is_seeded_and_stays_in_the_upper_half(seed: int) -> None:
    nominal = [1.0, 2.0, 4.0, 8.0]
    connector = policy(
        mode("timeout", retryable=True, retry_strategy="exponential_backoff", max_retries=4)
    )
    sleeps = []
    for _ in range(2):
        run = harness(connector, failures("timeout", 4), jitter=True)
        run.new_session(seed=seed)
        run.call()
        sleeps.append(run.clock.sleeps)
    assert sleeps[0] == sleeps[1], "the same attempt must wait the same times"
    for delay, full in zip(sleeps[0], nominal, strict=True):
        assert full / 2 <= delay <= full


def test_jitter_differs_between_attempts() -> None:
    connector = policy(mode("timeout", retryable=True, max_retries=3))
    schedules = set()
    for seed in range(5):
        run = harness(connector, failures("timeout", 3), jitter=True)
        run.new_session(seed=seed)
        run.call()
        schedules.add(tuple(run.clock.sleeps))
    assert len(schedules) == 5


# ---------------------------------------------------------------- Retry-After


def test_retry_after_is_honoured_when_the_metadata_says_so() -> None:
    connector = policy(
        mode("rate_limit_exceeded", retryable=True, max_retries=1), retry_after_header=True
    )
    run = harness(connector, failures("rate_limit_exceeded", 1, retry_after=2.5))
    run.call()
    assert run.clock.sleeps == [2.5]


def test_retry_after_is_ignored_when_the_metadata_says_so() -> None:
    connector = policy(
        mode("rate_limit_exceeded", retryable=True, max_retries=1), retry_after_header=False
    )
    run = harness(connector, failures("rate_limit_exceeded", 1, retry_after=2.5))
    run.call()
    assert run.clock.sleeps == [1.0]


def test_a_retry_after_too_long_to_wait_in_the_call_queues_the_job_for_then() -> None:
    connector = policy(
        mode("rate_limit_exceeded", retryable=True, max_retries=3, fallback_behavior="queue"),
        retry_after_header=True,
    )
    run = harness(connector, failures("rate_limit_exceeded", 1, retry_after=120))
    with pytest.raises(ConnectorFailure) as raised:
        run.call()
    assert MAX_RETRY_WAIT_SECONDS < 120
    assert (run.transport.calls, run.clock.sleeps) == (1, [])
    assert raised.value.retry_in_seconds == 120


# ---------------------------------------------------------------- fallbacks


def test_fallback_fail_hands_the_failure_to_the_handler() -> None:
    run = harness(policy(mode("timeout", fallback_behavior="fail")), failures("timeout", 1))
    with pytest.raises(ConnectorFailure) as raised:
        run.call()
    assert type(raised.value) is ConnectorFailure
    assert raised.value.retry_in_seconds is None


def test_fallback_queue_names_when_the_job_runs_again() -> None:
    """After its retries the next backoff step is the job's delay."""
    connector = policy(
        mode(
            "server_error",
            retryable=True,
            retry_strategy="exponential_backoff",
            max_retries=2,
            fallback_behavior="queue",
        )
    )
    run = harness(connector, failures("server_error", 3))
    with pytest.raises(ConnectorFailure) as raised:
        run.call()
    assert run.clock.sleeps == [1.0, 2.0]
    assert raised.value.retry_in_seconds == 4.0
    assert not isinstance(raised.value, NonRetryableError)
    assert "queued to run again in 4 s" in str(raised.value)


def test_fallback_queue_without_a_strategy_leaves_the_delay_to_the_job() -> None:
    run = harness(policy(mode("timeout", fallback_behavior="queue")), failures("timeout", 1))
    with pytest.raises(ConnectorFailure) as raised:
        run.call()
    assert raised.value.retry_in_seconds is None


def test_fallback_skip_answers_null_and_says_so() -> None:
    run = harness(policy(mode("not_found", fallback_behavior="skip")), failures("not_found", 1))
    assert run.call({"id": 9}) is None
    [call] = run.decisions("connector_call")
    assert call["fallback"] == "skip"
    assert run.session is not None
    [exchange] = run.session.exchanges()
    assert (exchange.response, exchange.failure) == (None, None)


def test_fallback_cached_response_answers_the_last_good_response_to_the_same_request() -> None:
    connector = policy(mode("server_error", fallback_behavior="cached_response"))
    run = harness(connector, [{"zone": "warm"}, *failures("server_error", 2)])
    assert run.call({"zone": 1}) == {"zone": "warm"}
    assert run.call({"zone": 1}) == {"zone": "warm"}
    assert run.decisions("connector_call")[-1]["fallback"] == "cached_response"
    with pytest.raises(ConnectorFailure):
        run.call({"zone": 2})  # never answered: nothing cached, so the failure


def test_the_cache_is_shared_by_the_jobs_of_a_worker() -> None:
    connector = policy(mode("server_error", fallback_behavior="cached_response"))
    run = harness(connector, [{"n": 1}, *failures("server_error", 1)])
    run.call("same")
    run.new_session()  # another job's attempt, same runtime
    assert run.call("same") == {"n": 1}


def test_fallback_dead_letter_fails_the_job_without_retry() -> None:
    connector = policy(mode("authentication_failed", fallback_behavior="dead_letter"))
    run = harness(connector, failures("authentication_failed", 1))
    with pytest.raises(ConnectorDeadLetter, match="dead-lettered") as raised:
        run.call()
    assert isinstance(raised.value, NonRetryableError)
    assert raised.value.error_kind == "connector_authentication_failed"


def test_a_handler_changing_a_response_does_not_change_the_cached_one() -> None:
    connector = policy(mode("server_error", fallback_behavior="cached_response"))
    run = harness(connector, [{"items": [1]}, *failures("server_error", 2)])
    run.call("same")["items"].append(2)
    run.call("same")["items"].append(3)
    assert run.call("same") == {"items": [1]}
