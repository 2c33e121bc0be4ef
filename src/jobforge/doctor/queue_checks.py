"""Checks of what runs: workers seen, expired leases, dead letters, queue age, coverage."""

from __future__ import annotations

from typing import Any

import psycopg

from jobforge.doctor.options import DoctorOptions
from jobforge.doctor.queries import doctor_query
from jobforge.doctor.results import CheckResult, ago, failed, listed, passed, warned

Connection = psycopg.Connection[dict[str, Any]]
MIGRATE_FOR_PRESENCE = "run `jobforge migrate`: workers record their presence from schema version 8"
START_A_WORKER = "start one: jobforge worker run -m MODULE (the module registering its handlers)"


def _presence_recorded(conn: Connection) -> bool:
    row = conn.execute(doctor_query("workers_table_exists")).fetchone()
    return bool(row and row["found"])


def check_workers(conn: Connection, options: DoctorOptions) -> CheckResult:
    """Workers that recorded their presence within ``worker_seen_seconds``."""
    name = "workers"
    if not _presence_recorded(conn):
        return failed(name, "this database keeps no worker presence", MIGRATE_FOR_PRESENCE)
    rows = conn.execute(
        doctor_query("workers"), {"seen_seconds": options.worker_seen_seconds}
    ).fetchall()
    live = [row for row in rows if row["status"] == "live"]
    silent = [row for row in rows if row["status"] == "silent"]
    facts = {
        "live": [_worker_fact(row) for row in live],
        "silent": [_worker_fact(row) for row in silent],
        "stopped": sum(1 for row in rows if row["status"] == "stopped"),
    }
    seen = f"{options.worker_seen_seconds:g} s"
    if not live:
        return failed(
            name,
            f"no worker seen in the last {seen}"
            + (f" ({len(silent)} went silent without stopping)" if silent else ""),
            START_A_WORKER,
            **facts,
        )
    described = listed([_worker_line(row) for row in live], limit=10)
    if silent:
        gone = listed(
            [f"{row['worker_id']} (last seen {ago(row['seen_seconds_ago'])} ago)" for row in silent]
        )
        return warned(
            name,
            f"{len(live)} live: {described}; {len(silent)} went silent without a clean stop: "
            f"{gone}",
            "a silent worker was killed or lost its host or database: look at its log; its "
            "jobs come back when their leases expire",
            **facts,
        )
    return passed(name, f"{len(live)} live: {described}", **facts)


def _worker_fact(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "worker_id": row["worker_id"],
        "role": row["role_name"],
        "hostname": row["hostname"],
        "pid": row["pid"],
        "version": row["version"],
        "job_types": row["job_types"],
        "seen_seconds_ago": row["seen_seconds_ago"],
    }


def _worker_line(row: dict[str, Any]) -> str:
    types = "every type" if row["job_types"] is None else listed(row["job_types"], limit=3)
    return f"{row['worker_id']} as {row['role_name']}, {row['version']}, serving {types}"


def check_expired_leases(conn: Connection, options: DoctorOptions) -> CheckResult:
    """Running jobs past their lease: fine for a moment (the next claim rescues them), a
    failure when nobody has claimed for ``stuck_lease_seconds``."""
    name = "expired_leases"
    row = conn.execute(doctor_query("expired_leases")).fetchone()
    assert row is not None
    jobs, oldest = int(row["jobs"]), int(row["oldest_expired_seconds"])
    facts = {"jobs": jobs, "oldest_expired_seconds": oldest}
    if jobs == 0:
        return passed(name, "no running job is past its lease", **facts)
    detail = f"{jobs} running job(s) past their lease, the oldest expired {ago(oldest)} ago"
    if oldest >= options.stuck_lease_seconds:
        return failed(
            name,
            f"{detail}: no worker has claimed since",
            "any claim rescues them (retried, or dead after their last attempt): " + START_A_WORKER,
            **facts,
        )
    return warned(
        name,
        f"{detail}: their worker died or stalled",
        "the next claim by any worker rescues them; look at the log of the worker that held them",
        **facts,
    )


