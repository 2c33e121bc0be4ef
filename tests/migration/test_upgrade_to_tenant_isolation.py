"""Upgrading a database that runs version 2 to version 3 (tenant isolation), with work in
it: nothing is lost, grants keep working (as both kinds), values only an attack could
have written are made usable, and results whose job was deleted go."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import psycopg
import pytest

from jobforge.client import JobForgeClient
from jobforge.db.migrations import load_migrations, migrate
from tests.conftest import TenantRole
from tests.integration.support import connect

VERSION_2 = load_migrations()[:2]


@pytest.fixture
def version_2_url(empty_database_url: str) -> str:
    migrate(empty_database_url, VERSION_2)
    return empty_database_url


def test_work_and_grants_survive_the_upgrade(
    make_role: Callable[[], TenantRole], version_2_url: str
) -> None:
    # make_role's roles are cluster-wide: usable in the version 2 database as well (which,
    # set up after them, is dropped before them).
    role = make_role()
    tenant, other = uuid.uuid4(), uuid.uuid4()
    with connect(version_2_url) as v2:
        v2.execute("SELECT jobforge_grant_tenant(%s, %s)", (role.name, tenant))
        queued = one(v2, "SELECT job_id FROM jobforge_enqueue_job(%s, 'a.b', '{\"n\": 1}')", tenant)
        done = one(v2, "SELECT job_id FROM jobforge_enqueue_job(%s, 'a.b', '{\"n\": 2}')", tenant)
        v2.execute("SELECT * FROM jobforge_claim_jobs('w', 1, 30)")
        v2.execute("SELECT jobforge_complete_job('w', %s, 1, '{\"ok\": true}')", (queued,))
        v2.execute("SELECT * FROM jobforge_claim_jobs('w', 1, 30)")
        v2.execute("SELECT jobforge_complete_job('w', %s, 1, '{\"ok\": true}')", (done,))
        # What version 2 let in: NaN backoff, run_at at infinity, a result with no job.
        poisoned = one(v2, "SELECT job_id FROM jobforge_enqueue_job(%s, 'a.b', '{}')", other)
        v2.execute(
            "UPDATE jobforge_jobs SET backoff_base_seconds = 'NaN', "
            "backoff_cap_seconds = 'NaN', run_at = 'infinity' WHERE id = %s",
            (poisoned,),
        )
        v2.execute("DELETE FROM jobforge_jobs WHERE id = %s", (done,))
        v2.execute(
            "INSERT INTO jobforge_job_results (job_id, attempt, tenant_id, type, outcome, "
            "trace_id) VALUES (gen_random_uuid(), 1, %s, 'a.b', 'succeeded', 't')",
            (tenant,),
        )
        before = v2.execute("SELECT id, state::text AS state FROM jobforge_jobs ORDER BY id")
        jobs_before = before.fetchall()

    report = migrate(version_2_url)
    assert [m.filename for m in report.applied] == ["0003_tenant_isolation.sql"]

    with connect(version_2_url) as v3:
        after = v3.execute(
            "SELECT id, state::text AS state FROM jobforge.jobforge_jobs ORDER BY id"
        ).fetchall()
        assert after == jobs_before
        history = v3.execute(
            "SELECT version FROM jobforge.jobforge_schema_migrations ORDER BY 1"
        ).fetchall()
        assert [row["version"] for row in history] == [1, 2, 3]
        moved = v3.execute(
            "SELECT relrowsecurity AS rls, relacl IS NULL AS no_grants FROM pg_class "
            "WHERE oid = 'jobforge.jobforge_schema_migrations'::regclass"
        ).fetchone()
        assert moved is not None
        assert moved["rls"]
        grants = v3.execute(
            "SELECT kind FROM jobforge.jobforge_tenant_grants WHERE role_name = %s ORDER BY 1",
            (role.name,),
        ).fetchall()
        assert [row["kind"] for row in grants] == ["producer", "worker"]
        orphans = v3.execute(
            "SELECT count(*) AS n FROM jobforge.jobforge_job_results r WHERE NOT EXISTS "
            "(SELECT 1 FROM jobforge.jobforge_jobs j WHERE j.id = r.job_id)"
        ).fetchone()
        assert orphans == {"n": 0}
        repaired = v3.execute(
            "SELECT backoff_base_seconds AS base, backoff_cap_seconds AS cap, "
            "isfinite(run_at) AS finite FROM jobforge.jobforge_jobs WHERE id = %s",
            (poisoned,),
        ).fetchone()
        assert repaired == {"base": 1.0, "cap": 300.0, "finite": True}
        leftovers = v3.execute(
            "SELECT count(*) AS n FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = 'public' AND c.relname LIKE 'jobforge%%'"
        ).fetchone()
        assert leftovers == {"n": 0}
    # The role granted before the upgrade enqueues and claims as both kinds.
    params = psycopg.conninfo.conninfo_to_dict(version_2_url)
    params["user"] = role.name
    role_url = psycopg.conninfo.make_conninfo(**{k: str(v) for k, v in params.items()})
    with JobForgeClient(role_url) as client:
        assert client.enqueue_job(tenant_id=tenant, type="a.b", payload={}).created
        assert client.get_job(queued).state == "succeeded"
    with connect(role_url) as conn:
        claimed = conn.execute(
            "SELECT tenant_id FROM jobforge.jobforge_claim_jobs('w2', 10, 30)"
        ).fetchall()
        assert {row["tenant_id"] for row in claimed} == {tenant}


def test_files_applied_with_psql_build_the_same_schema(
    empty_database_url: str, database_url: str
) -> None:
    """`psql --single-transaction -f` for each file, with no history table."""
    with psycopg.connect(empty_database_url, autocommit=True) as conn:
        for migration in load_migrations():
            with conn.transaction():
                conn.execute(migration.sql.encode("utf-8"))
    assert catalogue(empty_database_url) == catalogue(database_url)


def catalogue(url: str) -> dict[str, Any]:
    with connect(url) as conn:
        return {
            "relations": conn.execute(
                "SELECT c.relname, c.relkind, c.relrowsecurity, c.relacl IS NULL AS no_acl "
                "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = 'jobforge' AND c.relname <> 'jobforge_schema_migrations' "
                "AND c.relname NOT LIKE 'jobforge_schema_migrations%%' ORDER BY 1"
            ).fetchall(),
            "functions": conn.execute(
                "SELECT p.proname, pg_get_function_identity_arguments(p.oid) AS arguments, "
                "p.prosecdef, p.proconfig, md5(p.prosrc) AS body "
                "FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
                "WHERE n.nspname = 'jobforge' ORDER BY 1, 2"
            ).fetchall(),
        }


def one(conn: psycopg.Connection[Any], statement: str, *params: Any) -> Any:
    row = conn.execute(statement, params).fetchone()
    assert row is not None
    return next(iter(row.values()))
