"""Running every doctor check against one database, in order, collecting the results."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import psycopg

from jobforge.db.connection import connect, redact
from jobforge.db.errors import translate
from jobforge.doctor.contract_checks import check_runner_contracts
from jobforge.doctor.options import DoctorOptions
from jobforge.doctor.queries import doctor_query
from jobforge.doctor.queue_checks import (
    check_dead_letters,
    check_expired_leases,
    check_queue_age,
    check_unserved_job_types,
    check_workers,
)
from jobforge.doctor.results import CheckResult, DoctorReport, Status, failed, passed
from jobforge.doctor.schema_checks import (
    check_function_privileges,
    check_migrations,
    check_row_level_security,
    check_search_paths,
)
from jobforge.errors import DatabaseUnavailable, JobForgeError

Connection = psycopg.Connection[dict[str, Any]]
Check = Callable[[Connection, DoctorOptions], CheckResult]

# In the order they run and are reported; each reads only, in its own statement(s).
CHECKS: tuple[tuple[str, Check], ...] = (
    ("migrations", lambda conn, _: check_migrations(conn)),
    ("row_level_security", lambda conn, _: check_row_level_security(conn)),
    ("function_search_path", lambda conn, _: check_search_paths(conn)),
    ("function_privileges", lambda conn, _: check_function_privileges(conn)),
    ("workers", check_workers),
    ("expired_leases", check_expired_leases),
    ("dead_letters", check_dead_letters),
    ("queue_age", check_queue_age),
    ("unserved_job_types", check_unserved_job_types),
    ("runner_contracts", check_runner_contracts),
)
CHECK_NAMES = ("database", *(name for name, _ in CHECKS))


def run_doctor(database_url: str, options: DoctorOptions) -> DoctorReport:
    """Connect, then run every check; a database that cannot be reached, has no JobForge
    schema, or is read by a role that does not administer JobForge stops after the first."""
    try:
        conn = connect(database_url)
    except DatabaseUnavailable as exc:
        return DoctorReport(
            [
                failed(
                    "database",
                    str(exc),
                    "check --database-url (or JOBFORGE_DATABASE_URL), that the server runs "
                    "and that it accepts this role from this host (pg_hba.conf)",
                )
            ]
        )
    with conn:
        first = _check_connection(conn, redact(database_url))
        results = [first]
        if first.status is Status.PASS:
            results += [_run_one(name, check, conn, options) for name, check in CHECKS]
    return DoctorReport(results)


def _check_connection(conn: Connection, url: str) -> CheckResult:
    row = conn.execute(doctor_query("connection")).fetchone()
    assert row is not None
    facts = {"role": row["role_name"], "server_version": row["server_version"]}
    if not row["schema_exists"]:
        return failed(
            "database",
            f"connected to {url}, which has no jobforge schema",
            "run `jobforge migrate` on this database (or point --database-url at the right one)",
            **facts,
        )
    if not row["administers"]:
        return failed(
            "database",
            f"connected as {row['role_name']}, which does not own the jobforge schema: "
            "the checks read every tenant's rows and the catalogue, as the owner",
            "run doctor as the JobForge owner (the role that ran `jobforge migrate`)",
            **facts,
        )
    return passed(
        "database",
        f"connected to PostgreSQL {row['server_version']} as {row['role_name']} (the owner)",
        **facts,
    )


def _run_one(name: str, check: Check, conn: Connection, options: DoctorOptions) -> CheckResult:
    """One check; an error it meets (the database going away, a schema too old, a project
    that cannot be read) is its failure, and the next check still runs."""
    try:
        try:
            return check(conn, options)
        except psycopg.Error as exc:
            raise translate(exc) from exc
    except JobForgeError as exc:
        return failed(name, f"could not check: {exc}", _action_for(exc))


def _action_for(exc: JobForgeError) -> str:
    if isinstance(exc, DatabaseUnavailable):
        return "check that the database is reachable, then run doctor again"
    return "fix what the message names, then run doctor again"
