"""A token bucket per connector: the metadata's requests_per_second and burst_size."""

from __future__ import annotations

import threading

from jobforge.connectors.clock import Clock


class TokenBucket:
    """Holds up to ``burst_size`` tokens, refilled at ``requests_per_second``; a call takes
    one. Callers that find it empty reserve the next token (the count goes below zero) and
    wait for it outside the lock, so waiting callers are served in order."""

    def __init__(self, requests_per_second: float, burst_size: int, clock: Clock) -> None:
        self._rate = requests_per_second
        self._capacity = float(burst_size)
        self._clock = clock
        self._tokens = self._capacity
        self._updated = clock.monotonic()
        self._lock = threading.Lock()

    def acquire(self, max_wait_seconds: float) -> float | None:
        """Take a token, waiting for it up to ``max_wait_seconds``: None once taken; when
        it would take longer, nothing is taken and the wait it would take is returned."""
        with self._lock:
            now = self._clock.monotonic()
            elapsed = max(0.0, now - self._updated)
            self._tokens = min(self._capacity, self._tokens + elapsed * self._rate)
            self._updated = now
            wait_seconds = 0.0 if self._tokens >= 1 else (1 - self._tokens) / self._rate
            if wait_seconds > max_wait_seconds:
                return wait_seconds
            self._tokens -= 1
        if wait_seconds > 0:
            self._clock.sleep(wait_seconds)
        return None
