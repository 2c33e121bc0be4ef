"""Judging follow-ups: a golden's expected_follow_ups, and two runs against each other."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from jobforge.follow_ups import default_idempotency_key
from jobforge.replay.follow_ups import (
    expected_follow_up_problems,
    signature,
    traced_follow_ups,
)

FIRST, SECOND = uuid.uuid4(), uuid.uuid4()


def event(parent: uuid.UUID, index: int = 0, **fields: Any) -> dict[str, Any]:
    return {
        "timestamp": "2026-01-01T00:00:00+00:00",
        "runner_id": None,
        "decision": "follow_up",
        "source": "worker",
        "index": index,
        "job_type": "a.step",
        "idempotency_key": default_idempotency_key(parent, index),
        "run_at": None,
        "payload_sha256": "ab" * 32,
        **fields,
    }


def test_only_the_workers_follow_up_events_are_read() -> None:
    trace = [
        {"decision": "claimed", "source": "worker"},
        {"decision": "follow_up", "source": "handler", "note": "a handler's own decision"},
        event(FIRST),
        "not an event",
    ]
    assert traced_follow_ups(trace) == [event(FIRST)]
    assert traced_follow_ups(None) == []


def test_two_jobs_asking_the_same_have_the_same_signature() -> None:
    """Default keys name their parent; the parents of two runs differ, nothing else."""
    assert signature([event(FIRST)], FIRST) == signature([event(SECOND)], SECOND)
    first = signature([event(FIRST, idempotency_key="explicit")], FIRST)
    assert first == signature([event(SECOND, idempotency_key="explicit")], SECOND)


def test_the_same_instant_in_another_offset_is_the_same_run_at() -> None:
    utc = event(FIRST, run_at="2027-01-01T12:00:00+00:00")
    paris = event(FIRST, run_at="2027-01-01T13:00:00+01:00")
    assert signature([utc], FIRST) == signature([paris], FIRST)


@pytest.mark.parametrize(
    "change",
    [
        {"job_type": "a.other"},
        {"payload_sha256": "cd" * 32},
        {"run_at": "2027-01-01T12:00:00+00:00"},
        {"idempotency_key": "explicit"},
    ],
)
def test_any_difference_that_matters_shows(change: dict[str, Any]) -> None:
    assert signature([event(FIRST)], FIRST) != signature([event(SECOND, **change)], SECOND)


RECORDED = [
    {
        "index": 0,
        "type": "settler.reminder",
        "payload": {"contract": "c-42", "kind": "renewal", "extra": [1, 2]},
        "run_at": "2027-12-02T00:00:00+00:00",
        "idempotency_key": "settler:c-42:renewal",
        "payload_sha256": "ab" * 32,
    },
    {
        "index": 1,
        "type": "settler.expire",
        "payload": {"contract": "c-42"},
        "idempotency_key": f"follow-up:{FIRST}:1",
        "payload_sha256": "cd" * 32,
    },
]


def test_matching_expectations_pass() -> None:
    expected = [
        {
            "job_type": "settler.reminder",
            "payload": {"contract": "c-42"},
            "run_at": "2027-12-02T01:00:00+01:00",
            "idempotency_key": "settler:c-42:renewal",
        },
        {"job_type": "settler.expire", "run_at": None},
    ]
    assert expected_follow_up_problems(expected, RECORDED) == []


def test_no_follow_ups_expected_and_none_asked() -> None:
    assert expected_follow_up_problems([], None) == []
    assert expected_follow_up_problems([], []) == []


def test_a_different_count_names_what_was_asked() -> None:
    [problem] = expected_follow_up_problems([], RECORDED)
    assert problem == (
        "expected_follow_ups lists 0 follow-up(s), the handler asked for 2 "
        "(settler.reminder, settler.expire)"
    )
    [problem] = expected_follow_up_problems([{"job_type": "a.b"}], None)
    assert problem.endswith("the handler asked for 0 (none)")


def test_each_field_is_judged() -> None:
    expected = [
        {
            "job_type": "settler.reminder",
            "payload": {"kind": "expiry"},
            "run_at": "2027-12-01T00:00:00Z",
            "idempotency_key": "other",
        },
        {"job_type": "settler.renew"},
    ]
    problems = expected_follow_up_problems(expected, RECORDED)
    assert len(problems) == 4
    payload, run_at, key, job_type = problems
    assert payload.startswith(
        "expected_follow_ups[0].payload is not contained in the follow-up's payload:"
    )
    assert '-  "kind": "expiry"' in payload
    assert '+  "kind": "renewal"' in payload
    assert "extra" not in payload  # the diff shows only what the golden names
    assert run_at == (
        "expected_follow_ups[0].run_at is 2027-12-01T00:00:00Z, the follow-up runs at "
        "2027-12-02T00:00:00+00:00"
    )
    assert key == (
        "expected_follow_ups[0].idempotency_key is 'other', the follow-up has "
        "'settler:c-42:renewal'"
    )
    assert job_type == (
        "expected_follow_ups[1].job_type is settler.renew, the handler asked for settler.expire"
    )


def test_a_run_at_expected_when_the_follow_up_runs_at_once() -> None:
    expected = {"job_type": "settler.expire", "run_at": "2027-01-01T00:00:00Z"}
    [problem] = expected_follow_up_problems([expected], RECORDED[1:])
    assert "expected_follow_ups[0].run_at is 2027-01-01T00:00:00Z" in problem
    assert problem.endswith("the follow-up runs at once")
