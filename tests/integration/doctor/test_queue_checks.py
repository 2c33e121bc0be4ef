"""The checks of what runs, each passing and failing against a real database: workers
seen or silent, leases expired, dead letters, the age of the queue, types nobody serves."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path

from jobforge.doctor.results import Status
from tests.conftest import TenantRole
from tests.integration.doctor.support import age_presence, doctor, record_presence, result
from tests.integration.support import claim, connect, enqueue, fail


def test_workers_live_silent_and_none(database_url: str, tmp_path: Path) -> None:
    none = result(doctor(database_url, tmp_path), "workers")
    assert none.status is Status.FAIL
    assert "jobforge worker run" in none.action

    record_presence(database_url, "w-live", ["mail.send"])
    live = result(doctor(database_url, tmp_path), "workers")
    assert live.status is Status.PASS, live
    [seen] = live.facts["live"]
    assert (seen["worker_id"], seen["job_types"], seen["hostname"]) == (
        "w-live", ["mail.send"], "host-1"
    )  # fmt: skip

    record_presence(database_url, "w-silent")
    age_presence(database_url, "w-silent", 600)
    silent = result(doctor(database_url, tmp_path), "workers")
    assert silent.status is Status.WARN
    assert [w["worker_id"] for w in silent.facts["silent"]] == ["w-silent"]

    record_presence(database_url, "w-live", ["mail.send"], stopped=True)
    stopped = result(doctor(database_url, tmp_path), "workers")
    assert stopped.status is Status.FAIL
    assert stopped.facts["stopped"] == 1


def test_expired_leases_warn_then_fail(database_url: str, tmp_path: Path) -> None:
    tenant = uuid.uuid4()
    assert result(doctor(database_url, tmp_path), "expired_leases").status is Status.PASS
    with connect(database_url) as conn:
        enqueue(conn, tenant, "slow.job")
        claim(conn, "w-gone", lease_seconds=1)
        conn.execute(
            "UPDATE jobforge.jobforge_jobs SET lease_expires_at = now() - interval '10 seconds'"
        )
    recent = result(doctor(database_url, tmp_path), "expired_leases")
    assert recent.status is Status.WARN
    assert recent.facts["jobs"] == 1
    with connect(database_url) as conn:
        conn.execute(
            "UPDATE jobforge.jobforge_jobs SET lease_expires_at = now() - interval '1 hour'"
        )
    stuck = result(doctor(database_url, tmp_path), "expired_leases")
    assert stuck.status is Status.FAIL
    assert stuck.facts["oldest_expired_seconds"] >= 3600


def test_dead_letters_fail_when_recent_and_warn_when_old(database_url: str, tmp_path: Path) -> None:
    tenant = uuid.uuid4()
    assert result(doctor(database_url, tmp_path), "dead_letters").status is Status.PASS
    with connect(database_url) as conn:
        job = enqueue(conn, tenant, "flaky.job", max_attempts=1)
        [claimed] = claim(conn, "w-1")
        assert fail(conn, "w-1", job, claimed["attempts"], retryable=False)
    recent = result(doctor(database_url, tmp_path), "dead_letters")
    assert recent.status is Status.FAIL
    assert recent.facts["by_type"] == {"flaky.job": 1}
    assert "jobforge requeue" in recent.action
    with connect(database_url) as conn:
        conn.execute("UPDATE jobforge.jobforge_jobs SET finished_at = now() - interval '2 days'")
    old = result(doctor(database_url, tmp_path), "dead_letters")
    assert old.status is Status.WARN


def test_queue_age_against_its_thresholds(database_url: str, tmp_path: Path) -> None:
    tenant = uuid.uuid4()
    assert result(doctor(database_url, tmp_path), "queue_age").status is Status.PASS
    with connect(database_url) as conn:
        enqueue(conn, tenant, "report.build")
        enqueue(conn, tenant, "report.later", run_at="2999-01-01T00:00:00Z")
    fresh = result(doctor(database_url, tmp_path), "queue_age")
    assert fresh.status is Status.PASS
    assert fresh.facts["runnable_jobs"] == 1  # the scheduled one is not runnable yet
    with connect(database_url) as conn:
        conn.execute(
            "UPDATE jobforge.jobforge_jobs SET run_at = now() - interval '5 minutes' "
            "WHERE type = 'report.build'"
        )
    assert result(doctor(database_url, tmp_path), "queue_age").status is Status.WARN
    late = result(doctor(database_url, tmp_path, queue_age_fail_seconds=120), "queue_age")
    assert late.status is Status.FAIL
    assert late.facts["by_type"]["report.build"]["oldest_seconds"] >= 300


def test_job_types_no_live_worker_serves(
    database_url: str, tmp_path: Path, make_role: Callable[[], TenantRole]
) -> None:
    served_tenant, other_tenant = uuid.uuid4(), uuid.uuid4()
    tenant_worker = make_role()
    with connect(database_url) as conn:
        conn.execute(
            "SELECT jobforge.jobforge_grant_tenant(%s, %s, 'worker')",
            (tenant_worker.name, served_tenant),
        )
        enqueue(conn, served_tenant, "mail.send")
        enqueue(conn, served_tenant, "report.later", run_at="2999-01-01T00:00:00Z")
    assert result(doctor(database_url, tmp_path), "unserved_job_types").status is Status.FAIL

    # A worker of the tenant's role serves mail.send; nobody serves report.later, due later.
    record_presence(tenant_worker.url, "tenant-w", ["mail.send"])
    later = result(doctor(database_url, tmp_path), "unserved_job_types")
    assert later.status is Status.WARN
    assert later.facts["unserved"] == {"report.later": {"jobs": 1, "due": 0, "tenants": 1}}

    # The same type for a tenant that role is not granted: no worker may claim it.
    with connect(database_url) as conn:
        enqueue(conn, other_tenant, "mail.send")
    other = result(doctor(database_url, tmp_path), "unserved_job_types")
    assert other.status is Status.FAIL
    assert other.facts["unserved"]["mail.send"] == {"jobs": 1, "due": 1, "tenants": 1}

    # A live worker of the owner claiming every type serves them all.
    record_presence(database_url, "owner-w", None)
    assert result(doctor(database_url, tmp_path), "unserved_job_types").status is Status.PASS
    age_presence(database_url, "owner-w", 120)
    assert result(doctor(database_url, tmp_path), "unserved_job_types").status is Status.FAIL
