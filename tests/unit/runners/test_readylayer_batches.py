"""Batches under the connector's rate limit: the limit as stated, batch sizes, start times."""

from __future__ import annotations

import json
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jobforge.contracts.loading.loader import load_file
from jobforge.runners.readylayer.batches import (
    RateLimit,
    batch_size_for,
    parse_rate_limit,
    split_into_batches,
    start_offsets_ms,
)
from jobforge.runners.readylayer.errors import InvalidConnectorResponse
from tests.unit.runners.readylayer_support import CONNECTOR_METADATA, GOLDENS


def test_a_stated_limit_is_read() -> None:
    limit = parse_rate_limit({"requests_per_second": 0.5, "burst_size": 2, "extra": True})
    assert limit == RateLimit(requests_per_second=0.5, burst_size=2)
    assert limit.refill_per_second == Fraction(1, 2)


@pytest.mark.parametrize(
    "response",
    [
        None,
        [],
        {},
        {"requests_per_second": 5},
        {"burst_size": 10},
        {"requests_per_second": 0, "burst_size": 10},
        {"requests_per_second": -1, "burst_size": 10},
        {"requests_per_second": float("inf"), "burst_size": 10},
        {"requests_per_second": "5", "burst_size": 10},
        {"requests_per_second": True, "burst_size": 10},
        {"requests_per_second": 5, "burst_size": 0},
        {"requests_per_second": 5, "burst_size": 2.5},
        {"requests_per_second": 5, "burst_size": True},
    ],
)
def test_an_unusable_limit_fails_the_job_without_retry(response: Any) -> None:
    with pytest.raises(InvalidConnectorResponse) as caught:
        parse_rate_limit(response)
    assert caught.value.error_kind == "connector_invalid_response"
    assert "describe_limits" in str(caught.value)


def test_the_batch_size_is_the_burst_size_unless_the_payload_asks_for_less() -> None:
    limit = RateLimit(requests_per_second=5, burst_size=10)
    assert batch_size_for(limit, None) == 10
    assert batch_size_for(limit, 4) == 4
    assert batch_size_for(limit, 50) == 10


def test_the_normal_golden_records_the_limits_the_connector_metadata_declares() -> None:
    """The recordings stand for the live connector: the normal case states its real limits
    (the edge cases may state others on purpose)."""
    declared = json.loads(CONNECTOR_METADATA.read_text(encoding="utf-8"))["rate_limits"]
    path = GOLDENS / "warm-two-batches.yaml"
    loaded = load_file(path, path.name)
    [stated] = [
        recording["response"]
        for recording in loaded.data["connector_responses"]
        if recording["operation"] == "describe_limits"
    ]
    assert stated == {key: declared[key] for key in ("requests_per_second", "burst_size")}


def test_batches_start_when_the_bucket_has_refilled() -> None:
    limit = RateLimit(requests_per_second=5, burst_size=10)
    assert start_offsets_ms([10, 10, 10, 3], limit) == [0, 2000, 4000, 4600]
    assert start_offsets_ms([4, 4, 4, 4], limit) == [0, 0, 400, 1200]
    slow = RateLimit(requests_per_second=0.3, burst_size=1)
    assert start_offsets_ms([1, 1], slow) == [0, 3334]  # 3333.33... ms, rounded up


def test_a_batch_larger_than_the_burst_is_refused() -> None:
    with pytest.raises(ValueError, match="expected 0 to 10 URLs"):
        start_offsets_ms([11], RateLimit(requests_per_second=5, burst_size=10))


@given(st.lists(st.integers()), st.integers(min_value=1, max_value=20))
def test_batches_keep_every_item_in_order(items: list[int], batch_size: int) -> None:
    batches = split_into_batches(items, batch_size)
    assert [item for batch in batches for item in batch] == items
    assert all(1 <= len(batch) <= batch_size for batch in batches)
    assert all(len(batch) == batch_size for batch in batches[:-1])


_limits = st.builds(
    RateLimit,
    requests_per_second=st.one_of(
        st.integers(min_value=1, max_value=50),
        st.sampled_from([0.1, 0.25, 0.3, 0.5, 1.5, 2.5, 7.7]),
    ),
    burst_size=st.integers(min_value=1, max_value=25),
)


@st.composite
def _plans(draw: st.DrawFn) -> tuple[RateLimit, list[int]]:
    limit = draw(_limits)
    sizes = draw(st.lists(st.integers(min_value=1, max_value=limit.burst_size), max_size=15))
    return limit, sizes


@given(_plans())
def test_the_schedule_never_asks_for_more_than_the_bucket_holds(
    plan: tuple[RateLimit, list[int]],
) -> None:
    """Token-bucket conformance: any run of batches i..j needs at most the burst plus what
    refills between the starts of i and j."""
    limit, sizes = plan
    offsets = start_offsets_ms(sizes, limit)
    assert offsets == sorted(offsets)
    rate_per_ms = limit.refill_per_second / 1000
    for first in range(len(sizes)):
        for last in range(first, len(sizes)):
            needed = sum(sizes[first : last + 1])
            allowed = limit.burst_size + rate_per_ms * (offsets[last] - offsets[first])
            assert needed <= allowed


@given(_plans())
def test_no_batch_could_start_a_millisecond_earlier(plan: tuple[RateLimit, list[int]]) -> None:
    limit, sizes = plan
    offsets = start_offsets_ms(sizes, limit)
    for index, offset in enumerate(offsets):
        earlier = [*offsets[:index], offset - 1]
        if index == 0 or offset == offsets[index - 1]:
            continue
        rate_per_ms = limit.refill_per_second / 1000
        violated = any(
            sum(sizes[first : index + 1])
            > limit.burst_size + rate_per_ms * (earlier[index] - earlier[first])
            for first in range(index + 1)
        )
        assert violated, (limit, sizes, offsets, index)
