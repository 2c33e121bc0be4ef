"""``ctx.follow_up``: what a handler may ask for, checked at the call, and what it records."""

from __future__ import annotations

import json
import math
import uuid
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jobforge.context import JobContext
from jobforge.determinism.canonical import canonical_sha256
from jobforge.determinism.json_limits import MAX_JSON_BYTES, MAX_JSON_DEPTH
from jobforge.determinism.trace import DecisionTrace
from jobforge.errors import InvalidArgument, InvalidFollowUp, NonRetryableError
from jobforge.follow_ups import (
    MAX_FOLLOW_UP_BYTES,
    MAX_FOLLOW_UPS,
    default_idempotency_key,
    documents_json,
)

PARENT = uuid.UUID("01a22bdc-a2f5-737e-8c2a-1b59c558b032")
NOW = datetime(2027, 1, 1, 12, 0, tzinfo=UTC)


def context(now: datetime = NOW) -> JobContext:
    return JobContext(
        job_id=PARENT,
        tenant_id=uuid.uuid4(),
        job_type="settler.contract.activate",
        attempt=1,
        max_attempts=3,
        trace_id="trace-1",
        worker_id="w",
        now=now,
        seed=0,
        trace=DecisionTrace("settler"),
    )


def follow_up_events(ctx: JobContext) -> list[dict[str, Any]]:
    return [event for event in ctx.trace.events() if event["decision"] == "follow_up"]


def test_nothing_asked_for_costs_nothing() -> None:
    ctx = context()
    assert ctx.follow_ups == ()
    assert ctx._follow_ups is None


def test_a_follow_up_is_recorded_with_a_default_key_and_a_trace_event() -> None:
    ctx = context()
    ctx.follow_up("settler.reminder", {"contract": "c-42", "kind": "renewal"})
    [follow_up] = ctx.follow_ups
    assert follow_up.index == 0
    assert follow_up.job_type == "settler.reminder"
    assert follow_up.payload == {"contract": "c-42", "kind": "renewal"}
    assert follow_up.idempotency_key == f"follow-up:{PARENT}:0"
    assert follow_up.idempotency_key == default_idempotency_key(PARENT, 0)
    assert follow_up.run_at is None
    assert (follow_up.priority, follow_up.max_attempts) == (None, None)
    assert follow_up.payload_sha256 == canonical_sha256({"contract": "c-42", "kind": "renewal"})
    [event] = follow_up_events(ctx)
    assert event["source"] == "worker"
    assert event["runner_id"] == "settler"
    assert {key: event[key] for key in follow_up.trace_fields()} == {
        "index": 0,
        "job_type": "settler.reminder",
        "idempotency_key": f"follow-up:{PARENT}:0",
        "run_at": None,
        "payload_sha256": follow_up.payload_sha256,
    }


def test_follow_ups_keep_their_order_and_positions() -> None:
    ctx = context()
    for n in range(3):
        ctx.follow_up("a.step", {"n": n})
    assert [f.index for f in ctx.follow_ups] == [0, 1, 2]
    assert [f.payload for f in ctx.follow_ups] == [{"n": 0}, {"n": 1}, {"n": 2}]
    assert len({f.idempotency_key for f in ctx.follow_ups}) == 3
    assert [e["index"] for e in follow_up_events(ctx)] == [0, 1, 2]


def test_the_payload_is_taken_when_asked() -> None:
    ctx = context()
    payload: dict[str, Any] = {"items": [1]}
    ctx.follow_up("a.step", payload)
    payload["items"].append(2)
    assert ctx.follow_ups[0].payload == {"items": [1]}


def test_delay_and_run_at_are_relative_to_the_attempts_clock() -> None:
    ctx = context()
    ctx.follow_up("a.step", {}, delay_seconds=30 * 86400)
    ctx.follow_up("a.step", {}, run_at=datetime(2027, 6, 1, tzinfo=UTC))
    ctx.follow_up("a.step", {}, run_at=NOW)  # "now" is not before now
    ctx.follow_up("a.step", {}, delay_seconds=0)
    assert [f.run_at for f in ctx.follow_ups] == [
        NOW + timedelta(days=30),
        datetime(2027, 6, 1, tzinfo=UTC),
        NOW,
        NOW,
    ]
    assert follow_up_events(ctx)[0]["run_at"] == "2027-01-31T12:00:00+00:00"


