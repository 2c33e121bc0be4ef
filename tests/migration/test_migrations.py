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
    "jobforge_api_key_verifiers",
    "jobforge_api_keys",
    "jobforge_job_results",
    "jobforge_jobs",
    "jobforge_schema_migrations",
    "jobforge_tenant_grants",
    "jobforge_triggers",
    "jobforge_workers",
]
EXPECTED_RLS_TABLES = EXPECTED_TABLES
EXPECTED_INDEXES = [
    "jobforge_api_key_verifiers_pkey",
    "jobforge_api_keys_pkey",
    "jobforge_api_keys_tenant_idx",
    "jobforge_job_results_pkey",
    "jobforge_jobs_dead_idx",
    "jobforge_jobs_finished_idx",
    "jobforge_jobs_idempotency_idx",
    "jobforge_jobs_lease_idx",
    "jobforge_jobs_ordering_idx",
    "jobforge_jobs_parent_idx",
    "jobforge_jobs_pkey",
    "jobforge_jobs_runnable_idx",
    "jobforge_schema_migrations_pkey",
    "jobforge_tenant_grants_pkey",
    "jobforge_triggers_event_idx",
    "jobforge_triggers_pkey",
    "jobforge_triggers_tenant_id_name_key",
    "jobforge_workers_last_seen_idx",
    "jobforge_workers_pkey",
]
# Callable by the roles a grant of each kind names (see tests/security/test_catalogue.py).
PRODUCER_FUNCTIONS = [
    "jobforge_cancel_job",
    "jobforge_discard_job",
    "jobforge_enqueue_job",
    "jobforge_enqueue_jobs",
    "jobforge_fire_event",
    "jobforge_requeue_job",
]
WORKER_FUNCTIONS = [
    "jobforge_claim_jobs",
    "jobforge_complete_job",
    "jobforge_complete_jobs",
    "jobforge_complete_jobs_with_follow_ups",
    "jobforge_fail_job",
    "jobforge_fail_jobs",
    "jobforge_heartbeat",
    "jobforge_insert_api_key",
    "jobforge_list_api_keys",
    "jobforge_record_worker_presence",
    "jobforge_release_jobs",
    "jobforge_revoke_api_key",
    "jobforge_rotate_api_key",
]
READER_FUNCTIONS = ["jobforge_queue_stats", "jobforge_visible_tenants"]
# Callable by the owner and the roles it names key verifiers (jobforge_grant_key_verifier).
VERIFIER_FUNCTIONS = ["jobforge_authenticate_api_key"]
# Nobody but the owner runs these.
OWNER_FUNCTIONS = [
    "jobforge_api_key_document",
    "jobforge_api_key_limit",
    "jobforge_api_key_scopes_valid",
    "jobforge_backoff_seconds",
    "jobforge_caller_tenants",
    "jobforge_caller_is_key_verifier",
    "jobforge_calling_role",
    "jobforge_check_job_payload",
    "jobforge_check_lease_seconds",
    "jobforge_check_trigger_documents",
    "jobforge_delete_results_of_deleted_jobs",
    "jobforge_follow_up_problem",
    "jobforge_grant_key_verifier",
    "jobforge_grant_tenant",
    "jobforge_insert_api_key_row",
    "jobforge_job_as_it_stands",
    "jobforge_json_canonical_octets",
    "jobforge_json_problem",
    "jobforge_json_without_strings",
    "jobforge_lock_api_keys_of",
    "jobforge_prune_finished_jobs",
    "jobforge_refuse_jobs_truncate",
    "jobforge_refuse_payload_change",
    "jobforge_refuse_replay_context",
    "jobforge_refuse_result_change",
    "jobforge_require_api_key_writer",
    "jobforge_require_tenants",
    "jobforge_rescue_expired_leases",
    "jobforge_reset_privileges",
    "jobforge_reset_router_privileges",
    "jobforge_revoke_key_verifier",
    "jobforge_revoke_tenant",
    "jobforge_sync_role_privileges",
    "jobforge_sync_role_privileges_before_discard",
    "jobforge_sync_role_privileges_before_presence",
    "jobforge_sync_router_privileges",
    "jobforge_uuid_or_null",
]
EXPECTED_FUNCTIONS = sorted(
    PRODUCER_FUNCTIONS + WORKER_FUNCTIONS + READER_FUNCTIONS + VERIFIER_FUNCTIONS + OWNER_FUNCTIONS
)
EXPECTED_POLICIES = [
    ("jobforge_api_keys", "jobforge_api_keys_read"),
    ("jobforge_job_results", "jobforge_job_results_read"),
    ("jobforge_jobs", "jobforge_jobs_read"),
    ("jobforge_tenant_grants", "jobforge_tenant_grants_own"),
    ("jobforge_triggers", "jobforge_triggers_producer_delete"),
    ("jobforge_triggers", "jobforge_triggers_producer_insert"),
    ("jobforge_triggers", "jobforge_triggers_producer_update"),
    ("jobforge_triggers", "jobforge_triggers_read"),
]
EXPECTED_TRIGGERS = [
    ("jobforge_job_results", "jobforge_job_results_immutable"),
    ("jobforge_job_results", "jobforge_job_results_no_truncate"),
    ("jobforge_jobs", "jobforge_jobs_no_truncate"),
    ("jobforge_jobs", "jobforge_jobs_payload_immutable"),
    ("jobforge_jobs", "jobforge_jobs_payload_limits"),
    ("jobforge_jobs", "jobforge_jobs_results_go_with_them"),
    ("jobforge_triggers", "jobforge_triggers_document_limits"),
]
EXPECTED_JOB_STATES = ["queued", "running", "awaiting_retry", "succeeded", "dead", "canceled"]


