"""Enqueue through the clients: idempotency, races, batches, bad input, the async twin."""

from __future__ import annotations

import asyncio
import threading
import uuid
from typing import Any

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jobforge.client import AsyncJobForgeClient, JobForgeClient, JobSpec
from jobforge.client.requests import MAX_PAYLOAD_BYTES
from jobforge.errors import (
    ConfigurationError,
    DatabaseUnavailable,
    IdempotencyConflict,
    InvalidArgument,
    JobNotFound,
)

THREADS = 16


@pytest.fixture
def client(database_url: str) -> Any:
    with JobForgeClient(database_url) as client:
        yield client


def count_jobs(database_url: str, tenant_id: uuid.UUID) -> int:
    with psycopg.connect(database_url) as conn:
        row = conn.execute(
            "SELECT count(*) FROM jobforge.jobforge_jobs WHERE tenant_id = %s", (tenant_id,)
        ).fetchone()
    assert row is not None
    return int(row[0])


def test_enqueue_returns_a_queued_job(client: JobForgeClient, tenant_id: uuid.UUID) -> None:
    receipt = client.enqueue_job(
        tenant_id=tenant_id, type="mail.send", payload={"to": "a@example.com"}, priority=3
    )
    assert receipt.created
    assert receipt.state == "queued"
    job = client.get_job(receipt.id)
    assert job.tenant_id == tenant_id
    assert job.payload == {"to": "a@example.com"}
    assert job.priority == 3
    assert job.attempts == 0
    assert job.trace_id == receipt.trace_id
    assert client.get_result(receipt.id) is None
    assert client.get_results(receipt.id) == []


def test_same_key_gives_the_same_job(client: JobForgeClient, tenant_id: uuid.UUID) -> None:
    first = client.enqueue_job(
        tenant_id=tenant_id, type="mail.send", payload={"n": 1}, idempotency_key="k1"
    )
    second = client.enqueue_job(
        tenant_id=tenant_id, type="mail.send", payload={"n": 1}, idempotency_key="k1"
    )
    assert first.created
    assert not second.created
    assert second.id == first.id
    assert second.trace_id == first.trace_id


def test_key_is_scoped_by_tenant_and_type(client: JobForgeClient, tenant_id: uuid.UUID) -> None:
    a = client.enqueue_job(tenant_id=tenant_id, type="a.one", payload=1, idempotency_key="k")
    b = client.enqueue_job(tenant_id=tenant_id, type="a.two", payload=1, idempotency_key="k")
    c = client.enqueue_job(tenant_id=uuid.uuid4(), type="a.one", payload=1, idempotency_key="k")
    assert len({a.id, b.id, c.id}) == 3
    assert all(receipt.created for receipt in (a, b, c))


def test_same_key_with_another_payload_is_a_conflict(
    client: JobForgeClient, tenant_id: uuid.UUID
) -> None:
    first = client.enqueue_job(
        tenant_id=tenant_id, type="mail.send", payload={"n": 1}, idempotency_key="k"
    )
    with pytest.raises(IdempotencyConflict, match=rf"idempotency key k .*{first.id}"):
        client.enqueue_job(
            tenant_id=tenant_id, type="mail.send", payload={"n": 2}, idempotency_key="k"
        )
    # The client is still usable after the refused call.
    assert client.get_job(first.id).payload == {"n": 1}


def test_racing_threads_get_one_job(database_url: str, tenant_id: uuid.UUID) -> None:
    barrier = threading.Barrier(THREADS)
    receipts: list[Any] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def enqueue() -> None:
        try:
            with JobForgeClient(database_url) as client:
                client.queue_stats()  # connect before the barrier so the calls really race
                barrier.wait(timeout=20)
                receipt = client.enqueue_job(
                    tenant_id=tenant_id, type="race.job", payload={"x": 1}, idempotency_key="same"
                )
            with lock:
                receipts.append(receipt)
        except BaseException as exc:  # noqa: BLE001 - asserted below
            with lock:
                errors.append(exc)

    threads = [threading.Thread(target=enqueue) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=40)
    assert errors == []
    assert len(receipts) == THREADS
    assert len({receipt.id for receipt in receipts}) == 1
    assert sum(receipt.created for receipt in receipts) == 1
    assert count_jobs(database_url, tenant_id) == 1


