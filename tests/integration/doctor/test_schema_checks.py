"""The schema checks pass on a freshly migrated database and fail on each fault, made for
real in that database: history edited, RLS off or forced, a search path changed, a
function granted to PUBLIC or to a role without grants."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from psycopg import sql

from jobforge.doctor.results import Status
from tests.conftest import TenantRole
from tests.integration.doctor.support import doctor, result
from tests.integration.support import connect


def owner_runs(url: str, statement: str) -> None:
    with connect(url) as conn:
        conn.execute(statement)  # type: ignore[arg-type] - fixed test statements


def test_a_fresh_database_passes_every_schema_check(database_url: str, tmp_path: Path) -> None:
    report = doctor(database_url, tmp_path)
    for name in (
        "database", "migrations", "row_level_security", "function_search_path",
        "function_privileges",
    ):  # fmt: skip
        assert result(report, name).status is Status.PASS, result(report, name)
    assert result(report, "migrations").facts["pending"] == []


def test_changed_pending_and_unknown_migrations_fail(database_url: str, tmp_path: Path) -> None:
    owner_runs(
        database_url,
        "UPDATE jobforge.jobforge_schema_migrations SET checksum = 'edited' WHERE version = 3",
    )
    changed = result(doctor(database_url, tmp_path), "migrations")
    assert changed.status is Status.FAIL
    assert changed.facts["changed"] == ["0003_tenant_isolation.sql"]

    owner_runs(database_url, "DELETE FROM jobforge.jobforge_schema_migrations WHERE version = 3")
    pending = result(doctor(database_url, tmp_path), "migrations")
    assert pending.status is Status.FAIL
    assert pending.facts["pending"] == ["0003_tenant_isolation.sql"]
    assert "jobforge migrate" in pending.action

    owner_runs(
        database_url,
        "INSERT INTO jobforge.jobforge_schema_migrations (version, name, checksum) "
        "VALUES (9999, 'from_the_future', 'x')",
    )
    unknown = result(doctor(database_url, tmp_path), "migrations")
    assert unknown.status is Status.FAIL
    assert unknown.facts["unknown"] == ["9999_from_the_future"]
    assert "upgrade JobForge" in unknown.action


def test_row_level_security_off_or_forced_fails(database_url: str, tmp_path: Path) -> None:
    owner_runs(database_url, "ALTER TABLE jobforge.jobforge_triggers DISABLE ROW LEVEL SECURITY")
    off = result(doctor(database_url, tmp_path), "row_level_security")
    assert off.status is Status.FAIL
    assert off.facts["disabled"] == ["jobforge_triggers"]
    assert "ALTER TABLE jobforge.jobforge_triggers ENABLE ROW LEVEL SECURITY" in off.action

    owner_runs(database_url, "ALTER TABLE jobforge.jobforge_triggers ENABLE ROW LEVEL SECURITY")
    owner_runs(database_url, "ALTER TABLE jobforge.jobforge_jobs FORCE ROW LEVEL SECURITY")
    forced = result(doctor(database_url, tmp_path), "row_level_security")
    assert forced.status is Status.FAIL
    assert forced.facts["forced"] == ["jobforge_jobs"]


def test_a_function_without_its_pinned_search_path_fails(database_url: str, tmp_path: Path) -> None:
    owner_runs(database_url, "ALTER FUNCTION jobforge.jobforge_queue_stats() RESET search_path")
    owner_runs(
        database_url,
        "ALTER FUNCTION jobforge.jobforge_cancel_job(uuid) SET search_path = public, jobforge",
    )
    found = result(doctor(database_url, tmp_path), "function_search_path")
    assert found.status is Status.FAIL
    assert found.facts["unpinned"] == ["jobforge.jobforge_queue_stats()"]
    assert found.facts["other_search_path"] == [
        "jobforge.jobforge_cancel_job(uuid) (public, jobforge)"
    ]


def test_public_execute_fails_and_grants_are_listed(
    database_url: str, tmp_path: Path, make_role: Callable[[], TenantRole]
) -> None:
    producer, worker, stray = make_role(), make_role(), make_role()
    owner_runs(
        database_url,
        f"SELECT jobforge.jobforge_grant_tenant('{producer.name}', gen_random_uuid(), 'producer')",
    )
    owner_runs(
        database_url,
        f"SELECT jobforge.jobforge_grant_tenant('{worker.name}', gen_random_uuid(), 'worker')",
    )
    healthy = result(doctor(database_url, tmp_path), "function_privileges")
    assert healthy.status is Status.PASS
    assert healthy.facts["producer_roles"] == [producer.name]
    assert healthy.facts["worker_roles"] == [worker.name]

    with connect(database_url) as conn:
        conn.execute(
            sql.SQL(
                "GRANT EXECUTE ON FUNCTION "
                "jobforge.jobforge_prune_finished_jobs(interval, integer) TO {}"
            ).format(sql.Identifier(stray.name))
        )
    stray_role = result(doctor(database_url, tmp_path), "function_privileges")
    assert stray_role.status is Status.WARN
    assert stray_role.facts["roles_without_grants"] == {
        stray.name: ["jobforge.jobforge_prune_finished_jobs(interval,integer)"]
    }

    owner_runs(
        database_url,
        "GRANT EXECUTE ON FUNCTION jobforge.jobforge_grant_tenant(name, uuid, text) TO PUBLIC",
    )
    public = result(doctor(database_url, tmp_path), "function_privileges")
    assert public.status is Status.FAIL
    assert public.facts["public_functions"] == ["jobforge.jobforge_grant_tenant(name,uuid,text)"]
    assert "jobforge_reset_privileges" in public.action

    owner_runs(database_url, "SELECT jobforge.jobforge_reset_privileges()")
    assert result(doctor(database_url, tmp_path), "function_privileges").status is Status.PASS


def test_a_role_that_does_not_own_jobforge_stops_at_the_first_check(
    database_url: str, tmp_path: Path, make_role: Callable[[], TenantRole]
) -> None:
    outsider = make_role()
    report = doctor(outsider.url, tmp_path)
    assert [r.name for r in report.results] == ["database"]
    assert report.results[0].status is Status.FAIL
    assert "owner" in report.results[0].action


def test_an_unreachable_database_fails_with_what_to_do(tmp_path: Path) -> None:
    report = doctor("postgresql://nobody@127.0.0.1:1/none?connect_timeout=2", tmp_path)
    [only] = report.results
    assert (only.name, only.status) == ("database", Status.FAIL)
    assert "--database-url" in only.action


def test_an_unmigrated_database_fails_naming_migrate(
    empty_database_url: str, tmp_path: Path
) -> None:
    report = doctor(empty_database_url, tmp_path)
    [only] = report.results
    assert only.status is Status.FAIL
    assert "jobforge migrate" in only.action
