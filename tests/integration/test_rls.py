"""Row-level security probes: a role granted tenant T1 acting against tenant T2's jobs."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import psycopg
import pytest

from jobforge.client import JobForgeClient, JobSpec
from jobforge.errors import JobNotFound, TenantAccessDenied
from tests.conftest import TenantRole
from tests.integration.support import claim, complete, connect, enqueue, job, results

PERMISSION_DENIED = "42501"


@dataclass
class World:
    """Two tenants' jobs in every state, a role granted only T1, and the owner."""

    owner_url: str
    role: TenantRole
    t1: uuid.UUID
    t2: uuid.UUID
    jobs: dict[str, uuid.UUID]


@pytest.fixture
def world(database_url: str, make_role: Callable[[], TenantRole]) -> World:
    t1, t2 = uuid.uuid4(), uuid.uuid4()
    role = make_role()
    other_role = make_role()
    jobs: dict[str, uuid.UUID] = {}
    with connect(database_url) as owner, JobForgeClient(database_url) as client:
        client.grant_tenant(role.name, t1)
        client.grant_tenant(other_role.name, t2)
        for tenant_name, tenant in (("t1", t1), ("t2", t2)):
            jobs[f"{tenant_name}_done"] = enqueue(owner, tenant, "done.job")
        for row in owner.execute(
            "SELECT id, attempts FROM jobforge_claim_jobs('w', 10, 30, ARRAY['done.job'])"
        ).fetchall():
            assert complete(owner, "w", row["id"], 1, {"secret": "of its tenant"})
        for tenant_name, tenant in (("t1", t1), ("t2", t2)):
            jobs[f"{tenant_name}_running"] = enqueue(owner, tenant, "run.job")
        owner.execute("SELECT * FROM jobforge_claim_jobs('w', 10, 300, ARRAY['run.job'])")
        for tenant_name, tenant in (("t1", t1), ("t2", t2)):
            jobs[f"{tenant_name}_queued"] = enqueue(owner, tenant, "queued.job")
            client.create_trigger(
                tenant_id=tenant, name="route", event_type="evt", job_type="from.event"
            )
    return World(database_url, role, t1, t2, jobs)


@pytest.fixture
def as_role(world: World) -> Iterator[psycopg.Connection[dict[str, Any]]]:
    with connect(world.role.url) as conn:
        yield conn


@pytest.fixture
def role_client(world: World) -> Iterator[JobForgeClient]:
    with JobForgeClient(world.role.url) as client:
        yield client


def tenants_seen(conn: psycopg.Connection[Any], table: str) -> set[uuid.UUID]:
    return {row["tenant_id"] for row in conn.execute(f"SELECT tenant_id FROM {table}")}


def owner_view(world: World, name: str) -> dict[str, Any]:
    with connect(world.owner_url) as owner:
        return job(owner, world.jobs[name])


def owner_results(world: World, name: str) -> list[dict[str, Any]]:
    with connect(world.owner_url) as owner:
        return results(owner, world.jobs[name])


@pytest.mark.parametrize("table", ["jobforge_jobs", "jobforge_job_results", "jobforge_triggers"])
def test_tables_show_only_granted_tenants(
    world: World, as_role: psycopg.Connection[Any], table: str
) -> None:
    assert tenants_seen(as_role, table) == {world.t1}


def test_grants_table_shows_only_own_grants(world: World, as_role: psycopg.Connection[Any]) -> None:
    rows = as_role.execute("SELECT role_name, tenant_id FROM jobforge_tenant_grants").fetchall()
    assert rows == [{"role_name": world.role.name, "tenant_id": world.t1}]


def test_queue_stats_show_only_granted_tenants(
    world: World, as_role: psycopg.Connection[Any]
) -> None:
    assert tenants_seen(as_role, "jobforge_queue_stats()") == {world.t1}


def test_claim_never_returns_other_tenants_jobs(
    world: World, as_role: psycopg.Connection[Any]
) -> None:
    claimed = {row["id"] for row in claim(as_role, "role-worker", limit=100)}
    assert claimed == {world.jobs["t1_queued"]}
    assert owner_view(world, "t2_queued")["state"] == "queued"