def test_batch_receipts_follow_input_order(
    client: JobForgeClient, database_url: str, tenant_id: uuid.UUID
) -> None:
    existing = client.enqueue_job(
        tenant_id=tenant_id, type="b.job", payload=0, idempotency_key="k0"
    )
    jobs: list[JobSpec | dict[str, Any]] = [
        JobSpec(tenant_id=tenant_id, type="b.job", payload=1),
        {"tenant_id": tenant_id, "type": "b.job", "payload": 0, "idempotency_key": "k0"},
        JobSpec(tenant_id=tenant_id, type="b.job", payload=2, idempotency_key="k2"),
        JobSpec(tenant_id=tenant_id, type="b.job", payload=3),
        JobSpec(tenant_id=tenant_id, type="b.job", payload=2, idempotency_key="k2"),
    ]
    receipts = client.enqueue_jobs(jobs)
    assert len(receipts) == 5
    assert receipts[1].id == existing.id
    assert not receipts[1].created
    assert receipts[2].created
    assert receipts[4].id == receipts[2].id
    assert not receipts[4].created
    assert receipts[0].created
    assert receipts[3].created
    assert len({r.id for r in receipts}) == 4
    assert [client.get_job(r.id).payload for r in receipts] == [1, 0, 2, 3, 2]
    assert count_jobs(database_url, tenant_id) == 4


def test_batch_with_a_conflicting_key_enqueues_nothing(
    client: JobForgeClient, database_url: str, tenant_id: uuid.UUID
) -> None:
    jobs = [
        JobSpec(tenant_id=tenant_id, type="b.job", payload=1),
        JobSpec(tenant_id=tenant_id, type="b.job", payload=2, idempotency_key="k"),
        JobSpec(tenant_id=tenant_id, type="b.job", payload=3, idempotency_key="k"),
    ]
    with pytest.raises(IdempotencyConflict):
        client.enqueue_jobs(jobs)
    assert count_jobs(database_url, tenant_id) == 0


def test_empty_batch(client: JobForgeClient) -> None:
    assert client.enqueue_jobs([]) == []


def test_large_batch(client: JobForgeClient, tenant_id: uuid.UUID) -> None:
    receipts = client.enqueue_jobs(
        JobSpec(tenant_id=tenant_id, type="b.job", payload={"i": i}) for i in range(2000)
    )
    assert len(receipts) == 2000
    assert client.get_job(receipts[1234].id).payload == {"i": 1234}


def test_non_json_payload_is_invalid(client: JobForgeClient, tenant_id: uuid.UUID) -> None:
    with pytest.raises(InvalidArgument, match=r"job\.payload\.when: set"):
        client.enqueue_job(tenant_id=tenant_id, type="a.b", payload={"when": {1}})


def test_oversized_payload_is_invalid(
    client: JobForgeClient, database_url: str, tenant_id: uuid.UUID
) -> None:
    with pytest.raises(InvalidArgument, match=r"1048576-byte limit"):
        client.enqueue_job(tenant_id=tenant_id, type="a.b", payload="x" * MAX_PAYLOAD_BYTES)
    assert count_jobs(database_url, tenant_id) == 0


def test_invalid_uuid_is_invalid(client: JobForgeClient) -> None:
    with pytest.raises(InvalidArgument, match=r"tenant_id: expected a UUID"):
        client.enqueue_job(tenant_id="not-a-uuid", type="a.b", payload=1)
    for call in (client.get_job, client.cancel_job, client.get_result, client.get_results):
        with pytest.raises(InvalidArgument, match=r"job_id: expected a UUID, got 'nope'"):
            call("nope")


