"""The delays between the tries of one connector call, by the metadata's retry_strategy.

Nominal delays (retry ``n`` counts from 1): ``fixed`` waits RETRY_BASE_SECONDS each time,
``linear_backoff`` ``n`` times that, ``exponential_backoff`` ``2 ** (n - 1)`` times that,
all capped at RETRY_CAP_SECONDS. With jitter the delay is drawn from the upper half of
the nominal one ("equal jitter", as the database's job backoff does), from a generator
seeded by the attempt's seed and the call, so the same attempt waits the same times.
"""

from __future__ import annotations

import random

RETRY_BASE_SECONDS = 1.0
RETRY_CAP_SECONDS = 30.0


def nominal_delay_seconds(strategy: str, retry: int) -> float | None:
    """The delay before retry number ``retry`` (1, 2, ...); None for strategy ``none``."""
    if retry < 1:
        raise ValueError(f"retry: expected 1 or more, got {retry}")
    if strategy == "fixed":
        delay = RETRY_BASE_SECONDS
    elif strategy == "linear_backoff":
        delay = RETRY_BASE_SECONDS * retry
    elif strategy == "exponential_backoff":
        # Capped before it is computed: 2 ** 1000 is a float overflow.
        delay = RETRY_BASE_SECONDS * 2.0 ** min(retry - 1, 64)
    elif strategy == "none":
        return None
    else:
        raise ValueError(f"retry_strategy: unknown strategy {strategy!r}")
    return min(delay, RETRY_CAP_SECONDS)


class Backoff:
    """The delays of one call's retries: nominal, or jittered from a seeded generator."""

    def __init__(self, strategy: str, seed_key: str | None) -> None:
        self._strategy = strategy
        # A str seed is hashed with SHA-512, the same in every process (no PYTHONHASHSEED).
        self._random = (
            random.Random(seed_key)  # noqa: S311 - reproducible spreading, not secrecy
            if seed_key is not None
            else None
        )

    def delay_seconds(self, retry: int) -> float | None:
        nominal = nominal_delay_seconds(self._strategy, retry)
        if nominal is None or self._random is None:
            return nominal
        return nominal / 2 + self._random.uniform(0, nominal / 2)