def test_complete_fail_heartbeat_release_of_other_tenants_jobs_do_nothing(
    world: World, as_role: psycopg.Connection[Any]
) -> None:
    target = world.jobs["t2_running"]
    # Even with the lease owner's worker id and the right attempt number.
    assert not complete(as_role, "w", target, 1, {"forged": True})
    failure = json.dumps([{"job_id": str(target), "attempt": 1, "error": {"kind": "x"}}])
    assert as_role.execute("SELECT * FROM jobforge_fail_jobs('w', %s)", (failure,)).fetchall() == []
    beats = as_role.execute(
        "SELECT * FROM jobforge_heartbeat('w', %s::uuid[], 1)", ([target],)
    ).fetchall()
    assert beats == []
    released = json.dumps([{"job_id": str(target), "attempt": 1}])
    assert (
        as_role.execute("SELECT * FROM jobforge_release_jobs('w', %s)", (released,)).fetchall()
        == []
    )
    for statement in (
        "SELECT jobforge_complete_job('w', %s, 1, '{}')",
        "SELECT jobforge_fail_job('w', %s, 1, '{}', false)",
    ):
        with pytest.raises(psycopg.Error) as caught:
            as_role.execute(statement, (target,))
        assert caught.value.sqlstate == "JF002"
    row = owner_view(world, "t2_running")
    assert row["state"] == "running"
    assert row["lease_owner"] == "w"
    assert owner_results(world, "t2_running") == []


def test_cancel_requeue_get_of_other_tenants_jobs_are_not_found(
    world: World, role_client: JobForgeClient
) -> None:
    for name in ("t2_queued", "t2_running", "t2_done"):
        job_id = world.jobs[name]
        with pytest.raises(JobNotFound):
            role_client.get_job(job_id)
        with pytest.raises(JobNotFound):
            role_client.get_result(job_id)
        with pytest.raises(JobNotFound):
            role_client.cancel_job(job_id)
        with pytest.raises(JobNotFound):
            role_client.requeue_job(job_id)
        assert role_client.get_results(job_id) == []
    assert owner_view(world, "t2_queued")["state"] == "queued"
    assert owner_view(world, "t2_running")["state"] == "running"
    # Its own tenant's jobs it may read and cancel.
    assert role_client.get_result(world.jobs["t1_done"]) is not None
    assert role_client.cancel_job(world.jobs["t1_queued"]).state == "canceled"


def test_enqueue_for_another_tenant_is_denied(world: World, role_client: JobForgeClient) -> None:
    with pytest.raises(TenantAccessDenied, match=str(world.t2)):
        role_client.enqueue_job(tenant_id=world.t2, type="a.b", payload={})
    with pytest.raises(TenantAccessDenied):
        role_client.enqueue_jobs(
            [
                JobSpec(tenant_id=world.t1, type="a.b", payload=1),
                JobSpec(tenant_id=world.t2, type="a.b", payload=2),
            ]
        )
    with connect(world.owner_url) as owner:
        count = owner.execute("SELECT count(*) AS n FROM jobforge_jobs WHERE type = 'a.b'")
        assert count.fetchone() == {"n": 0}
    receipt = role_client.enqueue_job(tenant_id=world.t1, type="a.b", payload={})
    assert receipt.created


def test_idempotency_keys_of_another_tenant_are_not_reachable(
    world: World, role_client: JobForgeClient
) -> None:
    with connect(world.owner_url) as owner:
        t2_keyed = enqueue(owner, world.t2, "keyed.job", idempotency_key="k")
    mine = role_client.enqueue_job(
        tenant_id=world.t1, type="keyed.job", payload={}, idempotency_key="k"
    )
    assert mine.created
    assert mine.id != t2_keyed


def test_fire_event_for_another_tenant_is_denied(world: World, role_client: JobForgeClient) -> None:
    with pytest.raises(TenantAccessDenied, match=str(world.t2)):
        role_client.fire_event(tenant_id=world.t2, event_type="evt", payload={})
    fired = role_client.fire_event(tenant_id=world.t1, event_type="evt", payload={})
    assert len(fired) == 1
    with connect(world.owner_url) as owner:
        created = owner.execute(
            "SELECT tenant_id FROM jobforge_jobs WHERE type = 'from.event'"
        ).fetchall()
    assert created == [{"tenant_id": world.t1}]


def test_triggers_of_another_tenant_cannot_be_created(
    world: World, role_client: JobForgeClient
) -> None:
    with pytest.raises(TenantAccessDenied):
        role_client.create_trigger(
            tenant_id=world.t2, name="sneaky", event_type="evt", job_type="a.b"
        )


@pytest.mark.parametrize(
    "setting",
    [
        "SET jobforge.tenant = '{t2}'",
        "SET jobforge.tenant_id = '{t2}'",
        "SET app.tenant_id = '{t2}'",
        "SELECT set_config('request.jwt.claims', '{{\"tenant_id\": \"{t2}\"}}', false)",
        "SET jobforge.pruning = 'on'",
    ],
)
def test_session_variables_change_nothing(
    world: World, as_role: psycopg.Connection[Any], setting: str
) -> None:
    as_role.execute(setting.format(t2=world.t2))
    assert tenants_seen(as_role, "jobforge_jobs") == {world.t1}
    assert tenants_seen(as_role, "jobforge_job_results") == {world.t1}
    assert {row["id"] for row in claim(as_role, "role-worker")} == {world.jobs["t1_queued"]}
    with pytest.raises(psycopg.Error) as caught:
        as_role.execute("SELECT * FROM jobforge_enqueue_job(%s, 'a.b', '{}'::jsonb)", (world.t2,))
    assert caught.value.sqlstate == "JF003"


