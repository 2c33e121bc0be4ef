"""Upgrading a database that runs version 2 to version 3 (tenant isolation), with work in
it: nothing is lost, grants keep working (as both kinds), values only an attack could
have written are made usable, and results whose job was deleted go."""

from __future__ import annotations

import subprocess
import sys
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg
import pytest

from jobforge.client import JobForgeClient
from jobforge.db.migrations import load_migrations, migrate
from jobforge.errors import MigrationError
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
    assert [m.filename for m in report.applied] == [m.filename for m in load_migrations()[2:]]
    assert report.applied[0].filename == "0003_tenant_isolation.sql"

    with connect(version_2_url) as v3:
        after = v3.execute(
            "SELECT id, state::text AS state FROM jobforge.jobforge_jobs ORDER BY id"
        ).fetchall()
        assert after == jobs_before
        history = v3.execute(
            "SELECT version FROM jobforge.jobforge_schema_migrations ORDER BY 1"
        ).fetchall()
        assert [row["version"] for row in history] == list(range(1, len(load_migrations()) + 1))
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


def apply_by_hand(url: str, count: int) -> None:
    """What `psql --single-transaction -f` of the first ``count`` shipped files does."""
    with psycopg.connect(url, autocommit=True) as conn:
        for migration in load_migrations()[:count]:
            with conn.transaction():
                conn.execute(migration.sql.encode("utf-8"))


@pytest.mark.parametrize("by_hand", [1, 2, 3, 4])
def test_a_schema_applied_by_hand_is_recorded_then_migrated(
    empty_database_url: str, by_hand: int
) -> None:
    """Version 2 of `jobforge migrate` failed for ever on such a database (`type
    "jobforge_job_state" already exists`) and left an empty history table behind."""
    apply_by_hand(empty_database_url, by_hand)
    shipped = load_migrations()
    report = migrate(empty_database_url)
    assert [m.version for m in report.recorded_as_applied] == list(range(1, by_hand + 1))
    assert [m.version for m in report.applied] == list(range(by_hand + 1, len(shipped) + 1))
    with connect(empty_database_url) as conn:
        rows = conn.execute(
            "SELECT version, checksum FROM jobforge.jobforge_schema_migrations ORDER BY 1"
        ).fetchall()
    assert [(r["version"], r["checksum"]) for r in rows] == [
        (m.version, m.checksum) for m in shipped
    ]
    again = migrate(empty_database_url)
    assert (again.applied, again.recorded_as_applied) == ((), ())
    assert len(again.already_applied) == len(shipped)


def test_the_command_says_what_it_recorded(empty_database_url: str) -> None:
    apply_by_hand(empty_database_url, 2)
    command = [str(Path(sys.executable).parent / "jobforge"), "migrate"]
    completed = subprocess.run(
        [*command, "--database-url", empty_database_url],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert completed.returncode == 0, completed.stderr
    later = [m.filename for m in load_migrations()[2:]]
    assert completed.stdout.splitlines() == [
        "recorded 0001_router.sql: it was applied without jobforge migrate",
        "recorded 0002_enqueue_without_keys.sql: it was applied without jobforge migrate",
        *[f"applied {name}" for name in later],
        f"{len(later)} migration(s) applied, 2 already applied, {len(later) + 2} in all",
    ]


def test_objects_no_version_accounts_for_are_refused_and_nothing_is_written(
    empty_database_url: str,
) -> None:
    with psycopg.connect(empty_database_url, autocommit=True) as conn:
        conn.execute("CREATE FUNCTION jobforge_claim_jobs() RETURNS int LANGUAGE sql AS 'SELECT 1'")
    with pytest.raises(MigrationError, match=r"public\.jobforge_claim_jobs\(\)"):
        migrate(empty_database_url)
    assert nothing_of_jobforge_but(empty_database_url, "jobforge_claim_jobs")


def test_a_first_migration_that_fails_leaves_the_database_as_it_was(
    empty_database_url: str, tmp_path: Path
) -> None:
    folder = tmp_path / "migrations"
    folder.mkdir()
    (folder / "0001_broken.sql").write_text(
        "CREATE TABLE jobforge_half (id int);\nSELECT no_such_function();\n", encoding="utf-8"
    )
    with pytest.raises(MigrationError, match=r"0001_broken\.sql failed to apply"):
        migrate(empty_database_url, load_migrations(folder))
    assert nothing_of_jobforge_but(empty_database_url)


def nothing_of_jobforge_but(url: str, *expected: str) -> bool:
    with connect(url) as conn:
        schema = conn.execute("SELECT to_regnamespace('jobforge') IS NULL AS gone").fetchone()
        names = conn.execute(
            "SELECT relname AS name FROM pg_class WHERE relname LIKE 'jobforge%%' "
            "UNION ALL SELECT proname FROM pg_proc WHERE proname LIKE 'jobforge%%'"
        ).fetchall()
    return schema == {"gone": True} and sorted(r["name"] for r in names) == sorted(expected)
