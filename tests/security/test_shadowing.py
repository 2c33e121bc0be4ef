"""Objects a tenant creates to stand in for the ones JobForge's SQL uses.

Version 1 resolved table and catalogue names through the caller's search_path, where
pg_temp comes first: a temporary ``jobforge_tenant_grants`` holding (current_user, B) made
``SELECT * FROM jobforge_jobs`` return tenant B's payloads, and claim, complete, cancel,
fire_event and enqueue act on B. Every JobForge function now pins its search_path and names
JobForge objects by schema; these tests create every kind of object a tenant can (temporary
tables and views, and functions and operators in ``public``, which PostgreSQL 14 lets every
role create in) under every name the SQL uses, with the search_path set to find them first.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import psycopg
import pytest

from tests.integration.support import connect
from tests.security.conftest import World, attempt

# What these attacks meet is function bodies, the same under any default privileges (the
# catalogue tests prove the privileges equal), so they run on the plain database only.
pytestmark = pytest.mark.parametrize("database_url", ["plain"], indirect=True)


Attack = Callable[[str], psycopg.Connection[dict[str, Any]]]

SEARCH_PATHS = [
    "pg_temp, jobforge, public, pg_catalog",
    "public, pg_temp, jobforge, pg_catalog",
]

# Run as the attacker; {a} and {b} are the tenants, {me} the attacker's role.
SHADOWS: dict[str, list[str]] = {
    "temp-grants-table": [
        "CREATE TEMP TABLE jobforge_tenant_grants "
        "(role_name name, tenant_id uuid, kind text, granted_at timestamptz)",
        "INSERT INTO jobforge_tenant_grants VALUES "
        "('{me}', '{b}', 'producer', now()), ('{me}', '{b}', 'worker', now())",
    ],
    "temp-jobs-table": [
        "CREATE TEMP TABLE jobforge_jobs AS SELECT * FROM jobforge.jobforge_jobs LIMIT 0",
        "CREATE TEMP TABLE jobforge_job_results AS "
        "SELECT * FROM jobforge.jobforge_job_results LIMIT 0",
        "CREATE TEMP TABLE jobforge_triggers AS SELECT * FROM jobforge.jobforge_triggers LIMIT 0",
    ],
    "temp-catalogue-views": [
        # Every role is "a role I am a member of", and I am a superuser.
        "CREATE TEMP VIEW pg_roles AS SELECT rolname, oid, true AS rolsuper "
        "FROM pg_catalog.pg_authid",
        "CREATE TEMP VIEW pg_class AS SELECT oid, relname, 10::oid AS relowner "
        "FROM pg_catalog.pg_class",
    ],
    "public-functions": [
        "CREATE FUNCTION public.pg_has_role(oid, oid, text) RETURNS boolean "
        "LANGUAGE sql AS 'SELECT true'",
        "CREATE FUNCTION public.pg_has_role(name, oid, text) RETURNS boolean "
        "LANGUAGE sql AS 'SELECT true'",
        "CREATE FUNCTION public.current_setting(text) RETURNS text "
        "LANGUAGE sql AS 'SELECT ''postgres''::text'",
        "CREATE FUNCTION public.jobforge_visible_tenants(text DEFAULT NULL) RETURNS uuid[] "
        "LANGUAGE sql AS 'SELECT ARRAY[''{a}''::uuid, ''{b}''::uuid]'",
        "CREATE FUNCTION public.jobforge_caller_tenants(text) RETURNS uuid[] "
        "LANGUAGE sql AS 'SELECT NULL::uuid[]'",
        "CREATE FUNCTION public.jobforge_calling_role() RETURNS name "
        "LANGUAGE sql AS 'SELECT ''postgres''::name'",
    ],
    "public-operators": [
        # uuid = uuid and uuid = ANY (uuid[]) answering "yes" to everything.
        "CREATE FUNCTION public.always(uuid, uuid) RETURNS boolean LANGUAGE sql AS 'SELECT true'",
        "CREATE OPERATOR public.= (LEFTARG = uuid, RIGHTARG = uuid, FUNCTION = public.always)",
        "CREATE FUNCTION public.always_text(text, text) RETURNS boolean "
        "LANGUAGE sql AS 'SELECT true'",
        "CREATE OPERATOR public.= (LEFTARG = text, RIGHTARG = text, FUNCTION = public.always_text)",
        "CREATE FUNCTION public.always_name(name, name) RETURNS boolean "
        "LANGUAGE sql AS 'SELECT true'",
        "CREATE OPERATOR public.= (LEFTARG = name, RIGHTARG = name, FUNCTION = public.always_name)",
    ],
}


@pytest.fixture
def public_schema_open_to_everyone(world: World) -> None:
    """PostgreSQL 14's default: every role may create objects in ``public``."""
    with connect(world.owner_url) as owner:
        owner.execute("GRANT CREATE ON SCHEMA public TO PUBLIC")


