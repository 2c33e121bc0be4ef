"""Checking client arguments before anything reaches the database (pure, no I/O)."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from jobforge.client.models import JobSpec
from jobforge.client.requests import (
    MAX_PAYLOAD_BYTES,
    enqueue_many_params,
    enqueue_params,
    fire_event_params,
    job_id_params,
    job_or_raise,
    parse_uuid,
    prune_params,
    trigger_params,
)
from jobforge.errors import InvalidArgument, JobNotFound

TENANT = uuid.UUID("0b6c7a4e-2f7e-4f4a-9a57-3b1d7f2d9c11")


def spec(**fields: Any) -> JobSpec:
    return JobSpec(**{"tenant_id": TENANT, "type": "billing.invoice.send", "payload": {}, **fields})


def documents(params: dict[str, str]) -> list[dict[str, Any]]:
    parsed: list[dict[str, Any]] = json.loads(params["jobs"])
    return parsed


def test_a_valid_job_becomes_one_document() -> None:
    run_at = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    params = enqueue_params(
        spec(payload={"n": 1}, idempotency_key="k", priority=3, run_at=run_at, max_attempts=7)
    )
    assert documents(params) == [
        {
            "tenant_id": str(TENANT),
            "type": "billing.invoice.send",
            "payload": {"n": 1},
            "idempotency_key": "k",
            "priority": 3,
            "run_at": run_at.isoformat(),
            "max_attempts": 7,
        }
    ]


@pytest.mark.parametrize("bad", ["not-a-uuid", "", "1234", 42, None])
def test_bad_uuid_names_the_field(bad: Any) -> None:
    with pytest.raises(InvalidArgument, match=r"job\.tenant_id: expected a UUID"):
        enqueue_params(spec(tenant_id=bad))
    with pytest.raises(InvalidArgument, match=r"^job_id: expected a UUID"):
        job_id_params(bad)


def test_uuid_strings_are_accepted() -> None:
    assert parse_uuid(str(TENANT), "x") == TENANT
    assert parse_uuid(TENANT, "x") is TENANT


def test_naive_run_at_is_refused() -> None:
    with pytest.raises(InvalidArgument, match=r"job\.run_at: expected a timezone-aware"):
        enqueue_params(spec(run_at=datetime(2026, 1, 1)))


@pytest.mark.parametrize(
    ("payload", "path"),
    [
        ({"a": {1, 2}}, r"job\.payload\.a: set"),
        ({"a": [1, float("nan")]}, r"job\.payload\.a\[1\]: nan"),
        ({"when": datetime.now(UTC)}, r"job\.payload\.when: datetime"),
        (object(), r"job\.payload: object"),
    ],
)
def test_non_json_payload_names_the_path(payload: Any, path: str) -> None:
    with pytest.raises(InvalidArgument, match=path):
        enqueue_params(spec(payload=payload))


def test_non_json_payload_in_a_batch_names_the_job() -> None:
    jobs = [spec(), spec(payload={"ok": [1, {"bad": {3}}]})]
    with pytest.raises(InvalidArgument, match=r"jobs\[1\]\.payload\.ok\[1\]\.bad: set"):
        enqueue_many_params(jobs)


def test_oversized_payload_is_refused() -> None:
    with pytest.raises(InvalidArgument, match=r"job\.payload: \d+ bytes .*1048576-byte limit"):
        enqueue_params(spec(payload="x" * MAX_PAYLOAD_BYTES))


def test_oversized_payload_in_a_batch_names_the_job() -> None:
    with pytest.raises(InvalidArgument, match=r"jobs\[2\]\.payload: \d+ bytes"):
        enqueue_many_params([spec(), spec(), spec(payload={"blob": "y" * MAX_PAYLOAD_BYTES})])


def test_payload_just_under_the_limit_is_accepted() -> None:
    payload = "x" * (MAX_PAYLOAD_BYTES - 2)  # two quotes make it exactly the limit
    assert documents(enqueue_params(spec(payload=payload)))[0]["payload"] == payload


def test_many_small_payloads_may_exceed_the_limit_together() -> None:
    jobs = [spec(payload="z" * 100_000) for _ in range(12)]
    assert len(documents(enqueue_many_params(jobs))) == 12


@pytest.mark.parametrize("bad", [-32769, 32768, 1.5, "high"])
def test_bad_priority_is_refused(bad: Any) -> None:
    with pytest.raises(InvalidArgument, match=r"job\.priority: expected an integer"):
        enqueue_params(spec(priority=bad))


@pytest.mark.parametrize("good", [-32768, 32767, 0])
def test_priority_bounds_are_accepted(good: int) -> None:
    enqueue_params(spec(priority=good))


@pytest.mark.parametrize("bad", [0, -1, 1001, 2.5, "3"])
def test_bad_max_attempts_is_refused(bad: Any) -> None:
    with pytest.raises(InvalidArgument, match=r"job\.max_attempts: expected an integer"):
        enqueue_params(spec(max_attempts=bad))


@pytest.mark.parametrize("bad", ["Billing", "", "a..b", ".a", "a b", "a" * 201])
def test_bad_job_type_is_refused(bad: str) -> None:
    with pytest.raises(InvalidArgument, match=r"job type"):
        enqueue_params(spec(type=bad))


def test_batch_mapping_with_unknown_key_names_the_index() -> None:
    with pytest.raises(InvalidArgument, match=r"jobs\[1\]: .*colour"):
        enqueue_many_params([spec(), {"tenant_id": TENANT, "type": "a", "payload": 1, "colour": 2}])


def test_batch_accepts_mappings_and_specs_in_order() -> None:
    params = enqueue_many_params(
        [spec(payload=0), {"tenant_id": TENANT, "type": "a", "payload": 1}]
    )
    assert [document["payload"] for document in documents(params)] == [0, 1]


def test_fire_event_payload_must_be_an_object() -> None:
    with pytest.raises(InvalidArgument, match=r"payload: an event payload is a JSON object"):
        fire_event_params(TENANT, "order.created", [1], None, None)
    with pytest.raises(InvalidArgument, match=r"event_type"):
        fire_event_params(TENANT, "", {}, None, None)
    with pytest.raises(InvalidArgument, match=r"tenant_id: expected a UUID"):
        fire_event_params("nope", "e", {}, None, None)


def test_trigger_params_check_job_type_and_json() -> None:
    common: dict[str, Any] = {
        "tenant_id": TENANT,
        "name": "n",
        "event_type": "e",
        "priority": 0,
        "max_attempts": 5,
        "enabled": True,
        "payload_defaults": None,
    }
    with pytest.raises(InvalidArgument, match=r"job type"):
        trigger_params(job_type="Bad Type", payload_filter=None, **common)
    with pytest.raises(InvalidArgument, match=r"payload_filter\.x: set"):
        trigger_params(job_type="ok", payload_filter={"x": {1}}, **common)


def test_prune_params_are_checked() -> None:
    assert prune_params(timedelta(days=1), 10) == {"older_than_seconds": 86400.0, "limit": 10}
    with pytest.raises(InvalidArgument, match=r"older_than"):
        prune_params(timedelta(seconds=-1), 10)
    with pytest.raises(InvalidArgument, match=r"limit"):
        prune_params(timedelta(days=1), 0)


def test_missing_row_is_job_not_found() -> None:
    with pytest.raises(JobNotFound, match=str(TENANT)):
        job_or_raise(None, TENANT)
