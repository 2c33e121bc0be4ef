"""Every table and every RPC, tried by tenant A's roles against tenant B's ids.

Each attack is refused or finds nothing; B's rows stay as they were (checked by the
``attack`` fixture) and nothing returned names B.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any

import psycopg
import pytest

from jobforge.client import JobForgeClient, JobSpec
from jobforge.errors import JobNotFound, TenantAccessDenied
from tests.integration.support import connect
from tests.security.conftest import PERMISSION_DENIED, World, attempt

Attack = Callable[[str], psycopg.Connection[dict[str, Any]]]


def victim(world: World, state: str = "running") -> str:
    return str(world.victim_jobs[state])


# (kind of grant the attacker holds, SQL, parameters built from the world, what must happen:
# an SQLSTATE, or "empty" for no rows)
RPC_ATTACKS: list[tuple[str, str, Callable[[World], Any], str]] = [
    # Producers act only for their tenants.
    ("producer", "SELECT * FROM jobforge.jobforge_enqueue_job(%s, 'a.b', '{}')",
     lambda w: (w.tenant_b,), "JF003"),
    ("producer", "SELECT * FROM jobforge.jobforge_enqueue_jobs(%s)",
     lambda w: (json.dumps([{"tenant_id": str(w.tenant_a), "type": "a.b", "payload": {}},
                            {"tenant_id": str(w.tenant_b), "type": "a.b", "payload": {}}]),),
     "JF003"),
    # Same type and key as B's queued job: it must not come back as "already enqueued".
    ("producer", "SELECT * FROM jobforge.jobforge_enqueue_job(%s, 'queued.job', %s, 'key')",
     lambda w: (w.tenant_b, json.dumps({"secret": "x"})), "JF003"),
    ("producer", "SELECT * FROM jobforge.jobforge_fire_event(%s, 'evt', '{}')",
     lambda w: (w.tenant_b,), "JF003"),
    ("producer", "SELECT * FROM jobforge.jobforge_cancel_job(%s)",
     lambda w: (victim(w, "queued"),), "JF004"),
    ("producer", "SELECT * FROM jobforge.jobforge_cancel_job(%s)",
     lambda w: (victim(w, "running"),), "JF004"),
    ("producer", "SELECT * FROM jobforge.jobforge_requeue_job(%s, 5)",
     lambda w: (victim(w, "dead"),), "JF004"),
    # Workers act only on their tenants' jobs, even with the lease owner's id and attempt.
    ("worker", "SELECT * FROM jobforge.jobforge_claim_jobs('victim-worker', 100, 30)",
     lambda w: None, "own-only"),
    ("worker", "SELECT * FROM jobforge.jobforge_heartbeat('victim-worker', %s::uuid[], '{1}', 600)",
     lambda w: ([victim(w)],), "empty"),
    ("worker", "SELECT * FROM jobforge.jobforge_complete_jobs('victim-worker', %s)",
     lambda w: (json.dumps([{"job_id": victim(w), "attempt": 1, "output": {"forged": 1}}]),),
     "empty"),
    ("worker", "SELECT * FROM jobforge.jobforge_fail_jobs('victim-worker', %s)",
     lambda w: (json.dumps([{"job_id": victim(w), "attempt": 1, "error": {"kind": "x"},
                             "retryable": False}]),), "empty"),
    ("worker", "SELECT * FROM jobforge.jobforge_release_jobs('victim-worker', %s)",
     lambda w: (json.dumps([{"job_id": victim(w), "attempt": 1}]),), "empty"),
    ("worker", "SELECT jobforge.jobforge_complete_job('victim-worker', %s, 1, '{}')",
     lambda w: (victim(w),), "JF002"),
    ("worker", "SELECT jobforge.jobforge_fail_job('victim-worker', %s, 1, '{}', false)",
     lambda w: (victim(w),), "JF002"),
    # Each kind lacks the other kind's RPCs altogether.
    ("producer", "SELECT * FROM jobforge.jobforge_claim_jobs('w', 100, 30)",
     lambda w: None, PERMISSION_DENIED),
    ("producer", "SELECT * FROM jobforge.jobforge_complete_jobs('w', '[]')",
     lambda w: None, PERMISSION_DENIED),
    ("worker", "SELECT * FROM jobforge.jobforge_enqueue_job(%s, 'a.b', '{}')",
     lambda w: (w.tenant_a,), PERMISSION_DENIED),
    ("worker", "SELECT * FROM jobforge.jobforge_cancel_job(%s)",
     lambda w: (victim(w, "queued"),), PERMISSION_DENIED),
    ("worker", "SELECT * FROM jobforge.jobforge_fire_event(%s, 'evt', '{}')",
     lambda w: (w.tenant_a,), PERMISSION_DENIED),
]  # fmt: skip

OWNER_ONLY_CALLS = [
    "SELECT jobforge.jobforge_grant_tenant(current_user, '{b}', 'producer')",
    "SELECT jobforge.jobforge_grant_tenant(current_user, '{b}', 'worker')",
    "SELECT jobforge.jobforge_revoke_tenant('victim', '{b}')",
    "SELECT jobforge.jobforge_prune_finished_jobs(interval '0 seconds')",
    "SELECT jobforge.jobforge_reset_privileges()",
    "SELECT jobforge.jobforge_sync_role_privileges(current_user)",
    "SELECT jobforge.jobforge_rescue_expired_leases()",
    "SELECT * FROM jobforge.jobforge_job_as_it_stands('{job}', NULL)",
    "SELECT jobforge.jobforge_caller_tenants('worker')",
    "SELECT jobforge.jobforge_require_tenants('worker', NULL, ARRAY['{b}'::uuid])",
]

KINDS = ["producer", "worker"]


@pytest.mark.parametrize(
    ("kind", "statement", "params", "expected"),
    RPC_ATTACKS,
    ids=[
        f"{kind}:{statement.split('(')[0].split('.')[-1]}" for kind, statement, _, _ in RPC_ATTACKS
    ],
)
def test_rpcs_refuse_another_tenants_ids(
    world: World, attack: Attack, kind: str, statement: str, params: Any, expected: str
) -> None:
    supplied = params(world)
    outcome = attempt(attack(kind), statement, supplied)
    if expected == "empty":
        assert outcome == []
    elif expected == "own-only":
        assert not isinstance(outcome, Exception), outcome
        assert {row["tenant_id"] for row in outcome} == {world.tenant_a}
    else:
        assert isinstance(outcome, psycopg.Error), outcome
        assert outcome.sqlstate == expected, outcome
        received = [str(outcome), outcome.diag.message_detail, outcome.diag.message_hint]
        world.assert_nothing_leaked(received, supplied=supplied)
    if not isinstance(outcome, Exception):
        world.assert_nothing_leaked(outcome)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("statement", OWNER_ONLY_CALLS)
def test_owner_only_functions_are_not_callable(
    world: World, attack: Attack, kind: str, statement: str
) -> None:
    outcome = attempt(
        attack(kind), statement.format(b=world.tenant_b, job=world.victim_jobs["queued"])
    )
    assert isinstance(outcome, psycopg.Error), outcome
    assert outcome.sqlstate == PERMISSION_DENIED


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    "table",
    ["jobforge_jobs", "jobforge_job_results", "jobforge_triggers", "jobforge_tenant_grants"],
)
def test_tables_show_only_the_roles_own_tenant(
    world: World, attack: Attack, kind: str, table: str
) -> None:
    rows = attack(kind).execute(f"SELECT * FROM jobforge.{table}").fetchall()
    assert rows, "the attacker should see its own tenant's rows"
    assert {row["tenant_id"] for row in rows} == {world.tenant_a}
    world.assert_nothing_leaked(rows)


@pytest.mark.parametrize("kind", KINDS)
def test_queue_stats_and_visible_tenants_show_only_the_roles_own_tenant(
    world: World, attack: Attack, kind: str
) -> None:
    conn = attack(kind)
    stats = conn.execute("SELECT * FROM jobforge.jobforge_queue_stats()").fetchall()
    assert {row["tenant_id"] for row in stats} == {world.tenant_a}
    [row] = conn.execute("SELECT jobforge.jobforge_visible_tenants() AS t").fetchall()
    assert row["t"] == [world.tenant_a]


# Direct writes: nobody but the owner writes jobs, results or grants; producers write only
# their own tenants' triggers.
DIRECT_WRITES = [
    "UPDATE jobforge.jobforge_jobs SET state = 'canceled' WHERE id = '{victim}'",
    "UPDATE jobforge.jobforge_jobs SET tenant_id = '{a}' WHERE id = '{victim}'",
    "DELETE FROM jobforge.jobforge_jobs WHERE id = '{victim}'",
    "INSERT INTO jobforge.jobforge_jobs (id, tenant_id, type, payload, trace_id) "
    "VALUES (gen_random_uuid(), '{b}', 'a.b', '{{}}', 't')",
    "INSERT INTO jobforge.jobforge_job_results (job_id, attempt, tenant_id, type, outcome, "
    "trace_id) VALUES ('{victim}', 2, '{b}', 'run.job', 'succeeded', 't')",
    "DELETE FROM jobforge.jobforge_job_results WHERE job_id = '{victim}'",
    "INSERT INTO jobforge.jobforge_tenant_grants (role_name, tenant_id, kind) "
    "VALUES (current_user, '{b}', 'producer')",
    "UPDATE jobforge.jobforge_tenant_grants SET tenant_id = '{b}'",
    "DELETE FROM jobforge.jobforge_tenant_grants",
    "TRUNCATE jobforge.jobforge_jobs",
    "TRUNCATE jobforge.jobforge_triggers",
]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("statement", DIRECT_WRITES)
def test_direct_writes_are_refused(world: World, attack: Attack, kind: str, statement: str) -> None:
    outcome = attempt(
        attack(kind),
        statement.format(a=world.tenant_a, b=world.tenant_b, victim=world.victim_jobs["running"]),
    )
    assert isinstance(outcome, psycopg.Error), outcome
    assert outcome.sqlstate == PERMISSION_DENIED


@pytest.mark.parametrize(
    "statement",
    [
        "INSERT INTO jobforge.jobforge_triggers (tenant_id, name, event_type, job_type) "
        "VALUES ('{b}', 'sneaky', 'evt', 'a.b')",
        "UPDATE jobforge.jobforge_triggers SET tenant_id = '{b}' WHERE tenant_id = '{a}'",
    ],
)
def test_producers_cannot_write_another_tenants_triggers(
    world: World, attack: Attack, statement: str
) -> None:
    outcome = attempt(attack("producer"), statement.format(a=world.tenant_a, b=world.tenant_b))
    assert isinstance(outcome, psycopg.Error), outcome
    assert outcome.sqlstate == PERMISSION_DENIED
    assert "row-level security" in str(outcome)


def test_producers_cannot_touch_another_tenants_triggers_by_id(
    world: World, attack: Attack
) -> None:
    conn = attack("producer")
    for statement in (
        "UPDATE jobforge.jobforge_triggers SET enabled = false WHERE id = %s",
        "DELETE FROM jobforge.jobforge_triggers WHERE id = %s",
    ):
        assert conn.execute(statement, (world.victim_trigger,)).rowcount == 0


def test_producers_keep_their_own_triggers(world: World) -> None:
    with JobForgeClient(world.producer.url) as client:
        client.create_trigger(
            tenant_id=world.tenant_a, name="route", event_type="evt", job_type="a.b"
        )
        fired = client.fire_event(tenant_id=world.tenant_a, event_type="evt", payload={})
    assert [job.job_type for job in fired] == ["a.b"]


def test_workers_cannot_write_triggers(world: World, attack: Attack) -> None:
    outcome = attempt(
        attack("worker"),
        "INSERT INTO jobforge.jobforge_triggers (tenant_id, name, event_type, job_type) "
        "VALUES (%s, 'mine', 'evt', 'a.b')",
        (world.tenant_a,),
    )
    assert isinstance(outcome, psycopg.Error)
    assert outcome.sqlstate == PERMISSION_DENIED


def test_the_python_client_as_a_producer(world: World) -> None:
    """The same refusals reach Python callers as JobForge errors."""
    with JobForgeClient(world.producer.url) as client:
        for state in ("queued", "running", "succeeded"):
            job_id = world.victim_jobs[state]
            with pytest.raises(JobNotFound):
                client.get_job(job_id)
            with pytest.raises(JobNotFound):
                client.get_result(job_id)
            with pytest.raises(JobNotFound):
                client.cancel_job(job_id)
            with pytest.raises(JobNotFound):
                client.requeue_job(job_id)
            assert client.get_results(job_id) == []
        with pytest.raises(TenantAccessDenied, match=str(world.tenant_b)):
            client.enqueue_job(tenant_id=world.tenant_b, type="a.b", payload={})
        with pytest.raises(TenantAccessDenied):
            client.enqueue_jobs(
                [
                    JobSpec(tenant_id=world.tenant_a, type="a.b", payload=1),
                    JobSpec(tenant_id=world.tenant_b, type="a.b", payload=2),
                ]
            )
        with pytest.raises(TenantAccessDenied):
            client.fire_event(tenant_id=world.tenant_b, event_type="evt", payload={})
        with pytest.raises(TenantAccessDenied):
            client.create_trigger(
                tenant_id=world.tenant_b, name="sneaky", event_type="evt", job_type="a.b"
            )
        with pytest.raises(TenantAccessDenied):
            client.grant_tenant(world.producer.name, world.tenant_b, kind="producer")
        # Its own tenant's work it may read, enqueue and cancel.
        assert client.get_result(world.own_jobs["succeeded"]) is not None
        assert client.cancel_job(world.own_jobs["queued"]).state == "canceled"
        assert client.enqueue_job(tenant_id=world.tenant_a, type="a.b", payload={}).created
    with connect(world.owner_url) as owner:
        count = owner.execute(
            "SELECT count(*) AS n FROM jobforge.jobforge_jobs WHERE type = 'a.b'"
        ).fetchone()
    assert count == {"n": 1}


def test_idempotency_keys_are_per_tenant(world: World) -> None:
    with JobForgeClient(world.producer.url) as client:
        mine = client.enqueue_job(
            tenant_id=world.tenant_a, type="queued.job", payload={"other": 1},
            idempotency_key="key-b",
        )  # fmt: skip
        again = client.enqueue_job(
            tenant_id=world.tenant_a, type="queued.job", payload={"other": 1},
            idempotency_key="key-b",
        )  # fmt: skip
    assert mine.created
    assert again.id == mine.id
    assert not again.created


def test_revoking_a_grant_takes_the_rights_away(world: World) -> None:
    with JobForgeClient(world.owner_url) as owner:
        assert owner.revoke_tenant(world.producer.name, world.tenant_a)
        assert not owner.revoke_tenant(world.producer.name, world.tenant_a)
    with connect(world.producer.url) as conn:
        outcome = attempt(conn, "SELECT * FROM jobforge.jobforge_jobs")
        assert isinstance(outcome, psycopg.Error)
        assert outcome.sqlstate == PERMISSION_DENIED
        outcome = attempt(
            conn, "SELECT * FROM jobforge.jobforge_enqueue_job(%s, 'a.b', '{}')", (world.tenant_a,)
        )
        assert isinstance(outcome, psycopg.Error)
        assert outcome.sqlstate == PERMISSION_DENIED


def test_a_role_holding_both_kinds_keeps_the_other_when_one_is_revoked(
    world: World, make_role: Callable[[], Any]
) -> None:
    both = make_role()
    with JobForgeClient(world.owner_url) as owner:
        owner.grant_tenant(both.name, world.tenant_a, kind="producer")
        owner.grant_tenant(both.name, world.tenant_a, kind="worker")
        assert owner.revoke_tenant(both.name, world.tenant_a, kind="producer")
    with connect(both.url) as conn:
        claimed = conn.execute(
            "SELECT tenant_id FROM jobforge.jobforge_claim_jobs('both', 10, 30)"
        ).fetchall()
        assert {row["tenant_id"] for row in claimed} == {world.tenant_a}
        outcome = attempt(
            conn, "SELECT * FROM jobforge.jobforge_enqueue_job(%s, 'a.b', '{}')", (world.tenant_a,)
        )
        assert isinstance(outcome, psycopg.Error)
        assert outcome.sqlstate == PERMISSION_DENIED


def test_grants_reach_the_members_of_a_group_role(
    world: World, make_role: Callable[[], Any]
) -> None:
    member = make_role()
    with connect(world.owner_url) as owner:
        owner.execute(f'GRANT "{world.producer.name}" TO "{member.name}"')
    with JobForgeClient(member.url) as client:
        receipt = client.enqueue_job(tenant_id=world.tenant_a, type="a.b", payload={})
        assert client.get_job(receipt.id).tenant_id == world.tenant_a
        with pytest.raises(TenantAccessDenied):
            client.enqueue_job(tenant_id=world.tenant_b, type="a.b", payload={})


def test_an_ungranted_role_reaches_nothing(world: World, make_role: Callable[[], Any]) -> None:
    stranger = make_role()
    with connect(stranger.url) as conn:
        for statement in (
            "SELECT * FROM jobforge.jobforge_jobs",
            "SELECT * FROM jobforge.jobforge_queue_stats()",
            "SELECT * FROM jobforge.jobforge_claim_jobs('w', 10, 30)",
        ):
            outcome = attempt(conn, statement)
            assert isinstance(outcome, psycopg.Error), statement
            assert outcome.sqlstate == PERMISSION_DENIED


def test_a_grant_for_a_role_that_does_not_exist_is_refused(world: World) -> None:
    with JobForgeClient(world.owner_url) as owner, pytest.raises(Exception, match="does not exist"):
        owner.grant_tenant(f"nobody_{uuid.uuid4().hex[:8]}", world.tenant_a, kind="producer")
