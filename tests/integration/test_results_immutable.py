"""Results are immutable, even for the owner; pruning is the only way they go."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import psycopg
import pytest

from jobforge.client import JobForgeClient
from tests.integration.support import claim, complete, connect, enqueue, job, results


@pytest.fixture
def conn(database_url: str) -> Iterator[psycopg.Connection[dict[str, Any]]]:
    with connect(database_url) as conn:
        yield conn


def finished_job(conn: psycopg.Connection[Any], tenant_id: uuid.UUID) -> uuid.UUID:
    job_id = enqueue(conn, tenant_id)
    [claimed] = claim(conn, "w", limit=1)
    assert claimed["id"] == job_id
    assert complete(conn, "w", job_id, 1, {"v": 1})
    return job_id


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE jobforge.jobforge_job_results SET output = '{\"v\": 2}'",
        "UPDATE jobforge.jobforge_job_results SET outcome = 'dead'",
        "DELETE FROM jobforge.jobforge_job_results",
        "TRUNCATE jobforge.jobforge_job_results",
        "TRUNCATE jobforge.jobforge_job_results CASCADE",
    ],
)
def test_changes_are_refused_even_for_the_owner(
    conn: psycopg.Connection[Any], tenant_id: uuid.UUID, statement: str
) -> None:
    job_id = finished_job(conn, tenant_id)
    is_superuser = conn.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
    assert is_superuser.fetchone() == {"rolsuper": True}  # the strongest owner there is
    with pytest.raises(psycopg.Error, match="immutable") as caught:
        conn.execute(statement)
    assert caught.value.sqlstate == "JF005"
    [result] = results(conn, job_id)
    assert result["output"] == {"v": 1}
    assert result["outcome"] == "succeeded"


@pytest.mark.parametrize(
    "statement",
    [
        "DELETE FROM jobforge.jobforge_jobs WHERE id = '{job_id}'",
        "DELETE FROM jobforge.jobforge_jobs",
        "TRUNCATE jobforge.jobforge_jobs",
    ],
)
def test_a_job_with_results_cannot_be_deleted_around_prune(
    conn: psycopg.Connection[Any], tenant_id: uuid.UUID, statement: str
) -> None:
    """Version 1 let the owner delete a job and leave its results behind, linked to
    nothing and never pruned. A result never outlives its job: the delete is refused."""
    job_id = finished_job(conn, tenant_id)
    with pytest.raises(psycopg.Error, match=r"immutable|results are recorded") as caught:
        conn.execute(statement.format(job_id=job_id))
    assert caught.value.sqlstate == "JF005"
    assert job(conn, job_id)["state"] == "succeeded"
    assert len(results(conn, job_id)) == 1


def test_jobs_without_results_can_be_deleted(
    conn: psycopg.Connection[Any], tenant_id: uuid.UUID
) -> None:
    finished_job(conn, tenant_id)
    queued = enqueue(conn, tenant_id)
    conn.execute("DELETE FROM jobforge.jobforge_jobs WHERE id = %s", (queued,))
    assert conn.execute(
        "SELECT count(*) AS n FROM jobforge.jobforge_jobs WHERE id = %s", (queued,)
    ).fetchone() == {"n": 0}


def test_a_job_deleted_while_pruning_takes_its_results(
    conn: psycopg.Connection[Any], tenant_id: uuid.UUID
) -> None:
    job_id = finished_job(conn, tenant_id)
    with conn.transaction():
        conn.execute("SELECT set_config('jobforge.pruning', 'on', true)")
        conn.execute("DELETE FROM jobforge.jobforge_jobs WHERE id = %s", (job_id,))
    assert results(conn, job_id) == []


def test_prune_removes_old_finished_jobs_and_their_results(
    conn: psycopg.Connection[Any], database_url: str, tenant_id: uuid.UUID
) -> None:
    old_done = finished_job(conn, tenant_id)
    recent_done = finished_job(conn, tenant_id)
    old_canceled = enqueue(conn, tenant_id)
    conn.execute("SELECT * FROM jobforge.jobforge_cancel_job(%s)", (old_canceled,))
    queued = enqueue(conn, tenant_id)
    running = enqueue(conn, tenant_id, priority=1)
    [claimed] = claim(conn, "w", limit=1)
    assert claimed["id"] == running
    conn.execute(
        "UPDATE jobforge.jobforge_jobs SET finished_at = now() - interval '2 days', "
        "created_at = now() - interval '3 days' WHERE id = ANY(%s)",
        ([old_done, old_canceled],),
    )
    # Unfinished jobs are kept however old they are.
    conn.execute(
        "UPDATE jobforge.jobforge_jobs SET created_at = now() - interval '30 days' "
        "WHERE id = ANY(%s)",
        ([queued, running],),
    )

    with JobForgeClient(database_url) as client:
        assert client.prune_finished_jobs(timedelta(days=1)) == 2
        assert client.prune_finished_jobs(timedelta(days=1)) == 0

    remaining = {
        row["id"] for row in conn.execute("SELECT id FROM jobforge.jobforge_jobs").fetchall()
    }
    assert remaining == {recent_done, queued, running}
    assert results(conn, old_done) == []
    assert len(results(conn, recent_done)) == 1
    assert job(conn, running)["state"] == "running"


def test_prune_respects_its_limit(conn: psycopg.Connection[Any], tenant_id: uuid.UUID) -> None:
    done = [finished_job(conn, tenant_id) for _ in range(3)]
    conn.execute(
        "UPDATE jobforge.jobforge_jobs SET finished_at = now() - interval '1 hour' "
        "WHERE id = ANY(%s)",
        (done,),
    )
    row = conn.execute(
        "SELECT jobforge.jobforge_prune_finished_jobs(interval '1 minute', 2) AS pruned"
    ).fetchone()
    assert row == {"pruned": 2}
    count = conn.execute("SELECT count(*) AS n FROM jobforge.jobforge_job_results").fetchone()
    assert count == {"n": 1}


def test_pruning_switch_does_not_outlive_the_prune(
    conn: psycopg.Connection[Any], tenant_id: uuid.UUID
) -> None:
    finished_job(conn, tenant_id)
    with conn.transaction():
        conn.execute("SELECT jobforge.jobforge_prune_finished_jobs(interval '1 day')")
        with pytest.raises(psycopg.Error, match="immutable"):
            conn.execute("DELETE FROM jobforge.jobforge_job_results")