def test_unknown_job_id_is_job_not_found(client: JobForgeClient) -> None:
    unknown = uuid.uuid4()
    for call in (client.get_job, client.cancel_job, client.get_result):
        with pytest.raises(JobNotFound, match=str(unknown)):
            call(unknown)
    with pytest.raises(JobNotFound):
        client.requeue_job(unknown)


def test_database_checks_reach_the_caller_as_jobforge_errors(
    client: JobForgeClient, tenant_id: uuid.UUID
) -> None:
    with pytest.raises(InvalidArgument, match=r"idempotency_key: expected 1 to 512"):
        client.enqueue_job(tenant_id=tenant_id, type="a.b", payload=1, idempotency_key="k" * 513)
    with pytest.raises(InvalidArgument, match=r"trace_id: expected 1 to 128"):
        client.enqueue_job(tenant_id=tenant_id, type="a.b", payload=1, trace_id="t" * 129)


def test_cancel_queued_job(client: JobForgeClient, tenant_id: uuid.UUID) -> None:
    receipt = client.enqueue_job(tenant_id=tenant_id, type="a.b", payload=1)
    canceled = client.cancel_job(receipt.id)
    assert canceled.state == "canceled"
    assert canceled.finished_at is not None
    assert client.cancel_job(receipt.id).state == "canceled"  # a finished job is unchanged


def test_async_client_does_the_same(database_url: str, tenant_id: uuid.UUID) -> None:
    async def scenario() -> None:
        async with AsyncJobForgeClient(database_url) as client:
            first = await client.enqueue_job(
                tenant_id=tenant_id, type="async.job", payload={"a": 1}, idempotency_key="k"
            )
            again = await client.enqueue_job(
                tenant_id=tenant_id, type="async.job", payload={"a": 1}, idempotency_key="k"
            )
            assert first.created
            assert not again.created
            assert again.id == first.id
            with pytest.raises(IdempotencyConflict):
                await client.enqueue_job(
                    tenant_id=tenant_id, type="async.job", payload={"a": 2}, idempotency_key="k"
                )
            receipts = await client.enqueue_jobs(
                [JobSpec(tenant_id=tenant_id, type="async.job", payload=i) for i in range(3)]
            )
            assert [(await client.get_job(r.id)).payload for r in receipts] == [0, 1, 2]
            assert await client.get_result(first.id) is None
            with pytest.raises(JobNotFound):
                await client.get_job(uuid.uuid4())
            with pytest.raises(JobNotFound):
                await client.cancel_job(uuid.uuid4())
            with pytest.raises(JobNotFound):
                await client.get_result(uuid.uuid4())
            with pytest.raises(InvalidArgument):
                await client.get_job("nope")
            with pytest.raises(InvalidArgument):
                await client.enqueue_job(tenant_id=tenant_id, type="a.b", payload={1.5, 2})
            assert (await client.cancel_job(receipts[0].id)).state == "canceled"

    asyncio.run(scenario())


KEYS = st.text(alphabet="abcdef", min_size=1, max_size=3)
# U+0000 is left out: jsonb cannot store it (see test_nul_character_is_invalid).
TEXT = st.text(
    alphabet=st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), max_size=5
)
PAYLOADS = st.one_of(st.integers(), TEXT, st.dictionaries(TEXT, st.integers(), max_size=3))


def test_number_of_jobs_is_number_of_distinct_keys(database_url: str) -> None:
    with JobForgeClient(database_url) as client:

        @settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
        @given(
            st.lists(st.tuples(KEYS, PAYLOADS), max_size=12), st.integers(min_value=0, max_value=12)
        )
        def check(pairs: list[tuple[str, Any]], split: int) -> None:
            tenant = uuid.uuid4()
            payload_of: dict[str, Any] = {}
            for key, payload in pairs:
                payload_of.setdefault(key, payload)  # one payload per key: no conflicts
            specs = [
                JobSpec(
                    tenant_id=tenant, type="prop.job", payload=payload_of[key], idempotency_key=key
                )
                for key, _ in pairs
            ]
            receipts = client.enqueue_jobs(specs[:split])
            receipts += [
                client.enqueue_job(
                    tenant_id=tenant,
                    type="prop.job",
                    payload=s.payload,
                    idempotency_key=s.idempotency_key,
                )
                for s in specs[split:]
            ]
            assert count_jobs(database_url, tenant) == len(payload_of)
            id_of: dict[str, uuid.UUID] = {}
            for spec, receipt in zip(specs, receipts, strict=True):
                assert id_of.setdefault(str(spec.idempotency_key), receipt.id) == receipt.id
            assert sum(receipt.created for receipt in receipts) == len(payload_of)

        check()