def names(url: str, statement: str) -> list[Any]:
    with psycopg.connect(url) as conn:
        return sorted(tuple(row) if len(row) > 1 else row[0] for row in conn.execute(statement))


def schema_names(url: str, relkind: str, schema: str = "jobforge") -> list[str]:
    return names(
        url,
        "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        f"WHERE n.nspname = '{schema}' AND c.relkind = '{relkind}'",
    )


def test_fresh_database_gets_the_expected_catalog(empty_database_url: str) -> None:
    url = empty_database_url
    report = migrate(url)
    assert [m.filename for m in report.applied] == [
        "0001_router.sql",
        "0002_enqueue_without_keys.sql",
        "0003_tenant_isolation.sql",
        "0004_follow_up_jobs.sql",
        "0005_api_keys.sql",
        "0006_worker_presence.sql",
        "0007_operator_indexes.sql",
        "0008_discard_dead_jobs.sql",
    ]
    assert report.already_applied == ()

    assert schema_names(url, "r") == EXPECTED_TABLES
    assert schema_names(url, "i") == EXPECTED_INDEXES
    # Nothing of JobForge's is left outside its schema.
    assert (
        names(
            url,
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname <> 'jobforge' AND c.relname LIKE 'jobforge%'",
        )
        == []
    )
    assert (
        names(
            url,
            "SELECT p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
            "WHERE n.nspname <> 'jobforge' AND p.proname LIKE 'jobforge%'",
        )
        == []
    )
    assert (
        names(
            url,
            "SELECT p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
            "WHERE n.nspname = 'jobforge'",
        )
        == EXPECTED_FUNCTIONS
    )
    assert (
        names(url, "SELECT tablename, policyname FROM pg_policies WHERE schemaname = 'jobforge'")
        == EXPECTED_POLICIES
    )
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
            "WHERE n.nspname = 'jobforge' AND c.relkind = 'r' AND c.relrowsecurity",
        )
        == EXPECTED_RLS_TABLES
    )
    with psycopg.connect(url) as conn:
        states = conn.execute(
            "SELECT array_agg(enumlabel::text ORDER BY enumsortorder) FROM pg_enum "
            "WHERE enumtypid = 'jobforge.jobforge_job_state'::regtype"
        ).fetchone()
        assert states is not None
        assert states[0] == EXPECTED_JOB_STATES
        runnable_index = conn.execute(
            "SELECT pg_get_indexdef('jobforge.jobforge_jobs_runnable_idx'::regclass)"
        ).fetchone()
        assert runnable_index is not None
        assert "(priority DESC, run_at, seq)" in runnable_index[0]
        assert "WHERE (state = ANY" in runnable_index[0]
        recorded = conn.execute(
            "SELECT version, name, checksum FROM jobforge.jobforge_schema_migrations"
        ).fetchall()
        assert recorded == [
            (migration.version, migration.name, migration.checksum)
            for migration in load_migrations()
        ]


