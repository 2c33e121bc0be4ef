"""The dead-letter discard migration judged by its effects on a database already in use."""

from __future__ import annotations

import uuid
from typing import Any

import psycopg
from psycopg import sql

from jobforge.db.migrations import Migration, load_migrations, migrate
from tests.integration.support import connect, enqueue, fail

DISCARD_MIGRATION = "discard_dead_jobs"
DISCARD = "jobforge.jobforge_discard_job(uuid)"
PRESENCE = "jobforge.jobforge_record_worker_presence(text, text, integer, text, text[], boolean)"


def can_execute(conn: psycopg.Connection[Any], role: str, function: str) -> bool:
    row = conn.execute("SELECT has_function_privilege(%s, %s, 'EXECUTE')", (role, function))
    return bool(row.fetchone()[0])  # type: ignore[index]


def grant(conn: psycopg.Connection[Any], role: str, tenant: uuid.UUID, kind: str) -> None:
    conn.execute("SELECT jobforge.jobforge_grant_tenant(%s, %s, %s)", (role, tenant, kind))


def migrations_before_discard() -> list[Migration]:
    shipped = load_migrations()
    [discard] = [m.version for m in shipped if m.name == DISCARD_MIGRATION]
    return [m for m in shipped if m.version < discard]


def job_row(url: str, job_id: uuid.UUID) -> dict[str, Any]:
    with connect(url) as conn:
        found = conn.execute(
            "SELECT * FROM jobforge.jobforge_jobs WHERE id = %s", (job_id,)
        ).fetchone()
    assert found is not None
    return found


def test_existing_producer_grants_get_discard_and_nothing_else_changes(
    empty_database_url: str,
) -> None:
    migrate(empty_database_url, migrations_before_discard())
    suffix = uuid.uuid4().hex[:8]
    worker, producer = f"jf_test_w_{suffix}", f"jf_test_p_{suffix}"
    tenant = uuid.uuid4()
    with psycopg.connect(empty_database_url, autocommit=True) as conn:
        for role in (worker, producer):
            conn.execute(sql.SQL("CREATE ROLE {}").format(sql.Identifier(role)))
        try:
            grant(conn, worker, tenant, "worker")
            grant(conn, producer, tenant, "producer")
            with connect(empty_database_url) as owner:
                dead = enqueue(owner, tenant, "dead.job", max_attempts=1)
                owner.execute(
                    "SELECT * FROM jobforge.jobforge_claim_jobs('w', 10, 300, ARRAY['dead.job'])"
                )
                assert fail(owner, "w", dead, 1, error={"kind": "broken"})
            before = job_row(empty_database_url, dead)
            assert before["state"] == "dead"

            report = migrate(empty_database_url)
            assert [m.name for m in report.applied] == [DISCARD_MIGRATION]
            assert can_execute(conn, producer, DISCARD)
            assert not can_execute(conn, worker, DISCARD)
            # What the migrations before gave is kept.
            assert can_execute(conn, worker, PRESENCE)
            assert not can_execute(conn, producer, PRESENCE)
            assert job_row(empty_database_url, dead) == before

            # Later grant changes keep the discard grant in step with the producer grant.
            conn.execute("SELECT jobforge.jobforge_revoke_tenant(%s, %s)", (producer, tenant))
            assert not can_execute(conn, producer, DISCARD)
            grant(conn, worker, tenant, "producer")
            assert can_execute(conn, worker, DISCARD)
            assert migrate(empty_database_url).applied == ()
            assert can_execute(conn, worker, DISCARD)
        finally:
            for role in (worker, producer):
                conn.execute(sql.SQL("DROP OWNED BY {}").format(sql.Identifier(role)))
                conn.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(role)))
