"""Migrations judged by their effects: the catalog they build, reruns, changes, races, plans."""

from __future__ import annotations

import json
import re
import shutil
import threading
import uuid
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import sql

from jobforge.db.migrations import MigrationReport, load_migrations, migrate, migrations_directory
from jobforge.errors import MigrationError

EXPECTED_TABLES = [
    "jobforge_job_results",
    "jobforge_jobs",
    "jobforge_schema_migrations",
    "jobforge_tenant_grants",
    "jobforge_triggers",
]
EXPECTED_RLS_TABLES = [
    "jobforge_job_results",
    "jobforge_jobs",
    "jobforge_tenant_grants",
    "jobforge_triggers",
]
EXPECTED_INDEXES = [
    "jobforge_job_results_pkey",
    "jobforge_jobs_finished_idx",
    "jobforge_jobs_idempotency_idx",
    "jobforge_jobs_lease_idx",
    "jobforge_jobs_ordering_idx",
    "jobforge_jobs_pkey",
    "jobforge_jobs_runnable_idx",
    "jobforge_schema_migrations_pkey",
    "jobforge_tenant_grants_pkey",
    "jobforge_triggers_event_idx",
    "jobforge_triggers_pkey",
    "jobforge_triggers_tenant_id_name_key",
]
EXPECTED_FUNCTIONS = [
    "jobforge_assert_tenants",
    "jobforge_backoff_seconds",
    "jobforge_cancel_job",
    "jobforge_claim_jobs",
    "jobforge_complete_job",
    "jobforge_complete_jobs",
    "jobforge_enqueue_job",
    "jobforge_enqueue_jobs",
    "jobforge_fail_job",
    "jobforge_fail_jobs",
    "jobforge_fire_event",
    "jobforge_grant_tenant",
    "jobforge_heartbeat",
    "jobforge_job_as_it_stands",
    "jobforge_prune_finished_jobs",
    "jobforge_queue_stats",
    "jobforge_refuse_result_change",
    "jobforge_release_jobs",
    "jobforge_requeue_job",
    "jobforge_rescue_expired_leases",
    "jobforge_revoke_tenant",
    "jobforge_visible_tenants",
]
EXPECTED_POLICIES = [
    ("jobforge_job_results", "jobforge_job_results_tenant"),
    ("jobforge_jobs", "jobforge_jobs_tenant"),
    ("jobforge_tenant_grants", "jobforge_tenant_grants_own"),
    ("jobforge_triggers", "jobforge_triggers_tenant"),
]
EXPECTED_TRIGGERS = [
    ("jobforge_job_results", "jobforge_job_results_immutable"),
    ("jobforge_job_results", "jobforge_job_results_no_truncate"),
]
EXPECTED_JOB_STATES = ["queued", "running", "awaiting_retry", "succeeded", "dead", "canceled"]
# Functions only the owner may call (EXECUTE revoked from PUBLIC).
EXPECTED_OWNER_ONLY = [
    "jobforge_grant_tenant",
    "jobforge_prune_finished_jobs",
    "jobforge_revoke_tenant",
]


def names(url: str, statement: str) -> list[Any]:
    with psycopg.connect(url) as conn:
        return sorted(tuple(row) if len(row) > 1 else row[0] for row in conn.execute(statement))


def public_names(url: str, relkind: str) -> list[str]:
    return names(
        url,
        "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        f"WHERE n.nspname = 'public' AND c.relkind = '{relkind}'",
    )


