"""Attacks on worker presence: a tenant's roles neither read the workers table nor forge,
take over or rewrite another role's worker rows. Each runs as the attacker's role over a
real connection, on a plain database and one migrated under Supabase's defaults."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import psycopg
import pytest
from psycopg import sql

from tests.integration.support import connect
from tests.security.conftest import ANON, AUTHENTICATED, PERMISSION_DENIED, World, attempt

RECORD = "SELECT jobforge.jobforge_record_worker_presence(%s, 'host', 1, '0.1.0', NULL, %s)"


def workers(world: World) -> list[dict[str, Any]]:
    with connect(world.owner_url) as owner:
        return [
            dict(row)
            for row in owner.execute("SELECT * FROM jobforge.jobforge_workers ORDER BY worker_id")
        ]


@pytest.fixture
def victim_worker(world: World) -> str:
    """A worker of the owner's role, recorded as live: what the attacks aim at."""
    with connect(world.owner_url) as owner:
        owner.execute(RECORD, ("victim-worker", False))
    return "victim-worker"


@pytest.mark.parametrize("kind", ["producer", "worker"])
@pytest.mark.parametrize(
    "statement",
    [
        "SELECT * FROM jobforge.jobforge_workers",
        "INSERT INTO jobforge.jobforge_workers (worker_id, role_name, hostname, pid, version, "
        "started_at, last_seen_at) VALUES ('forged', current_user, 'h', 1, 'v', now(), now())",
        "UPDATE jobforge.jobforge_workers SET last_seen_at = now()",
        "DELETE FROM jobforge.jobforge_workers",
        "TRUNCATE jobforge.jobforge_workers",
    ],
)
def test_tenant_roles_cannot_touch_the_table(
    world: World,
    attack: Callable[[str], psycopg.Connection[dict[str, Any]]],
    victim_worker: str,
    kind: str,
    statement: str,
) -> None:
    before = workers(world)
    outcome = attempt(attack(kind), statement)
    assert isinstance(outcome, psycopg.Error)
    assert outcome.sqlstate == PERMISSION_DENIED
    assert workers(world) == before


def test_a_producer_cannot_record_a_worker(
    world: World, attack: Callable[[str], psycopg.Connection[dict[str, Any]]]
) -> None:
    outcome = attempt(attack("producer"), RECORD, ("a-producer-pretending", False))
    assert isinstance(outcome, psycopg.Error)
    assert outcome.sqlstate == PERMISSION_DENIED
    assert workers(world) == []


@pytest.mark.parametrize("stopped", [False, True])
def test_a_worker_cannot_take_over_or_stop_another_roles_worker(
    world: World,
    attack: Callable[[str], psycopg.Connection[dict[str, Any]]],
    victim_worker: str,
    stopped: bool,
) -> None:
    before = workers(world)
    outcome = attempt(attack("worker"), RECORD, (victim_worker, stopped))
    assert isinstance(outcome, psycopg.Error)
    assert outcome.sqlstate == "JF003"
    assert world.worker.name not in str(before)
    assert workers(world) == before


def test_a_worker_records_only_itself_with_the_servers_time(
    world: World, attack: Callable[[str], psycopg.Connection[dict[str, Any]]]
) -> None:
    conn = attack("worker")
    [row] = attempt(conn, RECORD, ("own-worker", False))
    [recorded] = workers(world)
    assert recorded["role_name"] == world.worker.name
    assert recorded["last_seen_at"] == row["jobforge_record_worker_presence"]
    # Presence is the calling role's: a session setting cannot make it another role's.
    attempt(conn, "SELECT set_config('role', 'none', false)")
    attempt(conn, "SET application_name = 'postgres'")
    attempt(conn, RECORD, ("own-worker", True))
    [after] = workers(world)
    assert after["role_name"] == world.worker.name
    assert after["stopped_at"] is not None


def test_a_revoked_worker_can_no_longer_record(
    world: World, attack: Callable[[str], psycopg.Connection[dict[str, Any]]]
) -> None:
    with connect(world.owner_url) as owner:
        owner.execute(
            "SELECT jobforge.jobforge_revoke_tenant(%s, %s)", (world.worker.name, world.tenant_a)
        )
    outcome = attempt(attack("worker"), RECORD, ("after-revoke", False))
    assert isinstance(outcome, psycopg.Error)
    assert outcome.sqlstate == PERMISSION_DENIED
    assert workers(world) == []


@pytest.mark.parametrize("api_role", [ANON, AUTHENTICATED])
def test_api_roles_cannot_read_or_record_workers(
    world: World, victim_worker: str, make_role: Callable[[], Any], api_role: str
) -> None:
    """PostgREST's roles, reached through an authenticator as PostgREST does, get nothing."""
    authenticator = make_role()
    with connect(world.owner_url) as owner:
        owner.execute(sql.SQL("ALTER ROLE {} NOINHERIT").format(sql.Identifier(authenticator.name)))
        owner.execute(
            sql.SQL("GRANT {} TO {}").format(
                sql.Identifier(api_role), sql.Identifier(authenticator.name)
            )
        )
    before = workers(world)
    with connect(authenticator.url) as conn:
        conn.execute("SELECT set_config('role', %s, false)", (api_role,))
        for statement, params in (
            ("SELECT * FROM jobforge.jobforge_workers", None),
            (RECORD, (victim_worker, True)),
        ):
            outcome = attempt(conn, statement, params)
            assert isinstance(outcome, psycopg.Error)
            assert outcome.sqlstate == PERMISSION_DENIED
    assert workers(world) == before
