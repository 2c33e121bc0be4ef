"""Events routed to jobs by triggers: matching, merged payloads, idempotency, trace ids."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from jobforge.client import JobForgeClient
from jobforge.errors import IdempotencyConflict, InvalidArgument


@pytest.fixture
def client(database_url: str) -> Iterator[JobForgeClient]:
    with JobForgeClient(database_url) as client:
        yield client


@pytest.fixture
def triggers(client: JobForgeClient, tenant_id: uuid.UUID) -> dict[str, uuid.UUID]:
    other_tenant = uuid.uuid4()
    return {
        "a_all": client.create_trigger(
            tenant_id=tenant_id,
            name="a_all",
            event_type="order.created",
            job_type="mail.confirm",
            payload_defaults={"template": "default", "country": "none"},
            priority=4,
            max_attempts=7,
        ),
        "b_france": client.create_trigger(
            tenant_id=tenant_id,
            name="b_france",
            event_type="order.created",
            job_type="tax.fr",
            payload_filter={"country": "fr"},
        ),
        "c_nested": client.create_trigger(
            tenant_id=tenant_id,
            name="c_nested",
            event_type="order.created",
            job_type="vip.alert",
            payload_filter={"customer": {"vip": True}},
        ),
        "d_disabled": client.create_trigger(
            tenant_id=tenant_id,
            name="d_disabled",
            event_type="order.created",
            job_type="never.run",
            enabled=False,
        ),
        "e_other_event": client.create_trigger(
            tenant_id=tenant_id,
            name="e_other_event",
            event_type="order.paid",
            job_type="never.run",
        ),
        "f_other_tenant": client.create_trigger(
            tenant_id=other_tenant,
            name="f_other_tenant",
            event_type="order.created",
            job_type="never.run",
        ),
    }


def test_one_job_per_matching_trigger(
    client: JobForgeClient, tenant_id: uuid.UUID, triggers: dict[str, uuid.UUID]
) -> None:
    fired = client.fire_event(
        tenant_id=tenant_id,
        event_type="order.created",
        payload={"country": "fr", "order": 17, "customer": {"vip": False}},
    )
    assert [(job.trigger_id, job.job_type) for job in fired] == [
        (triggers["a_all"], "mail.confirm"),
        (triggers["b_france"], "tax.fr"),
    ]
    assert all(job.created for job in fired)
    confirm = client.get_job(fired[0].job_id)
    # Defaults are merged under the event payload: the event's country wins.
    assert confirm.payload == {
        "template": "default",
        "country": "fr",
        "order": 17,
        "customer": {"vip": False},
    }
    assert confirm.tenant_id == tenant_id
    assert confirm.priority == 4
    assert confirm.max_attempts == 7
    assert confirm.state == "queued"


def test_filters_use_json_containment(
    client: JobForgeClient, tenant_id: uuid.UUID, triggers: dict[str, uuid.UUID]
) -> None:
    fired = client.fire_event(
        tenant_id=tenant_id,
        event_type="order.created",
        payload={"country": "de", "customer": {"vip": True, "name": "Ada"}},
    )
    assert [job.trigger_id for job in fired] == [triggers["a_all"], triggers["c_nested"]]


def test_no_matching_trigger_creates_nothing(
    client: JobForgeClient, tenant_id: uuid.UUID, triggers: dict[str, uuid.UUID]
) -> None:
    assert client.fire_event(tenant_id=tenant_id, event_type="order.lost", payload={}) == []
    assert client.fire_event(tenant_id=uuid.uuid4(), event_type="order.paid", payload={}) == []


def test_idempotency_key_fires_once(
    client: JobForgeClient, tenant_id: uuid.UUID, triggers: dict[str, uuid.UUID]
) -> None:
    payload = {"country": "fr"}
    first = client.fire_event(
        tenant_id=tenant_id, event_type="order.created", payload=payload, idempotency_key="evt-1"
    )
    again = client.fire_event(
        tenant_id=tenant_id, event_type="order.created", payload=payload, idempotency_key="evt-1"
    )
    assert [job.job_id for job in again] == [job.job_id for job in first]
    assert all(job.created for job in first)
    assert not any(job.created for job in again)
    other = client.fire_event(
        tenant_id=tenant_id, event_type="order.created", payload=payload, idempotency_key="evt-2"
    )
    assert {job.job_id for job in other}.isdisjoint(job.job_id for job in first)
    with pytest.raises(IdempotencyConflict):
        client.fire_event(
            tenant_id=tenant_id,
            event_type="order.created",
            payload={"country": "fr", "changed": True},
            idempotency_key="evt-1",
        )


def test_without_a_key_each_fire_creates_jobs(
    client: JobForgeClient, tenant_id: uuid.UUID, triggers: dict[str, uuid.UUID]
) -> None:
    first = client.fire_event(tenant_id=tenant_id, event_type="order.created", payload={})
    second = client.fire_event(tenant_id=tenant_id, event_type="order.created", payload={})
    assert len(first) == len(second) == 1
    assert first[0].job_id != second[0].job_id


def test_trace_id_is_shared_by_the_jobs_of_one_event(
    client: JobForgeClient, tenant_id: uuid.UUID, triggers: dict[str, uuid.UUID]
) -> None:
    payload = {"country": "fr", "customer": {"vip": True}}
    given = client.fire_event(
        tenant_id=tenant_id, event_type="order.created", payload=payload, trace_id="trace-123"
    )
    assert len(given) == 3
    assert {client.get_job(job.job_id).trace_id for job in given} == {"trace-123"}

    generated = client.fire_event(tenant_id=tenant_id, event_type="order.created", payload=payload)
    trace_ids = {client.get_job(job.job_id).trace_id for job in generated}
    assert len(trace_ids) == 1
    assert trace_ids != {"trace-123"}


def test_disabling_a_trigger_by_replacing_it(
    client: JobForgeClient, tenant_id: uuid.UUID, triggers: dict[str, uuid.UUID]
) -> None:
    replaced = client.create_trigger(
        tenant_id=tenant_id,
        name="a_all",
        event_type="order.created",
        job_type="mail.confirm",
        enabled=False,
    )
    assert replaced == triggers["a_all"]
    assert client.fire_event(tenant_id=tenant_id, event_type="order.created", payload={}) == []


def test_bad_trigger_and_event_input(client: JobForgeClient, tenant_id: uuid.UUID) -> None:
    with pytest.raises(InvalidArgument, match=r"job type"):
        client.create_trigger(tenant_id=tenant_id, name="x", event_type="e", job_type="Bad Type")
    with pytest.raises(InvalidArgument, match=r"max_attempts"):
        client.create_trigger(
            tenant_id=tenant_id, name="x", event_type="e", job_type="ok", max_attempts=0
        )
    with pytest.raises(InvalidArgument, match=r"event payload is a JSON object"):
        client.fire_event(tenant_id=tenant_id, event_type="e", payload=[1, 2])  # type: ignore[arg-type]