def test_fresh_database_gets_the_expected_catalog(empty_database_url: str) -> None:
    url = empty_database_url
    report = migrate(url)
    assert [m.filename for m in report.applied] == [
        "0001_router.sql",
        "0002_enqueue_without_keys.sql",
    ]
    assert report.already_applied == ()

    assert public_names(url, "r") == EXPECTED_TABLES
    assert public_names(url, "i") == EXPECTED_INDEXES
    assert (
        names(
            url,
            "SELECT p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
            "WHERE n.nspname = 'public'",
        )
        == EXPECTED_FUNCTIONS
    )
    assert names(url, "SELECT tablename, policyname FROM pg_policies") == EXPECTED_POLICIES
    assert (
        names(
            url,
            "SELECT c.relname, t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "WHERE NOT t.tgisinternal",
        )
        == EXPECTED_TRIGGERS
    )
    assert (
        names(
            url,
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = 'public' AND c.relkind = 'r' AND c.relrowsecurity",
        )
        == EXPECTED_RLS_TABLES
    )
    with psycopg.connect(url) as conn:
        states = conn.execute(
            "SELECT array_agg(enumlabel::text ORDER BY enumsortorder) FROM pg_enum "
            "WHERE enumtypid = 'jobforge_job_state'::regtype"
        ).fetchone()
        assert states is not None
        assert states[0] == EXPECTED_JOB_STATES
        owner_only = [
            row[0]
            for row in conn.execute(
                "SELECT p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
                "WHERE n.nspname = 'public' "
                "AND NOT has_function_privilege('public', p.oid, 'EXECUTE') "
                "ORDER BY 1"
            )
        ]
        assert owner_only == EXPECTED_OWNER_ONLY
        runnable_index = conn.execute(
            "SELECT pg_get_indexdef('jobforge_jobs_runnable_idx'::regclass)"
        ).fetchone()
        assert runnable_index is not None
        assert "(priority DESC, run_at, seq)" in runnable_index[0]
        assert "WHERE (state = ANY" in runnable_index[0]
        recorded = conn.execute(
            "SELECT version, name, checksum FROM jobforge_schema_migrations"
        ).fetchall()
        first, second = load_migrations()
        assert recorded == [
            (1, "router", first.checksum),
            (2, "enqueue_without_keys", second.checksum),
        ]


def test_second_run_is_a_no_op(empty_database_url: str) -> None:
    first = migrate(empty_database_url)
    with psycopg.connect(empty_database_url) as conn:
        applied_at = conn.execute("SELECT applied_at FROM jobforge_schema_migrations").fetchall()
    second = migrate(empty_database_url)
    assert second.applied == ()
    assert [m.filename for m in second.already_applied] == [m.filename for m in first.applied]
    with psycopg.connect(empty_database_url) as conn:
        assert conn.execute("SELECT applied_at FROM jobforge_schema_migrations").fetchall() == (
            applied_at
        )


SHIPPED = len(load_migrations())


def next_name(name: str, step: int = 1) -> str:
    """A migration file name numbered ``step`` after the shipped migrations."""
    return f"{SHIPPED + step:04d}_{name}.sql"


def copy_migrations(tmp_path: Path) -> Path:
    folder = tmp_path / "migrations"
    folder.mkdir()
    for migration in load_migrations():
        source = Path(str(migrations_directory())) / migration.filename
        shutil.copy(source, folder / migration.filename)
    return folder


def test_changed_applied_migration_is_refused_naming_the_file(
    empty_database_url: str, tmp_path: Path
) -> None:
    folder = copy_migrations(tmp_path)
    migrate(empty_database_url, load_migrations(folder))
    changed = folder / "0001_router.sql"
    changed.write_text(
        changed.read_text(encoding="utf-8") + "\n-- an edit after the fact\n", encoding="utf-8"
    )
    with pytest.raises(MigrationError, match=r"0001_router\.sql changed after it was applied"):
        migrate(empty_database_url, load_migrations(folder))


def test_new_migration_is_applied_after_the_old_ones(
    empty_database_url: str, tmp_path: Path
) -> None:
    folder = copy_migrations(tmp_path)
    migrate(empty_database_url, load_migrations(folder))
    (folder / next_name("extra")).write_text(
        "CREATE TABLE jobforge_test_extra (id integer);\n", encoding="utf-8"
    )
    report = migrate(empty_database_url, load_migrations(folder))
    assert [m.filename for m in report.applied] == [next_name("extra")]
    assert "jobforge_test_extra" in public_names(empty_database_url, "r")


def test_failing_migration_is_rolled_back_and_named(
    empty_database_url: str, tmp_path: Path
) -> None:
    folder = copy_migrations(tmp_path)
    (folder / next_name("broken")).write_text(
        "CREATE TABLE jobforge_half_done (id integer);\nSELECT no_such_function();\n",
        encoding="utf-8",
    )
    broken = re.escape(next_name("broken"))
    with pytest.raises(MigrationError, match=rf"{broken} failed to apply"):
        migrate(empty_database_url, load_migrations(folder))
    assert "jobforge_half_done" not in public_names(empty_database_url, "r")
    with psycopg.connect(empty_database_url) as conn:
        versions = conn.execute("SELECT version FROM jobforge_schema_migrations ORDER BY 1")
        assert versions.fetchall() == [(n,) for n in range(1, SHIPPED + 1)]


