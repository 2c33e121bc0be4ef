"""A hostile tenant with a SQL prompt, against a database holding another tenant's work.

``world`` builds one database with two tenants. Tenant A is the attacker's: a producer
role and a worker role are granted it. Tenant B is the victim: its jobs stand in every
state (queued, running under a worker's lease, succeeded, dead), with results and an event
trigger. Every attack runs as one of A's roles over a real connection, then checks that
B's rows are exactly as they were and that nothing the attacker got back names them.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import psycopg
import pytest
from psycopg import sql

from jobforge.client import JobForgeClient
from jobforge.db.throwaway import DatabaseFactory
from tests.conftest import TenantRole
from tests.integration.support import complete, connect, enqueue, fail

PERMISSION_DENIED = "42501"
VICTIM_SECRET = "the victim's secret"


@dataclass
class World:
    owner_url: str
    tenant_a: uuid.UUID
    tenant_b: uuid.UUID
    producer: TenantRole
    worker: TenantRole
    victim_jobs: dict[str, uuid.UUID] = field(default_factory=dict)
    own_jobs: dict[str, uuid.UUID] = field(default_factory=dict)
    victim_trigger: uuid.UUID | None = None

    def role(self, kind: str) -> TenantRole:
        return self.producer if kind == "producer" else self.worker

    def victim_rows(self) -> dict[str, list[dict[str, Any]]]:
        """Every row of tenant B, as the owner sees it: what no attack may change."""
        tables = {
            "jobs": "SELECT * FROM jobforge.jobforge_jobs WHERE tenant_id = %s ORDER BY id",
            "results": "SELECT * FROM jobforge.jobforge_job_results WHERE tenant_id = %s "
            "ORDER BY job_id, attempt",
            "triggers": "SELECT * FROM jobforge.jobforge_triggers WHERE tenant_id = %s ORDER BY id",
            "grants": "SELECT * FROM jobforge.jobforge_tenant_grants WHERE tenant_id = %s "
            "ORDER BY role_name, kind",
        }
        with connect(self.owner_url) as owner:
            return {
                name: [dict(row) for row in owner.execute(statement, (self.tenant_b,))]
                for name, statement in tables.items()
            }

    def victim_markers(self) -> list[str]:
        """Strings whose appearance in anything the attacker receives is a leak."""
        markers = [str(self.tenant_b), VICTIM_SECRET]
        markers += [str(job_id) for job_id in self.victim_jobs.values()]
        if self.victim_trigger is not None:
            markers.append(str(self.victim_trigger))
        return markers

    def assert_nothing_leaked(self, received: Any, *, supplied: Any = None) -> None:
        """Fails if ``received`` names tenant B's work, beyond what the attacker
        ``supplied`` itself (an error may echo the id it was asked about)."""
        text = json.dumps(received, default=str)
        known = json.dumps(supplied, default=str)
        for marker in self.victim_markers():
            if marker not in known:
                assert marker not in text, f"the attacker received {marker!r}: {text[:500]}"


def build_world(database_url: str, make_role: Callable[[], TenantRole]) -> World:
    world = World(
        owner_url=database_url,
        tenant_a=uuid.uuid4(),
        tenant_b=uuid.uuid4(),
        producer=make_role(),
        worker=make_role(),
    )
    victim_producer, victim_worker = make_role(), make_role()
    with JobForgeClient(database_url) as client:
        client.grant_tenant(world.producer.name, world.tenant_a, kind="producer")
        client.grant_tenant(world.worker.name, world.tenant_a, kind="worker")
        client.grant_tenant(victim_producer.name, world.tenant_b, kind="producer")
        client.grant_tenant(victim_worker.name, world.tenant_b, kind="worker")
        world.victim_trigger = client.create_trigger(
            tenant_id=world.tenant_b, name="route", event_type="evt", job_type="from.event",
            payload_defaults={"secret": VICTIM_SECRET},
        )  # fmt: skip
        client.create_trigger(
            tenant_id=world.tenant_a, name="route", event_type="evt", job_type="from.event"
        )
    with connect(database_url) as owner:
        for tenant, jobs, worker_id, secret in (
            (world.tenant_b, world.victim_jobs, "victim-worker", {"secret": VICTIM_SECRET}),
            (world.tenant_a, world.own_jobs, "own-worker", {"mine": "the attacker's own"}),
        ):
            jobs["succeeded"] = enqueue(owner, tenant, "done.job", payload=secret)
            jobs["dead"] = enqueue(owner, tenant, "dead.job", payload=secret, max_attempts=1)
            for row in owner.execute(
                "SELECT id, attempts FROM jobforge.jobforge_claim_jobs(%s, 10, 300, %s)",
                (worker_id, ["done.job", "dead.job"]),
            ).fetchall():
                if row["id"] == jobs["succeeded"]:
                    assert complete(owner, worker_id, row["id"], 1, secret)
                else:
                    assert fail(owner, worker_id, row["id"], 1, error={"kind": "x", **secret})
            jobs["running"] = enqueue(owner, tenant, "run.job", payload=secret)
            owner.execute(
                "SELECT * FROM jobforge.jobforge_claim_jobs(%s, 10, 300, ARRAY['run.job'])",
                (worker_id,),
            )
            jobs["queued"] = enqueue(
                owner, tenant, "queued.job", payload=secret, idempotency_key="key"
            )
    return world


# Supabase's API roles, for databases migrated under its default privileges. Cluster-wide
# and kept (templates made under them refer to them), so named for these tests alone.
ANON, AUTHENTICATED = "jobforge_test_anon", "jobforge_test_authenticated"
SUPABASE_DEFAULT_PRIVILEGES = [
    "ALTER DEFAULT PRIVILEGES GRANT ALL ON TABLES TO {anon}, {authenticated}",
    "ALTER DEFAULT PRIVILEGES GRANT ALL ON FUNCTIONS TO {anon}, {authenticated}",
    "ALTER DEFAULT PRIVILEGES GRANT ALL ON SEQUENCES TO {anon}, {authenticated}",
    "ALTER DEFAULT PRIVILEGES GRANT ALL ON SCHEMAS TO {anon}, {authenticated}",
    "ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT ALL ON TABLES TO {anon}, {authenticated}",
    "ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT ALL ON FUNCTIONS TO {anon}, {authenticated}",
    "GRANT USAGE, CREATE ON SCHEMA public TO {anon}, {authenticated}",
]


@pytest.fixture(scope="session")
def supabase_factory(server_url: str) -> DatabaseFactory:
    """Migrated databases whose template was migrated under Supabase's default privileges."""
    with psycopg.connect(server_url, autocommit=True) as conn:
        for role in (ANON, AUTHENTICATED):
            conn.execute(
                sql.SQL(
                    "DO $$ BEGIN CREATE ROLE {} NOLOGIN; "
                    "EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$"
                ).format(sql.Identifier(role))
            )
    prepare = [
        s.format(anon=ANON, authenticated=AUTHENTICATED) for s in SUPABASE_DEFAULT_PRIVILEGES
    ]
    return DatabaseFactory(server_url, flavour="supabase", prepare=prepare)


