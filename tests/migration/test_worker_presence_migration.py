"""The worker presence migration judged by its effects on a database already in use."""

from __future__ import annotations

import uuid
from typing import Any

import psycopg
from psycopg import sql

from jobforge.db.migrations import Migration, load_migrations, migrate

PRESENCE_MIGRATION = "worker_presence"
RECORD = "jobforge.jobforge_record_worker_presence(text, text, integer, text, text[], boolean)"


def can_record(conn: psycopg.Connection[Any], role: str) -> bool:
    row = conn.execute("SELECT has_function_privilege(%s, %s, 'EXECUTE')", (role, RECORD))
    return bool(row.fetchone()[0])  # type: ignore[index]


def grant(conn: psycopg.Connection[Any], role: str, tenant: uuid.UUID, kind: str) -> None:
    conn.execute("SELECT jobforge.jobforge_grant_tenant(%s, %s, %s)", (role, tenant, kind))


def migrations_before_presence() -> list[Migration]:
    shipped = load_migrations()
    [presence] = [m.version for m in shipped if m.name == PRESENCE_MIGRATION]
    return [m for m in shipped if m.version < presence]


def test_existing_worker_grants_get_presence_and_nothing_else_changes(
    empty_database_url: str,
) -> None:
    migrate(empty_database_url, migrations_before_presence())
    suffix = uuid.uuid4().hex[:8]
    worker, producer = f"jf_test_w_{suffix}", f"jf_test_p_{suffix}"
    tenant = uuid.uuid4()
    with psycopg.connect(empty_database_url, autocommit=True) as conn:
        for role in (worker, producer):
            conn.execute(sql.SQL("CREATE ROLE {}").format(sql.Identifier(role)))
        try:
            grant(conn, worker, tenant, "worker")
            grant(conn, producer, tenant, "producer")
            [job_id] = conn.execute(
                "SELECT job_id FROM jobforge.jobforge_enqueue_job(%s, 'a.b', '{}')", (tenant,)
            ).fetchone() or [None]

            report = migrate(empty_database_url)
            assert [m.name for m in report.applied][:1] == [PRESENCE_MIGRATION]
            assert can_record(conn, worker)
            assert not can_record(conn, producer)
            workers = conn.execute("SELECT count(*) FROM jobforge.jobforge_workers").fetchone()
            assert workers == (0,)
            state = conn.execute(
                "SELECT state::text FROM jobforge.jobforge_jobs WHERE id = %s", (job_id,)
            ).fetchone()
            assert state == ("queued",)

            # Later grant changes keep the presence grant in step with the worker grant.
            conn.execute("SELECT jobforge.jobforge_revoke_tenant(%s, %s)", (worker, tenant))
            assert not can_record(conn, worker)
            grant(conn, producer, tenant, "worker")
            assert can_record(conn, producer)
            assert migrate(empty_database_url).applied == ()
        finally:
            for role in (worker, producer):
                conn.execute(sql.SQL("DROP OWNED BY {}").format(sql.Identifier(role)))
                conn.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(role)))