def test_gap_in_versions_is_refused(tmp_path: Path) -> None:
    folder = copy_migrations(tmp_path)
    (folder / next_name("skipped", step=2)).write_text("SELECT 1;\n", encoding="utf-8")
    skipped = re.escape(next_name("skipped", step=2))
    expected = f"{SHIPPED + 1:04d}"
    with pytest.raises(MigrationError, match=rf"{skipped}: expected migration version {expected}"):
        load_migrations(folder)


def test_badly_named_file_is_refused(tmp_path: Path) -> None:
    folder = copy_migrations(tmp_path)
    (folder / "2_Bad.sql").write_text("SELECT 1;\n", encoding="utf-8")
    with pytest.raises(MigrationError, match=r"2_Bad\.sql: migration files are named"):
        load_migrations(folder)


def test_concurrent_runs_apply_each_migration_once(empty_database_url: str) -> None:
    barrier = threading.Barrier(2)
    reports: list[MigrationReport] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            barrier.wait(timeout=10)
            reports.append(migrate(empty_database_url))
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert sorted(len(report.applied) for report in reports) == [0, SHIPPED]
    assert sorted(len(report.already_applied) for report in reports) == [0, SHIPPED]
    with psycopg.connect(empty_database_url) as conn:
        recorded = conn.execute("SELECT count(*) FROM jobforge_schema_migrations").fetchone()
        assert recorded == (SHIPPED,)


# The candidate scan of jobforge_claim_jobs, as written in the function.
CLAIM_CANDIDATES = """
SELECT j.id
FROM jobforge_jobs j
WHERE j.state IN ('queued', 'awaiting_retry')
  AND j.run_at <= now()
  AND (%(job_types)s::text[] IS NULL OR j.type = ANY (%(job_types)s::text[]))
  AND (j.ordering_key IS NULL OR NOT EXISTS (
        SELECT 1 FROM jobforge_jobs earlier
        WHERE earlier.tenant_id = j.tenant_id
          AND earlier.ordering_key = j.ordering_key
          AND earlier.seq < j.seq
          AND earlier.state IN ('queued', 'running', 'awaiting_retry')))
ORDER BY j.priority DESC, j.run_at, j.seq
LIMIT %(limit)s
FOR UPDATE OF j SKIP LOCKED
"""


def index_names(plan: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(plan, dict):
        if "Index Name" in plan:
            found.add(plan["Index Name"])
        for value in plan.values():
            found |= index_names(value)
    elif isinstance(plan, list):
        for item in plan:
            found |= index_names(item)
    return found


@pytest.mark.parametrize("enable_sort", ["on", "off"], ids=["sort-on", "sort-off-as-in-claim"])
def test_claim_scan_uses_the_runnable_index(database_url: str, enable_sort: str) -> None:
    tenant = uuid.uuid4()
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO jobforge_jobs (id, tenant_id, type, payload, state, trace_id, "
            "finished_at, attempts) "
            "SELECT gen_random_uuid(), %s, 'bench.noop', '{}', 'succeeded', 't', now(), 1 "
            "FROM generate_series(1, 20000)",
            (tenant,),
        )
        conn.execute(
            "INSERT INTO jobforge_jobs (id, tenant_id, type, payload, trace_id) "
            "SELECT gen_random_uuid(), %s, 'bench.noop', '{}', 't' FROM generate_series(1, 5)",
            (tenant,),
        )
        conn.execute("ANALYZE jobforge_jobs")
        with conn.transaction():
            conn.execute(sql.SQL("SET LOCAL enable_sort = {}").format(sql.Literal(enable_sort)))
            row = conn.execute(
                "EXPLAIN (FORMAT JSON) " + CLAIM_CANDIDATES,
                {"job_types": None, "limit": 100},
            ).fetchone()
    assert row is not None
    plan = row[0] if not isinstance(row[0], str) else json.loads(row[0])
    assert "jobforge_jobs_runnable_idx" in index_names(plan), json.dumps(plan, indent=1)