def test_explicit_fields_are_kept() -> None:
    ctx = context()
    key = "settler:contract-42:renewal-reminder:2027-01-01"
    ctx.follow_up("a.step", {"n": 1}, idempotency_key=key, priority=-5, max_attempts=9)
    [follow_up] = ctx.follow_ups
    assert (follow_up.idempotency_key, follow_up.priority, follow_up.max_attempts) == (key, -5, 9)


def test_the_document_is_what_the_database_reads() -> None:
    ctx = context()
    ctx.follow_up("a.step", {"b": 1, "a": "é\n"}, delay_seconds=1.5, priority=2)
    ctx.follow_up("a.other", [1, None], idempotency_key='quote " and \\ back', max_attempts=1)
    documents = json.loads(documents_json(ctx.follow_ups))
    assert documents == [
        {
            "type": "a.step",
            "payload": {"a": "é\n", "b": 1},
            "payload_sha256": canonical_sha256({"a": "é\n", "b": 1}),
            "idempotency_key": f"follow-up:{PARENT}:0",
            "run_at": "2027-01-01T12:00:01.500000+00:00",
            "priority": 2,
        },
        {
            "type": "a.other",
            "payload": [1, None],
            "payload_sha256": canonical_sha256([1, None]),
            "idempotency_key": 'quote " and \\ back',
            "max_attempts": 1,
        },
    ]