@pytest.fixture(params=["plain", "supabase-defaults"])
def database_url(
    request: pytest.FixtureRequest, database_factory: DatabaseFactory
) -> Iterator[str]:
    """Every attack runs on a database migrated as usual and on one migrated under
    Supabase's default privileges (which grant every new object to its API roles)."""
    factory = database_factory
    if request.param == "supabase-defaults":
        factory = request.getfixturevalue("supabase_factory")
    with factory.database() as url:
        yield url


@pytest.fixture
def world(database_url: str, make_role: Callable[[], TenantRole]) -> World:
    return build_world(database_url, make_role)


@pytest.fixture
def attack(world: World) -> Iterator[Callable[[str], psycopg.Connection[dict[str, Any]]]]:
    """Opens connections as the attacker's producer or worker role; afterwards checks that
    tenant B's rows did not change."""
    before = world.victim_rows()
    opened: list[psycopg.Connection[dict[str, Any]]] = []

    def open_as(kind: str) -> psycopg.Connection[dict[str, Any]]:
        conn = connect(world.role(kind).url)
        opened.append(conn)
        return conn

    yield open_as
    for conn in opened:
        conn.close()
    assert world.victim_rows() == before, "tenant B's rows changed"


def attempt(conn: psycopg.Connection[Any], statement: str, params: Any = None) -> Any:
    """Run ``statement``; its rows, or the psycopg error it raised (the transaction is
    autocommit, so a failed statement leaves nothing behind)."""
    try:
        cursor = conn.execute(statement, params)
        return cursor.fetchall() if cursor.description else []
    except psycopg.Error as exc:
        return exc
