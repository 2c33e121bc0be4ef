"""rate_limits.requests_per_second and burst_size: a token bucket per connector per worker."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jobforge.connectors.rate_limiter import TokenBucket
from jobforge.connectors.runtime import MAX_RATE_LIMIT_WAIT_SECONDS
from jobforge.errors import ConnectorFailure
from tests.unit.connectors.policy_support import FakeClock, harness, mode, policy


def test_a_burst_goes_through_then_calls_wait_for_tokens() -> None:
    run = harness(policy(requests_per_second=2, burst_size=3))
    for _ in range(5):
        run.call()
    assert run.clock.sleeps == [0.5, 0.5]
    assert run.transport.calls == 5


def test_tokens_refill_with_time_up_to_the_burst_size() -> None:
    run = harness(policy(requests_per_second=2, burst_size=3))
    for _ in range(3):
        run.call()
    run.clock.advance(60)
    for _ in range(3):
        run.call()
    assert run.clock.sleeps == []
    run.call()
    assert run.clock.sleeps == [0.5]


def test_the_bucket_is_shared_by_every_job_of_the_worker() -> None:
    run = harness(policy(requests_per_second=1, burst_size=1))
    run.call()
    run.new_session()
    run.call()
    assert run.clock.sleeps == [1.0]


def test_other_metadata_other_rate() -> None:
    """The same calls, at 10 per second instead of 2."""
    run = harness(policy(requests_per_second=10, burst_size=3))
    for _ in range(5):
        run.call()
    assert run.clock.sleeps == [pytest.approx(0.1), pytest.approx(0.1)]


def test_a_wait_beyond_the_bound_fails_as_rate_limit_exceeded_without_calling() -> None:
    one_per_minute = 1 / 60
    connector = policy(
        mode("rate_limit_exceeded", fallback_behavior="queue"),
        requests_per_second=one_per_minute,
        burst_size=1,
    )
    run = harness(connector)
    run.call()
    with pytest.raises(ConnectorFailure) as raised:
        run.call()
    assert run.transport.calls == 1
    assert run.clock.sleeps == []
    assert raised.value.type == "rate_limit_exceeded"
    assert raised.value.retry_in_seconds == pytest.approx(60)
    [refused] = run.decisions("connector_call_refused")
    assert refused["reason"] == "rate_limited"


def test_a_refusal_by_the_bucket_is_not_retried_in_the_call() -> None:
    """Waiting longer is exactly what the bound refused; the mode's fallback decides."""
    connector = policy(
        mode("rate_limit_exceeded", retryable=True, max_retries=5, fallback_behavior="fail"),
        requests_per_second=0.01,
        burst_size=1,
    )
    run = harness(connector)
    run.call()
    with pytest.raises(ConnectorFailure, match="no call slot within 10 s"):
        run.call()
    assert run.clock.sleeps == []


@given(
    rate=st.floats(min_value=0.1, max_value=50),
    burst=st.integers(min_value=1, max_value=20),
    gaps=st.lists(st.floats(min_value=0, max_value=2), min_size=1, max_size=80),
)
def test_no_window_admits_more_than_the_burst_plus_the_rate(
    rate: float, burst: int, gaps: list[float]
) -> None:
    """Calls that may not wait (bound 0): in any window of w seconds at most
    burst + rate * w of them get a token."""
    clock = FakeClock()
    bucket = TokenBucket(rate, burst, clock)
    admitted = []
    for gap in gaps:
        clock.advance(gap)
        if bucket.acquire(0) is None:
            admitted.append(clock.monotonic())
    assert clock.sleeps == []
    for first, start in enumerate(admitted):
        for last in range(first, len(admitted)):
            window = admitted[last] - start
            assert last - first + 1 <= burst + rate * window + 1e-6


@given(
    rate=st.floats(min_value=0.1, max_value=50),
    burst=st.integers(min_value=1, max_value=20),
    calls=st.integers(min_value=1, max_value=60),
)
def test_waiting_callers_are_spaced_at_the_rate(rate: float, burst: int, calls: int) -> None:
    clock = FakeClock()
    bucket = TokenBucket(rate, burst, clock)
    for _ in range(calls):
        assert bucket.acquire(MAX_RATE_LIMIT_WAIT_SECONDS + 1 / rate) is None
    expected_wait = max(0, calls - burst) / rate
    assert sum(clock.sleeps) == pytest.approx(expected_wait)
    assert all(s == pytest.approx(1 / rate) for s in clock.sleeps)
