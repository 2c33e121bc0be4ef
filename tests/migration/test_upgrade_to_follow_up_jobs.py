"""Upgrading a database that runs version 3 to version 4 (follow-up jobs), with work in it:
nothing is lost, the new columns are empty, and a worker role granted before the upgrade
completes an attempt it claimed before the upgrade with follow-ups after it."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable

import psycopg

from jobforge.client import JobForgeClient
from jobforge.db.migrations import load_migrations, migrate
from tests.conftest import TenantRole
from tests.integration.support import connect

VERSION_3 = load_migrations()[:3]


def test_work_and_grants_survive_and_workers_gain_follow_ups(
    make_role: Callable[[], TenantRole], empty_database_url: str
) -> None:
    url = empty_database_url
    migrate(url, VERSION_3)
    # make_role's roles are cluster-wide; this test's database is not make_role's.
    role = make_role()
    params = psycopg.conninfo.conninfo_to_dict(url)
    params["user"] = role.name
    worker = TenantRole(
        role.name, psycopg.conninfo.make_conninfo(**{k: str(v) for k, v in params.items()})
    )
    tenant = uuid.uuid4()
    with JobForgeClient(url) as owner:
        owner.grant_tenant(worker.name, tenant, kind="worker")
        done = owner.enqueue_job(tenant_id=tenant, type="a.done", payload={"n": 1})
        running = owner.enqueue_job(
            tenant_id=tenant, type="a.running", payload={"n": 2}, trace_id="kept"
        )
        queued = owner.enqueue_job(tenant_id=tenant, type="a.queued", payload={"n": 3})
    with connect(worker.url) as conn:
        conn.execute("SELECT * FROM jobforge.jobforge_claim_jobs('w', 1, 300, ARRAY['a.done'])")
        conn.execute("SELECT jobforge.jobforge_complete_job('w', %s, 1, '{\"ok\": 1}')", (done.id,))
        conn.execute("SELECT * FROM jobforge.jobforge_claim_jobs('w', 1, 300, ARRAY['a.running'])")
    with connect(url) as v3:
        before = v3.execute(
            "SELECT id, state::text AS state, attempts FROM jobforge.jobforge_jobs ORDER BY id"
        ).fetchall()

    report = migrate(url)
    assert [m.filename for m in report.applied] == [m.filename for m in load_migrations()[3:]]
    assert report.applied[0].filename == "0004_follow_up_jobs.sql"
    assert migrate(url).applied == ()  # and again: nothing to do

    with connect(url) as v4:
        after = v4.execute(
            "SELECT id, state::text AS state, attempts, parent_job_id "
            "FROM jobforge.jobforge_jobs ORDER BY id"
        ).fetchall()
        assert [{k: r[k] for k in ("id", "state", "attempts")} for r in after] == before
        assert {r["parent_job_id"] for r in after} == {None}
        [result] = v4.execute("SELECT follow_ups FROM jobforge.jobforge_job_results").fetchall()
        assert result == {"follow_ups": None}

    document = [
        {
            "job_id": str(running.id),
            "attempt": 1,
            "output": None,
            "follow_ups": [{"type": "a.next", "payload": {"after": 2}, "idempotency_key": "k"}],
        }
    ]
    with connect(worker.url) as conn:
        rows = conn.execute(
            "SELECT * FROM jobforge.jobforge_complete_jobs_with_follow_ups('w', %s) AS c(id)",
            (json.dumps(document),),
        ).fetchall()
    assert [row["id"] for row in rows] == [running.id]
    with JobForgeClient(url) as owner:
        [child] = owner.get_follow_ups(running.id)
        assert (child.type, child.payload, child.trace_id) == ("a.next", {"after": 2}, "kept")
        assert owner.get_job(queued.id).state == "queued"
        assert owner.get_job(done.id).parent_job_id is None
