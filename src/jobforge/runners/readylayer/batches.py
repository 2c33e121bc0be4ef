"""Batching URLs under the connector's rate limit, and when each batch may start.

The ``readylayer.cdn`` rate limit is a token bucket: ``burst_size`` URL requests at once,
refilled at ``requests_per_second``. A batch is one burst, so it holds at most
``burst_size`` URLs; ``start_offsets_ms`` gives the earliest moment, counted from the
first batch, each batch fits in the bucket. The arithmetic is exact (fractions, whole
milliseconds rounded up), so the plan never asks for more than the bucket holds.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, TypeVar

from jobforge.runners.readylayer.errors import InvalidConnectorResponse

_T = TypeVar("_T")
MILLISECONDS_PER_SECOND = 1000


@dataclass(frozen=True, slots=True)
class RateLimit:
    """The connector's limit as its ``describe_limits`` operation states it."""

    requests_per_second: int | float
    burst_size: int

    @property
    def refill_per_second(self) -> Fraction:
        # Through str: 0.1 means one tenth, not the binary float nearest to it.
        return Fraction(str(self.requests_per_second))

    def to_json(self) -> dict[str, Any]:
        return {"requests_per_second": self.requests_per_second, "burst_size": self.burst_size}


def parse_rate_limit(response: Any) -> RateLimit:
    """The limit in a ``describe_limits`` response; InvalidConnectorResponse if unusable
    (warming without a known limit could overrun it)."""
    if not isinstance(response, Mapping):
        raise InvalidConnectorResponse(
            f"readylayer.cdn describe_limits: expected an object, got {type(response).__name__}"
        )
    rate, burst = response.get("requests_per_second"), response.get("burst_size")
    rate_ok = isinstance(rate, int | float) and not isinstance(rate, bool) and 0 < rate < math.inf
    burst_ok = isinstance(burst, int) and not isinstance(burst, bool) and burst >= 1
    if not (rate_ok and burst_ok):
        raise InvalidConnectorResponse(
            "readylayer.cdn describe_limits: expected requests_per_second > 0 and an integer "
            f"burst_size >= 1, got {rate!r} and {burst!r}"
        )
    assert isinstance(rate, int | float)
    assert isinstance(burst, int)
    return RateLimit(requests_per_second=rate, burst_size=burst)


def batch_size_for(limit: RateLimit, max_batch_size: int | None) -> int:
    """The connector's burst size, or the payload's smaller ``max_batch_size``."""
    if max_batch_size is None:
        return limit.burst_size
    return min(limit.burst_size, max_batch_size)


def split_into_batches(items: Sequence[_T], batch_size: int) -> list[list[_T]]:
    """``items`` in order, cut into lists of ``batch_size`` (the last may be shorter)."""
    if batch_size < 1:
        raise ValueError(f"batch_size: expected 1 or more, got {batch_size}")
    return [list(items[start : start + batch_size]) for start in range(0, len(items), batch_size)]


def start_offsets_ms(batch_sizes: Sequence[int], limit: RateLimit) -> list[int]:
    """The earliest start of each batch, in ms after the first, for a bucket that starts
    full; every batch must fit in the bucket (size <= burst_size)."""
    capacity = Fraction(limit.burst_size)
    refill_per_ms = limit.refill_per_second / MILLISECONDS_PER_SECOND
    tokens, now_ms = capacity, 0
    offsets = []
    for size in batch_sizes:
        if not 0 <= size <= limit.burst_size:
            raise ValueError(f"batch of {size}: expected 0 to {limit.burst_size} URLs")
        if tokens < size:
            wait_ms = math.ceil((size - tokens) / refill_per_ms)
            now_ms += wait_ms
            tokens = min(capacity, tokens + refill_per_ms * wait_ms)
        tokens -= size
        offsets.append(now_ms)
    return offsets