BAD_CALLS: list[tuple[str, tuple[Any, ...], dict[str, Any], str]] = [
    ("job type", ("Not A Type", {}), {}, "follow_ups[0]: job type: expected a dotted"),
    ("job type not a string", (5, {}), {}, "follow_ups[0]: job type"),
    ("NaN", ("a.b", {"x": math.nan}), {}, "follow_ups[0] (a.b).payload.x: nan"),
    ("a set", ("a.b", {"x": {1}}), {}, "follow_ups[0] (a.b).payload.x: set is not a JSON"),
    ("non-string key", ("a.b", {1: 2}), {}, "follow_ups[0] (a.b).payload: object keys"),
    ("U+0000", ("a.b", {"x": "\x00"}), {}, "follow_ups[0] (a.b).payload.x: contains U+0000"),
    (
        "too deep",
        ("a.b", {"d": json.loads("[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH)}),
        {},
        "follow_ups[0] (a.b).payload.d",
    ),
    ("beyond a double", ("a.b", {"n": 10**400}), {}, "follow_ups[0] (a.b).payload.n"),
    (
        "too large",
        ("a.b", {"p": "x" * MAX_JSON_BYTES}),
        {},
        f"above the {MAX_JSON_BYTES}-byte limit",
    ),
    ("empty key", ("a.b", {}), {"idempotency_key": ""}, "idempotency_key: expected a string"),
    ("long key", ("a.b", {}), {"idempotency_key": "k" * 513}, "1 to 512 characters"),
    ("key not a string", ("a.b", {}), {"idempotency_key": 42}, "got 42"),
    ("key with NUL", ("a.b", {}), {"idempotency_key": "a\x00"}, "contains U+0000"),
    ("both times", ("a.b", {}), {"run_at": NOW, "delay_seconds": 1}, "not both"),
    ("naive run_at", ("a.b", {}), {"run_at": datetime(2027, 2, 1)}, "with a time zone"),
    ("run_at a string", ("a.b", {}), {"run_at": "2027-02-01"}, "with a time zone"),
    (
        "run_at in the past",
        ("a.b", {}),
        {"run_at": NOW - timedelta(seconds=1)},
        "run_at: 2027-01-01T11:59:59+00:00 is before ctx.now",
    ),
    (
        "run_at past 9000",
        ("a.b", {}),
        {"run_at": datetime(9000, 1, 1, tzinfo=UTC)},
        "before 9000",
    ),
    ("negative delay", ("a.b", {}), {"delay_seconds": -1}, "delay_seconds: expected a finite"),
    ("NaN delay", ("a.b", {}), {"delay_seconds": math.nan}, "delay_seconds: expected a finite"),
    ("infinite delay", ("a.b", {}), {"delay_seconds": math.inf}, "expected a finite"),
    ("boolean delay", ("a.b", {}), {"delay_seconds": True}, "got True"),
    ("delay past 9000", ("a.b", {}), {"delay_seconds": 3e11}, "past 9000"),
    ("delay past datetime", ("a.b", {}), {"delay_seconds": 1e300}, "past 9000"),
    ("priority", ("a.b", {}), {"priority": 40000}, "priority: expected an integer"),
    ("boolean priority", ("a.b", {}), {"priority": True}, "priority: expected an integer"),
    ("float priority", ("a.b", {}), {"priority": 1.0}, "priority: expected an integer"),
    ("max_attempts", ("a.b", {}), {"max_attempts": 0}, "max_attempts: expected an integer"),
]


@pytest.mark.parametrize(
    ("args", "kwargs", "message"),
    [call[1:] for call in BAD_CALLS],
    ids=[call[0] for call in BAD_CALLS],
)
def test_a_follow_up_jobforge_cannot_enqueue_is_refused_at_the_call(
    args: tuple[Any, ...], kwargs: dict[str, Any], message: str
) -> None:
    ctx = context()
    with pytest.raises(InvalidFollowUp) as caught:
        ctx.follow_up(*args, **kwargs)
    assert message in str(caught.value)
    assert ctx.follow_ups == ()
    assert follow_up_events(ctx) == []


def test_the_refusal_fails_the_attempt_without_retry() -> None:
    """Handlers may catch it as the InvalidArgument it is; uncaught, the worker records
    its kind and does not retry."""
    error = InvalidFollowUp("x")
    assert isinstance(error, InvalidArgument)
    assert isinstance(error, NonRetryableError)
    assert error.error_kind == "invalid_follow_up"


def test_the_follow_ups_of_one_attempt_are_limited_in_number() -> None:
    ctx = context()
    for _ in range(MAX_FOLLOW_UPS):
        ctx.follow_up("a.b", 1)
    with pytest.raises(InvalidFollowUp, match=rf"follow_ups\[{MAX_FOLLOW_UPS}\]: .* at most"):
        ctx.follow_up("a.b", 1)
    assert len(ctx.follow_ups) == MAX_FOLLOW_UPS


def test_the_follow_ups_of_one_attempt_are_limited_in_size_together() -> None:
    ctx = context()
    big = {"p": "x" * (MAX_JSON_BYTES - 100)}
    count = MAX_FOLLOW_UP_BYTES // (MAX_JSON_BYTES - 100 + 8)
    for _ in range(count):
        ctx.follow_up("a.b", big)
    with pytest.raises(InvalidFollowUp, match="hold at most"):
        ctx.follow_up("a.b", big)
    ctx.follow_up("a.b", {})  # a small one still fits


def test_a_refused_follow_up_leaves_the_earlier_ones() -> None:
    ctx = context()
    ctx.follow_up("a.b", {"n": 1})
    with pytest.raises(InvalidFollowUp, match=r"follow_ups\[1\] \(a\.c\)"):
        ctx.follow_up("a.c", {"n": math.inf})
    ctx.follow_up("a.d", {})
    assert [(f.index, f.job_type) for f in ctx.follow_ups] == [(0, "a.b"), (1, "a.d")]


@given(
    delay=st.floats(min_value=0, max_value=10 * 365 * 86400, allow_nan=False),
    offset_minutes=st.integers(min_value=-14 * 60, max_value=14 * 60),
)
def test_a_delay_becomes_the_instant_it_names(delay: float, offset_minutes: int) -> None:
    """Whatever the clock's offset, the document's run_at is ctx.now plus the delay."""
    now = NOW.astimezone(timezone(timedelta(minutes=offset_minutes)))
    ctx = context(now)
    ctx.follow_up("a.b", {}, delay_seconds=delay)
    [document] = json.loads(documents_json(ctx.follow_ups))
    run_at = datetime.fromisoformat(document["run_at"])
    assert run_at == now + timedelta(seconds=delay)
    assert run_at >= now
    assert follow_up_events(ctx)[0]["run_at"] == document["run_at"]
