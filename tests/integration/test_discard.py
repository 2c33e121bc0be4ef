"""Discarding a dead letter through the client: the job becomes canceled and keeps its
record; any other job comes back unchanged; an unknown or invisible id is not found."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable

import pytest

from jobforge.client import AsyncJobForgeClient, JobForgeClient
from jobforge.errors import JobNotFound
from tests.conftest import TenantRole
from tests.integration.support import claim, connect, fail, job, results


def dead_job(database_url: str, client: JobForgeClient, tenant_id: uuid.UUID) -> uuid.UUID:
    """A job whose only attempt failed: dead, with its error and result recorded."""
    receipt = client.enqueue_job(tenant_id=tenant_id, type="a.b", payload={}, max_attempts=1)
    with connect(database_url) as conn:
        assert [row["id"] for row in claim(conn, "w")] == [receipt.id]
        failed = fail(conn, "w", receipt.id, 1, error={"kind": "broken", "message": "no"})
    assert failed is not None
    assert failed["state"] == "dead"
    return receipt.id


def test_a_dead_job_is_canceled_keeping_its_error_and_results(
    database_url: str, client: JobForgeClient, tenant_id: uuid.UUID
) -> None:
    job_id = dead_job(database_url, client, tenant_id)
    with connect(database_url) as conn:
        before, recorded = job(conn, job_id), results(conn, job_id)

    discarded = client.discard_job(job_id)

    assert discarded.state == "canceled"
    assert discarded.last_error == {"kind": "broken", "message": "no"}
    assert discarded.finished_at == before["finished_at"]
    assert discarded.attempts == 1
    with connect(database_url) as conn:
        assert results(conn, job_id) == recorded
        assert claim(conn, "w") == []
    assert client.discard_job(job_id).state == "canceled"  # discarding again changes nothing
    # A discarded job can still be run again on purpose.
    assert client.requeue_job(job_id).state == "awaiting_retry"


def test_a_job_that_is_not_dead_is_returned_unchanged(
    client: JobForgeClient, tenant_id: uuid.UUID
) -> None:
    receipt = client.enqueue_job(tenant_id=tenant_id, type="a.b", payload={})
    assert client.discard_job(receipt.id).state == "queued"
    assert client.get_job(receipt.id).state == "queued"


def test_unknown_or_invisible_job_is_not_found(
    database_url: str,
    client: JobForgeClient,
    tenant_id: uuid.UUID,
    make_role: Callable[[], TenantRole],
) -> None:
    unknown = uuid.uuid4()
    with pytest.raises(JobNotFound, match=str(unknown)):
        client.discard_job(unknown)
    job_id = dead_job(database_url, client, tenant_id)
    other = make_role()
    client.grant_tenant(other.name, uuid.uuid4(), kind="producer")
    with JobForgeClient(other.url) as outsider, pytest.raises(JobNotFound, match=str(job_id)):
        outsider.discard_job(job_id)
    assert client.get_job(job_id).state == "dead"


def test_async_client_discards_too(
    database_url: str, client: JobForgeClient, tenant_id: uuid.UUID
) -> None:
    job_id = dead_job(database_url, client, tenant_id)

    async def scenario() -> None:
        async with AsyncJobForgeClient(database_url) as async_client:
            with pytest.raises(JobNotFound):
                await async_client.discard_job(uuid.uuid4())
            assert (await async_client.discard_job(job_id)).state == "canceled"

    asyncio.run(scenario())
    assert client.get_job(job_id).state == "canceled"