def test_turning_row_security_off_is_refused(world: World) -> None:
    with connect(world.role.url) as conn:
        conn.execute("SET row_security = off")
        with pytest.raises(psycopg.Error) as caught:
            conn.execute("SELECT * FROM jobforge_jobs")
        assert caught.value.sqlstate == PERMISSION_DENIED
    with JobForgeClient(world.role.url) as client:
        client._fetch("queue_stats", {})  # open the connection, then switch row security off
        assert client._conn is not None
        client._conn.execute("SET row_security = off")
        with pytest.raises(TenantAccessDenied):
            client.enqueue_job(tenant_id=world.t2, type="a.b", payload={})


def test_moving_a_job_to_another_tenant_is_refused(
    world: World, as_role: psycopg.Connection[Any]
) -> None:
    own = world.jobs["t1_queued"]
    with pytest.raises(psycopg.Error, match="row-level security") as caught:
        as_role.execute("UPDATE jobforge_jobs SET tenant_id = %s WHERE id = %s", (world.t2, own))
    assert caught.value.sqlstate == PERMISSION_DENIED
    updated = as_role.execute(
        "UPDATE jobforge_jobs SET state = 'canceled' WHERE id = %s", (world.jobs["t2_queued"],)
    )
    assert updated.rowcount == 0
    assert owner_view(world, "t2_queued")["state"] == "queued"


@pytest.mark.parametrize(
    "statement",
    [
        "INSERT INTO jobforge_jobs (id, tenant_id, type, payload, trace_id) "
        "VALUES (gen_random_uuid(), '{t2}', 'a.b', '{{}}', 't')",
        "INSERT INTO jobforge_triggers (tenant_id, name, event_type, job_type) "
        "VALUES ('{t2}', 'n', 'e', 'a.b')",
    ],
)
def test_direct_inserts_for_another_tenant_are_refused(
    world: World, as_role: psycopg.Connection[Any], statement: str
) -> None:
    with pytest.raises(psycopg.Error) as caught:
        as_role.execute(statement.format(t2=world.t2))
    assert caught.value.sqlstate == PERMISSION_DENIED


@pytest.mark.parametrize(
    "statement",
    [
        "SELECT jobforge_grant_tenant(current_user, '{t2}')",
        "SELECT jobforge_revoke_tenant(current_user, '{t1}')",
        "INSERT INTO jobforge_tenant_grants (role_name, tenant_id) VALUES (current_user, '{t2}')",
        "UPDATE jobforge_tenant_grants SET tenant_id = '{t2}'",
        "DELETE FROM jobforge_tenant_grants",
        "SELECT jobforge_prune_finished_jobs(interval '0 seconds')",
        "DELETE FROM jobforge_jobs",
    ],
)
def test_administration_is_owner_only(
    world: World, as_role: psycopg.Connection[Any], statement: str
) -> None:
    with pytest.raises(psycopg.Error) as caught:
        as_role.execute(statement.format(t1=world.t1, t2=world.t2))
    assert caught.value.sqlstate == PERMISSION_DENIED
    assert tenants_seen(as_role, "jobforge_jobs") == {world.t1}


def test_grant_through_the_client_needs_the_owner(
    world: World, role_client: JobForgeClient
) -> None:
    with pytest.raises(TenantAccessDenied):
        role_client.grant_tenant(world.role.name, world.t2)


def test_revoke_removes_visibility(world: World, as_role: psycopg.Connection[Any]) -> None:
    with JobForgeClient(world.owner_url) as owner:
        assert owner.revoke_tenant(world.role.name, world.t1)
        assert not owner.revoke_tenant(world.role.name, world.t1)
    for table in ("jobforge_jobs", "jobforge_job_results", "jobforge_triggers"):
        assert tenants_seen(as_role, table) == set()
    assert claim(as_role, "role-worker") == []
    assert as_role.execute("SELECT * FROM jobforge_tenant_grants").fetchall() == []
    with pytest.raises(psycopg.Error) as caught:
        as_role.execute("SELECT * FROM jobforge_enqueue_job(%s, 'a.b', '{}'::jsonb)", (world.t1,))
    assert caught.value.sqlstate == "JF003"


def test_grant_through_a_group_role(
    world: World, database_url: str, make_role: Callable[[], TenantRole]
) -> None:
    member = make_role()
    with connect(database_url) as owner:
        owner.execute(f'GRANT "{world.role.name}" TO "{member.name}"')
        owner.execute("SELECT jobforge_grant_tenant(%s, %s)", (member.name, uuid.uuid4()))
    with connect(member.url) as conn:
        assert world.t1 in tenants_seen(conn, "jobforge_jobs")
        assert world.t2 not in tenants_seen(conn, "jobforge_jobs")
