"""Cancel, retry, discard and bulk requeue through the RPCs: what each state allows, and who
may."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest

from jobforge.client import JobForgeClient
from jobforge.errors import InvalidArgument, JobNotFound
from jobforge.operations import (
    ActionRefused,
    cancel_job,
    discard_job,
    discard_jobs,
    requeue_jobs,
    retry_job,
)
from tests.conftest import TenantRole
from tests.integration.operations.support import dead_job, insert_job, succeeded_job
from tests.integration.support import connect, job


def test_cancel_an_unfinished_job(database_url: str, tenant_id: uuid.UUID) -> None:
    with connect(database_url) as conn:
        queued = insert_job(conn, tenant_id)
        result = cancel_job(conn, queued)
        assert (result.done, result.state) == (True, "canceled")
        assert job(conn, queued)["state"] == "canceled"
        with pytest.raises(ActionRefused, match="is canceled: it has finished"):
            cancel_job(conn, queued)
        with pytest.raises(JobNotFound):
            cancel_job(conn, uuid.uuid4())


def test_cancel_of_a_dead_job_names_discard(database_url: str, tenant_id: uuid.UUID) -> None:
    with connect(database_url) as conn:
        dead = dead_job(conn, tenant_id)
        expected = f"is dead: `jobforge dead-letter discard {dead}` cancels a dead letter"
        with pytest.raises(ActionRefused, match=expected):
            cancel_job(conn, dead)
        assert job(conn, dead)["state"] == "dead"


def test_discard_says_why_a_state_cannot_be_discarded(
    database_url: str, tenant_id: uuid.UUID
) -> None:
    with connect(database_url) as conn:
        succeeded = succeeded_job(conn, tenant_id)
        dead = dead_job(conn, tenant_id, "ops.other")
        queued = insert_job(conn, tenant_id)
        with pytest.raises(ActionRefused, match="succeeded: only dead jobs can be discarded"):
            discard_job(conn, succeeded)
        with pytest.raises(ActionRefused, match=f"queued: .*`jobforge jobs cancel {queued}`"):
            discard_job(conn, queued)
        with pytest.raises(JobNotFound):
            discard_job(conn, uuid.uuid4())
        before = job(conn, dead)
        result = discard_job(conn, dead)
        assert (result.done, result.state) == (True, "canceled")
        after = job(conn, dead)
        assert after["state"] == "canceled"
        assert (after["last_error"], after["finished_at"]) == (
            before["last_error"], before["finished_at"],
        )  # fmt: skip
        with pytest.raises(ActionRefused, match="canceled: it is already canceled"):
            discard_job(conn, dead)
        assert (job(conn, succeeded)["state"], job(conn, queued)["state"]) == (
            "succeeded", "queued",
        )  # fmt: skip


def test_discard_many_reports_each_job(database_url: str, tenant_id: uuid.UUID) -> None:
    with connect(database_url) as conn:
        dead = [dead_job(conn, tenant_id) for _ in range(2)]
        succeeded = succeeded_job(conn, tenant_id, "ops.fine")
        missing = uuid.uuid4()
        results = discard_jobs(conn, [dead[0], succeeded, missing, dead[1], dead[0]])
        assert [(r.job_id, r.done, r.state) for r in results] == [
            (dead[0], True, "canceled"),
            (succeeded, False, "succeeded"),
            (missing, False, None),
            (dead[1], True, "canceled"),
            (dead[0], True, "canceled"),  # named twice, discarded once
        ]


def test_retry_says_why_a_state_cannot_be_retried(database_url: str, tenant_id: uuid.UUID) -> None:
    with connect(database_url) as conn:
        succeeded = succeeded_job(conn, tenant_id)
        dead = dead_job(conn, tenant_id, "ops.other")
        queued = insert_job(conn, tenant_id)
        waiting = insert_job(conn, tenant_id, state="awaiting_retry", attempts=1)
        with pytest.raises(ActionRefused, match="succeeded: only dead or canceled"):
            retry_job(conn, succeeded)
        with pytest.raises(ActionRefused, match="queued: it has not finished"):
            retry_job(conn, queued)
        with pytest.raises(ActionRefused, match="awaiting_retry: its failed attempt"):
            retry_job(conn, waiting)
        with pytest.raises(JobNotFound):
            retry_job(conn, uuid.uuid4())
        with pytest.raises(InvalidArgument, match="extra attempts"):
            retry_job(conn, dead, extra_attempts=0)
        result = retry_job(conn, dead, extra_attempts=2)
        assert (result.done, result.state) == (True, "awaiting_retry")
        row = job(conn, dead)
        assert (row["state"], row["attempts"], row["max_attempts"]) == ("awaiting_retry", 1, 3)
        assert job(conn, succeeded)["state"] == "succeeded"


def test_requeue_many_reports_each_job(database_url: str, tenant_id: uuid.UUID) -> None:
    with connect(database_url) as conn:
        dead = [dead_job(conn, tenant_id) for _ in range(3)]
        succeeded = succeeded_job(conn, tenant_id, "ops.fine")
        missing = uuid.uuid4()
        results = requeue_jobs(conn, [dead[0], succeeded, missing, dead[1], dead[2], dead[0]])
        assert [(r.job_id, r.done, r.state) for r in results] == [
            (dead[0], True, "awaiting_retry"),
            (succeeded, False, "succeeded"),
            (missing, False, None),
            (dead[1], True, "awaiting_retry"),
            (dead[2], True, "awaiting_retry"),
            (dead[0], True, "awaiting_retry"),  # named twice, requeued once
        ]
        assert job(conn, dead[0])["max_attempts"] == 2


def test_a_producer_acts_on_its_tenants_jobs_only(
    database_url: str, make_role: Callable[[], TenantRole], tenant_id: uuid.UUID
) -> None:
    producer = make_role()
    other_tenant = uuid.uuid4()
    with JobForgeClient(database_url) as owner:
        owner.grant_tenant(producer.name, tenant_id, kind="producer")
    with connect(database_url) as conn:
        mine, theirs = dead_job(conn, tenant_id), dead_job(conn, other_tenant, "ops.theirs")
        queued_theirs = insert_job(conn, other_tenant)
    with connect(producer.url) as conn:
        assert retry_job(conn, mine).done
        with pytest.raises(JobNotFound):
            retry_job(conn, theirs)
        with pytest.raises(JobNotFound):
            cancel_job(conn, queued_theirs)
        assert [r.done for r in requeue_jobs(conn, [theirs])] == [False]
        with pytest.raises(JobNotFound):
            discard_job(conn, theirs)
        assert [(r.done, r.state) for r in discard_jobs(conn, [theirs])] == [(False, None)]
    with connect(database_url) as conn:
        assert job(conn, theirs)["state"] == "dead"
        assert job(conn, queued_theirs)["state"] == "queued"