def shadow(
    conn: psycopg.Connection[Any], world: World, name: str, search_path: str, *, first: bool
) -> None:
    """Create the shadows named ``name`` (objects in ``public`` once, by the first
    connection; temporary ones in every session), then put them first on the path."""
    me = conn.execute("SELECT current_user AS me").fetchone()
    assert me is not None
    if first or not name.startswith("public-"):
        for statement in SHADOWS[name]:
            conn.execute(statement.format(a=world.tenant_a, b=world.tenant_b, me=me["me"]))
    conn.execute(f"SET search_path = {search_path}")


def probes(world: World) -> list[tuple[str, str, Any]]:
    """(kind, statement, params) an attacker runs once its shadows are in place, both
    unqualified (finding its own objects first) and by schema."""
    victim_running = str(world.victim_jobs["running"])
    victim_queued = str(world.victim_jobs["queued"])
    return [
        ("producer", "SELECT tenant_id, payload FROM jobforge.jobforge_jobs", None),
        ("producer", "SELECT tenant_id, output FROM jobforge.jobforge_job_results", None),
        ("producer", "SELECT tenant_id, payload_defaults FROM jobforge.jobforge_triggers", None),
        ("producer", "SELECT * FROM jobforge.jobforge_queue_stats()", None),
        ("producer", "SELECT * FROM jobforge.jobforge_enqueue_job(%s, 'a.b', '{}')",
         (world.tenant_b,)),
        ("producer", "SELECT * FROM jobforge.jobforge_fire_event(%s, 'evt', '{}')",
         (world.tenant_b,)),
        ("producer", "SELECT * FROM jobforge.jobforge_cancel_job(%s)", (victim_queued,)),
        ("producer", "SELECT * FROM jobforge.jobforge_requeue_job(%s)",
         (str(world.victim_jobs["dead"]),)),
        ("worker", "SELECT * FROM jobforge.jobforge_claim_jobs('x', 100, 30)", None),
        ("worker", "SELECT * FROM jobforge.jobforge_heartbeat('victim-worker', %s::uuid[], "
         "'{1}', 600)", ([victim_running],)),
        ("worker", "SELECT * FROM jobforge.jobforge_complete_jobs('victim-worker', %s)",
         (json.dumps([{"job_id": victim_running, "attempt": 1, "output": 1}]),)),
        ("worker", "SELECT * FROM jobforge.jobforge_fail_jobs('victim-worker', %s)",
         (json.dumps([{"job_id": victim_running, "attempt": 1, "error": {}}]),)),
        ("worker", "SELECT * FROM jobforge.jobforge_release_jobs('victim-worker', %s)",
         (json.dumps([{"job_id": victim_running, "attempt": 1}]),)),
    ]  # fmt: skip


@pytest.mark.usefixtures("public_schema_open_to_everyone")
@pytest.mark.parametrize("search_path", SEARCH_PATHS)
@pytest.mark.parametrize("name", sorted(SHADOWS))
def test_shadowing_objects_change_nothing(
    world: World, attack: Attack, name: str, search_path: str
) -> None:
    connections = {kind: attack(kind) for kind in ("producer", "worker")}
    for index, conn in enumerate(connections.values()):
        shadow(conn, world, name, search_path, first=index == 0)
    for kind, statement, params in probes(world):
        outcome = attempt(connections[kind], statement, params)
        if isinstance(outcome, psycopg.Error):
            assert outcome.sqlstate in {"JF003", "JF004"}, (statement, outcome)
            continue
        world.assert_nothing_leaked(outcome)
        assert all(row.get("tenant_id", world.tenant_a) == world.tenant_a for row in outcome)


@pytest.mark.usefixtures("public_schema_open_to_everyone")
def test_the_reported_attack(world: World, attack: Attack) -> None:
    """The attack as reported, word for word (but for the schema): two statements."""
    conn = attack("producer")
    conn.execute(
        "CREATE TEMP TABLE jobforge_tenant_grants (role_name name, tenant_id uuid, kind text)"
    )
    conn.execute(
        "INSERT INTO jobforge_tenant_grants VALUES (current_user, %s, 'producer')",
        (world.tenant_b,),
    )
    conn.execute("SET search_path = pg_temp, jobforge")
    rows = conn.execute("SELECT * FROM jobforge.jobforge_jobs").fetchall()
    assert {row["tenant_id"] for row in rows} == {world.tenant_a}
    world.assert_nothing_leaked(rows)


def test_tenants_cannot_create_objects_in_the_jobforge_schema(world: World, attack: Attack) -> None:
    for kind in ("producer", "worker"):
        outcome = attempt(
            attack(kind),
            "CREATE FUNCTION jobforge.jobforge_calling_role(integer) RETURNS name "
            "LANGUAGE sql AS 'SELECT ''postgres''::name'",
        )
        assert isinstance(outcome, psycopg.Error)
        assert outcome.sqlstate == "42501"