@pytest.mark.parametrize("field", ["idempotency_key", "ordering_key", "trace_id"])
def test_a_nul_character_in_a_text_field_is_refused_naming_it(
    client: JobForgeClient, tenant_id: uuid.UUID, field: str
) -> None:
    with pytest.raises(InvalidArgument, match=f"{field}: PostgreSQL text cannot hold the NUL"):
        client.enqueue_job(tenant_id=tenant_id, type="a.b", payload={}, **{field: "a\x00b"})
    with pytest.raises(InvalidArgument, match=f"jobs\\[1\\].{field}: PostgreSQL text"):
        client.enqueue_jobs(
            [
                {"tenant_id": tenant_id, "type": "a.b", "payload": {}},
                {"tenant_id": tenant_id, "type": "a.b", "payload": {}, field: "\x00"},
            ]
        )


@pytest.mark.parametrize(
    ("event_type", "field", "value"),
    [("order.paid\x00", "event_type", None), ("order.paid", "idempotency_key", "k\x00")],
)
def test_a_nul_character_in_an_event_is_refused_naming_it(
    client: JobForgeClient, tenant_id: uuid.UUID, event_type: str, field: str, value: str | None
) -> None:
    extra = {} if value is None else {field: value}
    with pytest.raises(InvalidArgument, match=f"{field}: PostgreSQL text cannot hold the NUL"):
        client.fire_event(tenant_id=tenant_id, event_type=event_type, payload={}, **extra)


def test_nul_character_is_invalid(client: JobForgeClient, tenant_id: uuid.UUID) -> None:
    with pytest.raises(InvalidArgument):
        client.enqueue_job(tenant_id=tenant_id, type="a.b", payload={"name": "a\x00b"})


def test_from_env_prefers_jobforge_database_url(
    database_url: str, tenant_id: uuid.UUID, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JOBFORGE_DATABASE_URL", database_url)
    monkeypatch.setenv("DATABASE_URL", "postgresql://nobody@127.0.0.1:1/unused")
    with JobForgeClient.from_env() as client:
        assert client.enqueue_job(tenant_id=tenant_id, type="env.job", payload={}).created
    monkeypatch.delenv("JOBFORGE_DATABASE_URL")
    monkeypatch.setenv("DATABASE_URL", database_url)
    with JobForgeClient.from_env() as client:
        assert client.enqueue_job(tenant_id=tenant_id, type="env.job", payload={}).created


def test_from_env_without_a_url_is_a_configuration_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("JOBFORGE_DATABASE_URL", raising=False)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    with pytest.raises(ConfigurationError, match=r"JOBFORGE_DATABASE_URL"):
        JobForgeClient.from_env()


def test_unreachable_database_is_database_unavailable(tenant_id: uuid.UUID) -> None:
    with (
        JobForgeClient("postgresql://nobody@127.0.0.1:1/none?connect_timeout=2") as client,
        pytest.raises(DatabaseUnavailable, match=r"cannot connect to"),
    ):
        client.enqueue_job(tenant_id=tenant_id, type="a.b", payload={})


def test_requeue_with_no_extra_attempts_is_invalid(
    client: JobForgeClient, tenant_id: uuid.UUID
) -> None:
    receipt = client.enqueue_job(tenant_id=tenant_id, type="a.b", payload={})
    client.cancel_job(receipt.id)
    with pytest.raises(InvalidArgument, match=r"extra_attempts must be at least 1"):
        client.requeue_job(receipt.id, extra_attempts=0)
    assert client.requeue_job(receipt.id).state == "queued"
