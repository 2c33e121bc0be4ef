"""A runner contract's retry policy caps a job's attempts and sets its backoff.

The job is enqueued allowing more attempts than its contract does, with the router's
default backoff; the worker holds it to the contract.
"""

from __future__ import annotations

import uuid
from typing import Any

import psycopg

from jobforge import HandlerRegistry, JobContext
from jobforge.client import JobForgeClient
from jobforge.errors import ConnectorFailure
from jobforge.worker import Worker, WorkerConfig, WorkerReport
from jobforge.worker.job_types import JobTypeContract
from tests.integration.support import connect

JOB_TYPE = "contract.flaky"
BASE_SECONDS = 100.0
CAP_SECONDS = 150.0


def contract(**retry: Any) -> dict[str, JobTypeContract]:
    policy = {
        "max_attempts": 2,
        "backoff_base_seconds": BASE_SECONDS,
        "backoff_cap_seconds": CAP_SECONDS,
    }
    return {
        JOB_TYPE: JobTypeContract(
            runner_id="contract.runner", runner_version="1.0.0", **{**policy, **retry}
        )
    }


def failing(payload: Any, ctx: JobContext) -> None:
    if payload.get("retry_in_seconds") is not None:
        raise ConnectorFailure(
            "rate_limit_exceeded", "slow down", retry_in_seconds=payload["retry_in_seconds"]
        )
    raise RuntimeError(f"attempt {ctx.attempt} failed")


def drain(database_url: str, job_types: dict[str, JobTypeContract]) -> WorkerReport:
    registry = HandlerRegistry()
    registry.register(JOB_TYPE, failing)
    config = WorkerConfig(burst=True, poll_interval_seconds=0.05)
    return Worker(database_url, registry=registry, config=config, job_types=job_types).run()


def wait_of(database_url: str, job_id: uuid.UUID) -> float:
    """Seconds from the job's last finished attempt to its next run_at."""
    with connect(database_url) as conn:
        row = conn.execute(
            "SELECT j.run_at - r.finished_at AS wait FROM jobforge.jobforge_jobs j "
            "JOIN jobforge.jobforge_job_results r ON r.job_id = j.id AND r.attempt = j.attempts "
            "WHERE j.id = %s",
            (job_id,),
        ).fetchone()
    assert row is not None
    return float(row["wait"].total_seconds())


def make_runnable(database_url: str, job_id: uuid.UUID) -> None:
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("UPDATE jobforge.jobforge_jobs SET run_at = now() WHERE id = %s", (job_id,))


def test_the_contract_caps_the_attempts_a_job_allows(
    database_url: str, client: JobForgeClient, tenant_id: uuid.UUID
) -> None:
    job_id = client.enqueue_job(tenant_id=tenant_id, type=JOB_TYPE, payload={}, max_attempts=5).id
    assert drain(database_url, contract()).retried == 1
    assert client.get_job(job_id).state == "awaiting_retry"
    make_runnable(database_url, job_id)
    assert drain(database_url, contract()).dead == 1
    job = client.get_job(job_id)
    assert (job.state, job.attempts) == ("dead", 2)
    assert job.last_error["kind"] == "exception"
    assert "attempt 2 failed" in job.last_error["message"]
    assert (
        "runner contract.runner's contract allows (retry.max_attempts 2)"
        in (job.last_error["message"])
    )


def test_the_jobs_own_lower_limit_still_wins(
    database_url: str, client: JobForgeClient, tenant_id: uuid.UUID
) -> None:
    job_id = client.enqueue_job(tenant_id=tenant_id, type=JOB_TYPE, payload={}, max_attempts=1).id
    assert drain(database_url, contract()).dead == 1
    assert "retry.max_attempts" not in client.get_job(job_id).last_error["message"]


def test_the_wait_before_a_retry_follows_the_contracts_backoff(
    database_url: str, client: JobForgeClient, tenant_id: uuid.UUID
) -> None:
    job_id = client.enqueue_job(tenant_id=tenant_id, type=JOB_TYPE, payload={}, max_attempts=5).id
    drain(database_url, contract(max_attempts=5))
    first = wait_of(database_url, job_id)
    assert BASE_SECONDS / 2 <= first <= BASE_SECONDS, first
    make_runnable(database_url, job_id)
    drain(database_url, contract(max_attempts=5))
    second = wait_of(database_url, job_id)
    assert CAP_SECONDS / 2 <= second <= CAP_SECONDS, "base * 2, capped"


def test_a_failure_that_names_its_own_wait_keeps_it(
    database_url: str, client: JobForgeClient, tenant_id: uuid.UUID
) -> None:
    job_id = client.enqueue_job(
        tenant_id=tenant_id, type=JOB_TYPE, payload={"retry_in_seconds": 7}, max_attempts=5
    ).id
    drain(database_url, contract(max_attempts=5))
    assert 7 - 0.01 <= wait_of(database_url, job_id) <= 7 + 0.01


def test_without_a_contract_backoff_the_jobs_own_schedule_applies(
    database_url: str, client: JobForgeClient, tenant_id: uuid.UUID
) -> None:
    job_id = client.enqueue_job(
        tenant_id=tenant_id,
        type=JOB_TYPE,
        payload={},
        max_attempts=5,
        backoff_base_seconds=1000,
        backoff_cap_seconds=1000,
    ).id
    drain(database_url, contract(max_attempts=None, backoff_base_seconds=None))
    assert 500 <= wait_of(database_url, job_id) <= 1000
