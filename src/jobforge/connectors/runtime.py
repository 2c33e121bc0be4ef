"""Carrying out connector metadata on live calls: rate limit, retries, breaker, fallback.

One ConnectorRuntime serves a worker process (all its handler threads): each connector
with a policy gets one token bucket, one circuit breaker and one cache of good responses,
shared by every job. A live call goes:

1. the breaker: open, the call fails at once (``connector_circuit_open``) and the
   fallback of the failure type that opened it applies;
2. the token bucket: the call waits for a token up to MAX_RATE_LIMIT_WAIT_SECONDS, else
   it fails as ``rate_limit_exceeded`` (not counted by the breaker: nothing was called);
3. the transport: a ConnectorFailure is looked up in the failure modes. A retryable mode
   tries again after the backoff of its retry_strategy (or the failure's Retry-After, if
   ``retry_after_header``), at most ``max_retries`` times per failure type; then the
   mode's fallback decides what the handler gets.

Replays never come here: they answer from recordings, so they neither wait nor retry.
"""

from __future__ import annotations

import copy
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from jobforge.connectors.backoff import Backoff
from jobforge.connectors.calls import ConnectorCall
from jobforge.connectors.circuit_breaker import CircuitBreaker, Permit, Refusal
from jobforge.connectors.clock import Clock, SystemClock
from jobforge.connectors.policy import ConnectorPolicy, FailureModePolicy
from jobforge.connectors.rate_limiter import TokenBucket
from jobforge.errors import ConnectorDeadLetter, ConnectorFailure

# A call waits this long at most for the token bucket, then fails as rate_limit_exceeded.
MAX_RATE_LIMIT_WAIT_SECONDS = 10.0
# A retry that would wait longer (a long Retry-After) is not waited for in the call: the
# fallback applies at once (``queue`` then brings the job back after that delay).
MAX_RETRY_WAIT_SECONDS = 30.0
# Good responses kept per connector for ``fallback_behavior: cached_response``.
CACHED_RESPONSES_PER_CONNECTOR = 1024

Transport = Callable[[str, Any], Any]
TraceSink = Callable[[str, dict[str, Any]], None]
_NO_PERMIT = Permit()


@dataclass(frozen=True, slots=True)
class Answer:
    """What a live call returned to the handler: ``fallback`` names a fallback that gave
    the response (``skip``, ``cached_response``), None for the transport's own."""

    response: Any
    tries: int
    fallback: str | None = None


class _ResponseCache:
    """The latest good response per (operation, request), least recently used out first.

    Responses go in and come out as copies: a handler changing what it got must not
    change what another job is answered with."""

    def __init__(self, capacity: int) -> None:
        self._capacity = capacity
        self._responses: OrderedDict[tuple[str, str], Any] = OrderedDict()
        self._lock = threading.Lock()

    def put(self, call: ConnectorCall, response: Any) -> None:
        key = (call.operation, call.request_sha256)
        with self._lock:
            self._responses[key] = copy.deepcopy(response)
            self._responses.move_to_end(key)
            while len(self._responses) > self._capacity:
                self._responses.popitem(last=False)

    def get(self, call: ConnectorCall) -> tuple[bool, Any]:
        key = (call.operation, call.request_sha256)
        with self._lock:
            if key not in self._responses:
                return False, None
            self._responses.move_to_end(key)
            return True, copy.deepcopy(self._responses[key])


class _ConnectorState:
    """One connector's policy and the state enforcing it in this process."""

    def __init__(self, policy: ConnectorPolicy, clock: Clock) -> None:
        self.policy = policy
        rate = policy.rate_limit
        self.bucket = (
            TokenBucket(rate.requests_per_second, rate.burst_size, clock)
            if rate is not None
            else None
        )
        uses_breaker = any(mode.circuit_breaker for mode in policy.failure_modes.values())
        self.breaker = CircuitBreaker(clock) if uses_breaker else None
        self.cache = (
            _ResponseCache(CACHED_RESPONSES_PER_CONNECTOR) if policy.caches_responses else None
        )


