"""How long a worker connection waits before trying the database again.

Exponential backoff with full jitter (AWS's "Exponential Backoff And Jitter"): after the
n-th failure in a row, a delay drawn uniformly from [0, min(cap, base * 2^n)]. Workers that
lost the server together (a failover, a restart) then come back spread out instead of in
one wave; a success starts the sequence again.
"""

from __future__ import annotations

import random

RECONNECT_BASE_SECONDS = 0.1
RECONNECT_CAP_SECONDS = 5.0


class ReconnectDelay:
    """The delays of one connection's reconnect attempts."""

    def __init__(
        self,
        base_seconds: float = RECONNECT_BASE_SECONDS,
        cap_seconds: float = RECONNECT_CAP_SECONDS,
    ) -> None:
        self._base_seconds = base_seconds
        self._cap_seconds = cap_seconds
        self._failures = 0
        self._random = random.Random()  # noqa: S311 - jitter, not secrecy

    def next_seconds(self) -> float:
        """The wait after one more failure in a row."""
        ceiling = min(self._cap_seconds, self._base_seconds * 2**self._failures)
        self._failures = min(self._failures + 1, 30)
        return self._random.uniform(0, ceiling)

    def succeeded(self) -> None:
        self._failures = 0

    @property
    def failures(self) -> int:
        return self._failures