def test_second_run_is_a_no_op(empty_database_url: str) -> None:
    first = migrate(empty_database_url)
    with psycopg.connect(empty_database_url) as conn:
        applied_at = conn.execute(
            "SELECT applied_at FROM jobforge.jobforge_schema_migrations"
        ).fetchall()
    second = migrate(empty_database_url)
    assert second.applied == ()
    assert [m.filename for m in second.already_applied] == [m.filename for m in first.applied]
    with psycopg.connect(empty_database_url) as conn:
        assert conn.execute(
            "SELECT applied_at FROM jobforge.jobforge_schema_migrations"
        ).fetchall() == (applied_at)


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
    assert "jobforge_test_extra" in schema_names(empty_database_url, "r", "public")


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
    assert "jobforge_half_done" not in schema_names(empty_database_url, "r", "public")
    with psycopg.connect(empty_database_url) as conn:
        versions = conn.execute(
            "SELECT version FROM jobforge.jobforge_schema_migrations ORDER BY 1"
        )
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
        recorded = conn.execute(
            "SELECT count(*) FROM jobforge.jobforge_schema_migrations"
        ).fetchone()
        assert recorded == (SHIPPED,)


# The candidate scan of jobforge_claim_jobs, as written in the function.
CLAIM_CANDIDATES = """
SELECT j.id
FROM jobforge.jobforge_jobs j
WHERE j.state IN ('queued', 'awaiting_retry')
  AND j.run_at <= now()
  AND (%(job_types)s::text[] IS NULL OR j.type = ANY (%(job_types)s::text[]))
  AND (%(allowed)s::uuid[] IS NULL OR j.tenant_id = ANY (%(allowed)s::uuid[]))
  AND (j.ordering_key IS NULL OR NOT EXISTS (
        SELECT 1 FROM jobforge.jobforge_jobs earlier
        WHERE earlier.tenant_id = j.tenant_id
          AND earlier.ordering_key = j.ordering_key
          AND earlier.seq < j.seq
          AND earlier.state IN ('queued', 'running', 'awaiting_retry')))
ORDER BY j.priority DESC, j.run_at, j.seq
LIMIT %(limit)s
FOR UPDATE OF j SKIP LOCKED
"""


def test_the_claim_scan_here_is_the_one_in_the_migration() -> None:
    """The plan test below must test what claim runs."""
    migration = (Path(str(migrations_directory())) / "0003_tenant_isolation.sql").read_text()
    body = " ".join(migration.split("CREATE FUNCTION jobforge.jobforge_claim_jobs(")[1].split())
    expected = " ".join(
        CLAIM_CANDIDATES.replace("%(job_types)s::text[]", "p_job_types")
        .replace("%(allowed)s::uuid[]", "v_allowed")
        .replace("%(limit)s", "p_limit")
        .split()
    )
    assert expected in body


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
@pytest.mark.parametrize("caller", ["owner", "tenant-worker"])
def test_claim_scan_uses_the_runnable_index(
    database_url: str, enable_sort: str, caller: str
) -> None:
    tenant = uuid.uuid4()
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO jobforge.jobforge_jobs (id, tenant_id, type, payload, state, trace_id, "
            "finished_at, attempts) "
            "SELECT gen_random_uuid(), %s, 'bench.noop', '{}', 'succeeded', 't', now(), 1 "
            "FROM generate_series(1, 20000)",
            (tenant,),
        )
        conn.execute(
            "INSERT INTO jobforge.jobforge_jobs (id, tenant_id, type, payload, trace_id) "
            "SELECT gen_random_uuid(), %s, 'bench.noop', '{}', 't' FROM generate_series(1, 5)",
            (tenant,),
        )
        conn.execute("ANALYZE jobforge.jobforge_jobs")
        with conn.transaction():
            conn.execute(sql.SQL("SET LOCAL enable_sort = {}").format(sql.Literal(enable_sort)))
            row = conn.execute(
                "EXPLAIN (FORMAT JSON) " + CLAIM_CANDIDATES,
                {
                    "job_types": None,
                    "limit": 100,
                    "allowed": None if caller == "owner" else [tenant, uuid.uuid4()],
                },
            ).fetchone()
    assert row is not None
    plan = row[0] if not isinstance(row[0], str) else json.loads(row[0])
    assert "jobforge_jobs_runnable_idx" in index_names(plan), json.dumps(plan, indent=1)