class ConnectorRuntime:
    """The connector policies of one worker process, and the state that enforces them.

    ``clock`` is where waiting happens (tests hand in one that does not sleep);
    ``jitter=False`` makes retry delays their nominal values.
    """

    def __init__(
        self,
        policies: Mapping[str, ConnectorPolicy] | None = None,
        *,
        clock: Clock | None = None,
        jitter: bool = True,
    ) -> None:
        self._clock: Clock = clock if clock is not None else SystemClock()
        self._jitter = jitter
        self._states = {
            connector_id: _ConnectorState(policy, self._clock)
            for connector_id, policy in (policies or {}).items()
        }

    def policy(self, connector_id: str) -> ConnectorPolicy | None:
        state = self._states.get(connector_id)
        return state.policy if state is not None else None

    def call(
        self, call: ConnectorCall, transport: Transport, *, seed_key: str, trace: TraceSink
    ) -> Answer:
        """Make ``call`` through ``transport`` as the connector's policy says.

        Raises the ConnectorFailure the fallback calls for (``fail``, ``queue``,
        ``dead_letter``); any other exception of the transport passes through untouched.
        """
        return _LiveCall(self, call, transport, seed_key, trace).run()


class _LiveCall:
    """The tries of one live call."""

    def __init__(
        self,
        runtime: ConnectorRuntime,
        call: ConnectorCall,
        transport: Transport,
        seed_key: str,
        trace: TraceSink,
    ) -> None:
        self._runtime = runtime
        self._call = call
        self._transport = transport
        self._seed_key = seed_key
        self._trace = trace
        self._state = runtime._states.get(call.connector_id)
        self._policy = (
            self._state.policy if self._state is not None else ConnectorPolicy(call.connector_id)
        )
        self._breaker = self._state.breaker if self._state is not None else None
        self._bucket = self._state.bucket if self._state is not None else None
        self._tries = 0
        self._retries: dict[str, int] = {}
        self._backoffs: dict[str, Backoff] = {}

    def run(self) -> Answer:
        while True:
            admitted = self._admit()
            if isinstance(admitted, Answer):
                return admitted
            answer = self._try(admitted)
            if answer is not None:
                return answer

    def _admit(self) -> Permit | Answer:
        """Leave from the breaker and a token from the bucket, or the refusal's fallback."""
        permit = self._breaker.before_call() if self._breaker is not None else _NO_PERMIT
        if isinstance(permit, Refusal):
            return self._circuit_open(permit)
        if self._bucket is not None:
            refused_wait = self._bucket.acquire(MAX_RATE_LIMIT_WAIT_SECONDS)
            if refused_wait is not None:
                if self._breaker is not None:
                    self._breaker.finished_otherwise(permit)
                return self._rate_limited(refused_wait)
        return permit

    def _try(self, permit: Permit) -> Answer | None:
        """One call of the transport: its answer, a fallback's, or None to try again."""
        self._tries += 1
        try:
            response = self._transport(self._call.operation, self._call.request)
        except ConnectorFailure as failure:
            return self._failed(permit, failure)
        except BaseException:
            if self._breaker is not None:
                self._breaker.finished_otherwise(permit)
            raise
        if self._breaker is not None:
            self._breaker.succeeded(permit)
        if self._state is not None and self._state.cache is not None:
            self._state.cache.put(self._call, response)
        return Answer(response, self._tries)

    def _failed(self, permit: Permit, failure: ConnectorFailure) -> Answer | None:
        mode = self._policy.failure_mode(failure.type)
        if self._breaker is not None:
            if mode.circuit_breaker:
                self._breaker.failed(permit, failure.type)
            else:
                self._breaker.finished_otherwise(permit)
        delay = self._retry_delay(mode, failure)
        if delay is not None and delay <= MAX_RETRY_WAIT_SECONDS:
            self._trace_failed_try(failure, delay)
            self._retries[failure.type] = self._retries.get(failure.type, 0) + 1
            self._runtime._clock.sleep(delay)
            return None
        self._trace_failed_try(failure, None)
        # Queued, the job runs again after the Retry-After, else the next backoff.
        return self._fall_back(mode, failure, self._next_delay(mode, failure))

    # -- retries --------------------------------------------------------------------------

    def _retry_delay(self, mode: FailureModePolicy, failure: ConnectorFailure) -> float | None:
        """The wait before trying again, or None when this failure is not retried."""
        if self._retries.get(failure.type, 0) >= mode.retries_allowed:
            return None
        return self._next_delay(mode, failure)

    def _next_delay(self, mode: FailureModePolicy, failure: ConnectorFailure) -> float | None:
        rate = self._policy.rate_limit
        if failure.retry_after is not None and rate is not None and rate.retry_after_header:
            return failure.retry_after
        backoff = self._backoffs.get(failure.type)
        if backoff is None:
            seed_key = f"{self._seed_key}:{failure.type}" if self._runtime._jitter else None
            backoff = self._backoffs[failure.type] = Backoff(mode.retry_strategy, seed_key)
        return backoff.delay_seconds(self._retries.get(failure.type, 0) + 1)

    # -- refusals before the transport ----------------------------------------------------

    def _circuit_open(self, refusal: Refusal) -> Answer:
        failure = ConnectorFailure(
            refusal.opened_by,
            f"circuit open after repeated {refusal.opened_by} failures",
            error_kind="connector_circuit_open",
        )
        mode = self._policy.failure_mode(refusal.opened_by)
        self._trace_refused("circuit_open", refusal.opened_by)
        return self._fall_back(mode, failure, refusal.remaining_seconds or None)

    def _rate_limited(self, wait_seconds: float) -> Answer:
        rate = self._policy.rate_limit
        assert rate is not None
        failure = ConnectorFailure(
            "rate_limit_exceeded",
            f"no call slot within {MAX_RATE_LIMIT_WAIT_SECONDS:g} s "
            f"({rate.requests_per_second:g} per second, burst {rate.burst_size})",
        )
        mode = self._policy.failure_mode("rate_limit_exceeded")
        self._trace_refused("rate_limited", "rate_limit_exceeded")
        return self._fall_back(mode, failure, wait_seconds)

    # -- fallbacks ------------------------------------------------------------------------

    def _fall_back(
        self, mode: FailureModePolicy, failure: ConnectorFailure, retry_in_seconds: float | None
    ) -> Answer:
        fallback = mode.fallback_behavior
        if fallback == "skip":
            return Answer(None, self._tries, "skip")
        if fallback == "cached_response" and self._state is not None:
            cache = self._state.cache
            found, response = cache.get(self._call) if cache is not None else (False, None)
            if found:
                return Answer(response, self._tries, "cached_response")
        where = f"{self._call.connector_id}.{self._call.operation}"
        tries = f"{self._tries} {'try' if self._tries == 1 else 'tries'}"
        if fallback == "dead_letter":
            raise ConnectorDeadLetter(
                failure.type,
                f"{where}: {failure} ({failure.type}, {tries}; dead-lettered)",
                error_kind=failure.error_kind,
            ) from failure
        if fallback == "queue":
            when = "" if retry_in_seconds is None else f" in {retry_in_seconds:.3g} s"
            raise ConnectorFailure(
                failure.type,
                f"{where}: {failure} ({failure.type}, {tries}; queued to run again{when})",
                error_kind=failure.error_kind,
                retry_in_seconds=retry_in_seconds,
            ) from failure
        # fail, or cached_response with nothing cached: the handler gets the failure.
        raise ConnectorFailure(
            failure.type,
            f"{where}: {failure} ({failure.type}, {tries})",
            error_kind=failure.error_kind,
        ) from failure

    # -- trace ----------------------------------------------------------------------------

    def _trace_failed_try(self, failure: ConnectorFailure, retry_in_seconds: float | None) -> None:
        self._trace(
            "connector_try_failed",
            {
                "connector_id": self._call.connector_id,
                "operation": self._call.operation,
                "try": self._tries,
                "failure_type": failure.type,
                "retry_in_seconds": retry_in_seconds,
            },
        )

    def _trace_refused(self, reason: str, failure_type: str) -> None:
        self._trace(
            "connector_call_refused",
            {
                "connector_id": self._call.connector_id,
                "operation": self._call.operation,
                "reason": reason,
                "failure_type": failure_type,
            },
        )