def check_dead_letters(conn: Connection, options: DoctorOptions) -> CheckResult:
    """Dead jobs: a warning to deal with, a failure when one died within the recent window."""
    name = "dead_letters"
    rows = conn.execute(doctor_query("dead_letters")).fetchall()
    total = sum(int(row["jobs"]) for row in rows)
    facts: dict[str, Any] = {
        "jobs": total,
        "by_type": {row["type"]: int(row["jobs"]) for row in rows},
        "newest_seconds_ago": min((int(row["newest_seconds_ago"]) for row in rows), default=None),
    }
    if total == 0:
        return passed(name, "no dead jobs", **facts)
    newest = int(facts["newest_seconds_ago"])
    by_type = listed([f"{row['type']} ({row['jobs']})" for row in rows])
    detail = f"{total} dead job(s), the newest died {ago(newest)} ago: {by_type}"
    action = (
        "read why with `jobforge show JOB_ID` (last_error), fix the cause, then "
        "`jobforge requeue JOB_ID`; prune the rest"
    )
    if newest < options.dead_letter_recent_seconds:
        return failed(name, detail, action, **facts)
    return warned(name, detail, action, **facts)


def check_queue_age(conn: Connection, options: DoctorOptions) -> CheckResult:
    """How long the oldest runnable job has waited."""
    name = "queue_age"
    rows = conn.execute(doctor_query("runnable_jobs")).fetchall()
    facts: dict[str, Any] = {
        "runnable_jobs": sum(int(row["jobs"]) for row in rows),
        "oldest_seconds": max((int(row["oldest_seconds"]) for row in rows), default=0),
        "by_type": {
            row["type"]: {"jobs": int(row["jobs"]), "oldest_seconds": int(row["oldest_seconds"])}
            for row in rows
        },
    }
    if not rows:
        return passed(name, "no job is waiting to run", **facts)
    oldest = max(rows, key=lambda row: (int(row["oldest_seconds"]), row["type"]))
    detail = (
        f"{facts['runnable_jobs']} runnable job(s); the oldest ({oldest['type']}) has waited "
        f"{ago(int(oldest['oldest_seconds']))}"
    )
    action = (
        "add workers for the slow types (or raise --concurrency), and check the `workers` and "
        "`unserved_job_types` results"
    )
    if facts["oldest_seconds"] >= options.queue_age_fail_seconds:
        return failed(name, detail, action, **facts)
    if facts["oldest_seconds"] >= options.queue_age_warn_seconds:
        return warned(name, detail, action, **facts)
    return passed(name, detail, **facts)


def check_unserved_job_types(conn: Connection, options: DoctorOptions) -> CheckResult:
    """Waiting jobs whose type (for their tenant) no live worker claims."""
    name = "unserved_job_types"
    if not _presence_recorded(conn):
        return failed(name, "this database keeps no worker presence", MIGRATE_FOR_PRESENCE)
    rows = conn.execute(
        doctor_query("unserved_job_types"), {"seen_seconds": options.worker_seen_seconds}
    ).fetchall()
    facts = {
        "unserved": {
            row["type"]: {
                "jobs": int(row["jobs"]), "due": int(row["due"]), "tenants": int(row["tenants"])
            }
            for row in rows
        }
    }  # fmt: skip
    if not rows:
        return passed(name, "every waiting job has a live worker that claims it", **facts)
    described = listed([f"{row['type']} ({row['jobs']} job(s))" for row in rows])
    action = (
        "start a worker whose handlers serve these types, connected as a role granted their "
        "tenants as a worker: jobforge worker run -m MODULE"
    )
    if any(int(row["due"]) > 0 for row in rows):
        return failed(name, f"no live worker claims: {described}", action, **facts)
    return warned(
        name, f"no live worker claims (jobs scheduled for later): {described}", action, **facts
    )
