"""Token buckets per API key (and per webhook source), kept in this server process.

Each bucket holds up to ``burst`` tokens and refills at ``rate_per_second``; a request
takes one. Buckets live in memory: N server processes allow N times the rate, and a
restart refills every bucket (docs/SECURITY.md says so).
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable

MAX_BUCKETS = 100_000  # the least recently used bucket goes first; a full bucket is lost


class RateLimiter:
    """``take(key)``: 0 when the request may go ahead, else the whole seconds until a
    token is back (the Retry-After to send)."""

    def __init__(
        self,
        *,
        rate_per_second: float,
        burst: int,
        clock: Callable[[], float] = time.monotonic,
        max_buckets: int = MAX_BUCKETS,
    ) -> None:
        self._rate = rate_per_second
        self._burst = float(burst)
        self._clock = clock
        self._max_buckets = max_buckets
        self._buckets: OrderedDict[Hashable, tuple[float, float]] = OrderedDict()
        self._lock = threading.Lock()

    def take(self, key: Hashable) -> int:
        now = self._clock()
        with self._lock:
            tokens, updated = self._buckets.pop(key, (self._burst, now))
            tokens = min(self._burst, tokens + (now - updated) * self._rate)
            if tokens >= 1:
                self._buckets[key] = (tokens - 1, now)
                retry_after = 0
            else:
                self._buckets[key] = (tokens, now)
                retry_after = max(1, math.ceil((1 - tokens) / self._rate))
            while len(self._buckets) > self._max_buckets:
                self._buckets.popitem(last=False)
        return retry_after
