"""A circuit breaker per connector: stop calling a connector that keeps failing.

Closed, it counts consecutive failures of the types whose failure mode says
``circuit_breaker: true``; at FAILURE_THRESHOLD it opens. Open, every call fails at once
until COOL_DOWN_SECONDS have passed; then one trial call is let through (half-open): its
success closes the breaker, its failure opens it for another cool-down. The metadata has
no fields for either number, so they are the same for every connector.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from jobforge.connectors.clock import Clock

FAILURE_THRESHOLD = 5
COOL_DOWN_SECONDS = 30.0


@dataclass(frozen=True, slots=True)
class Permit:
    """Leave to make one call; ``trial`` when it is the half-open breaker's test call."""

    trial: bool = False


@dataclass(frozen=True, slots=True)
class Refusal:
    """The breaker is open: ``opened_by`` failed too often, ``remaining_seconds`` to wait."""

    opened_by: str
    remaining_seconds: float


class CircuitBreaker:
    def __init__(
        self,
        clock: Clock,
        *,
        failure_threshold: int = FAILURE_THRESHOLD,
        cool_down_seconds: float = COOL_DOWN_SECONDS,
    ) -> None:
        self._clock = clock
        self._failure_threshold = failure_threshold
        self._cool_down_seconds = cool_down_seconds
        self._failures = 0
        self._opened_at: float | None = None
        self._opened_by = ""
        self._trial_in_flight = False
        self._lock = threading.Lock()

    @property
    def is_open(self) -> bool:
        with self._lock:
            return self._opened_at is not None

    def before_call(self) -> Permit | Refusal:
        with self._lock:
            if self._opened_at is None:
                return Permit()
            remaining = self._opened_at + self._cool_down_seconds - self._clock.monotonic()
            if remaining > 0 or self._trial_in_flight:
                return Refusal(self._opened_by, max(0.0, remaining))
            self._trial_in_flight = True
            return Permit(trial=True)

    def succeeded(self, permit: Permit) -> None:
        with self._lock:
            if permit.trial:
                self._close()
            elif self._opened_at is None:
                self._failures = 0

    def failed(self, permit: Permit, failure_type: str) -> None:
        """A failure of a type that counts (its mode has ``circuit_breaker: true``)."""
        with self._lock:
            if permit.trial:
                self._open(failure_type)
            elif self._opened_at is None:
                self._failures += 1
                if self._failures >= self._failure_threshold:
                    self._open(failure_type)

    def finished_otherwise(self, permit: Permit) -> None:
        """The call ended in a way that says nothing of the connector's health."""
        if permit.trial:
            with self._lock:
                self._trial_in_flight = False

    def _open(self, failure_type: str) -> None:
        self._opened_at = self._clock.monotonic()
        self._opened_by = failure_type
        self._trial_in_flight = False
        self._failures = 0

    def _close(self) -> None:
        self._opened_at = None
        self._trial_in_flight = False
        self._failures = 0
