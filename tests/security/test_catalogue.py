"""The catalogue, read as an auditor would: pinned search paths, row-level security on
every table, and exactly which roles hold which privileges, whatever default privileges
the database had when it was migrated.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

import psycopg
import pytest
from psycopg import sql

from jobforge.client import JobForgeClient
from tests.conftest import TenantRole
from tests.integration.support import connect
from tests.migration.test_migrations import (
    PRODUCER_FUNCTIONS,
    READER_FUNCTIONS,
    VERIFIER_FUNCTIONS,
    WORKER_FUNCTIONS,
)
from tests.security.conftest import ANON, AUTHENTICATED

PINNED_SEARCH_PATH = "search_path=pg_catalog, jobforge, pg_temp"

# Every privilege a role holds on anything in the jobforge schema, one row each.
PRIVILEGES = """
SELECT 'schema' AS kind, 'jobforge' AS object, p.privilege
FROM unnest(ARRAY['USAGE', 'CREATE']) AS p(privilege)
WHERE has_schema_privilege(%(role)s, 'jobforge', p.privilege)
UNION ALL
SELECT 'table', c.relname, p.privilege
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace,
     unnest(ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'REFERENCES',
                  'TRIGGER']) AS p(privilege)
WHERE n.nspname = 'jobforge' AND c.relkind = 'r'
  AND has_table_privilege(%(role)s, c.oid, p.privilege)
UNION ALL
SELECT 'sequence', c.relname, p.privilege
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace,
     unnest(ARRAY['USAGE', 'SELECT', 'UPDATE']) AS p(privilege)
WHERE n.nspname = 'jobforge' AND c.relkind = 'S'
  AND has_sequence_privilege(%(role)s, c.oid, p.privilege)
UNION ALL
SELECT 'function', p.proname, 'EXECUTE'
FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
WHERE n.nspname = 'jobforge' AND has_function_privilege(%(role)s, p.oid, 'EXECUTE')
"""

READ_TABLES = [
    "jobforge_job_results",
    "jobforge_jobs",
    "jobforge_tenant_grants",
    "jobforge_triggers",
]


def expected_privileges(*, producer: bool, worker: bool) -> set[tuple[str, str, str]]:
    """What a role holding grants of these kinds may do: the table in docs/SECURITY.md."""
    if not (producer or worker):
        return set()
    held = {("schema", "jobforge", "USAGE")}
    held |= {("table", table, "SELECT") for table in READ_TABLES}
    held |= {("function", name, "EXECUTE") for name in READER_FUNCTIONS}
    if producer:
        held |= {("table", "jobforge_triggers", p) for p in ("INSERT", "UPDATE", "DELETE")}
        held |= {("function", name, "EXECUTE") for name in PRODUCER_FUNCTIONS}
    if worker:
        held |= {("function", name, "EXECUTE") for name in WORKER_FUNCTIONS}
    return held


def privileges(url: str, role: str) -> set[tuple[str, str, str]]:
    with connect(url) as conn:
        return {
            (row["kind"], row["object"], row["privilege"])
            for row in conn.execute(PRIVILEGES, {"role": role})
        }


def test_every_function_pins_its_search_path(database_url: str) -> None:
    with connect(database_url) as conn:
        rows = conn.execute(
            "SELECT p.proname, p.proconfig FROM pg_proc p "
            "JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'jobforge'"
        ).fetchall()
    assert len(rows) > 20
    unpinned = [
        row["proname"] for row in rows if PINNED_SEARCH_PATH not in (row["proconfig"] or [])
    ]
    assert unpinned == []


def test_every_table_has_row_level_security(database_url: str) -> None:
    with connect(database_url) as conn:
        rows = conn.execute(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = 'jobforge' AND c.relkind IN ('r', 'p') AND NOT c.relrowsecurity"
        ).fetchall()
    assert rows == []


def test_security_definer_functions_are_never_public(database_url: str) -> None:
    with connect(database_url) as conn:
        rows = conn.execute(
            "SELECT p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
            "WHERE n.nspname = 'jobforge' "
            "AND (has_function_privilege('public', p.oid, 'EXECUTE') "
            "     OR (p.prosecdef AND p.proname <> ALL (%s)))",
            # The trigger function is definer too, but only a trigger can call it.
            (
                [
                    *PRODUCER_FUNCTIONS,
                    *WORKER_FUNCTIONS,
                    *VERIFIER_FUNCTIONS,
                    "jobforge_check_trigger_documents",
                ],
            ),
        ).fetchall()
    assert rows == []


@pytest.mark.parametrize(
    ("producer", "worker"), [(True, False), (False, True), (True, True), (False, False)]
)
def test_each_kind_of_grant_gives_exactly_its_privileges(
    database_url: str, make_role: Callable[[], TenantRole], producer: bool, worker: bool
) -> None:
    role = make_role()
    tenant = uuid.uuid4()
    with JobForgeClient(database_url) as owner:
        for kind, wanted in (("producer", producer), ("worker", worker)):
            if wanted:
                owner.grant_tenant(role.name, tenant, kind=kind)
                owner.grant_tenant(role.name, uuid.uuid4(), kind=kind)
        if producer or worker:
            # Revoking one of two tenants keeps what the other still calls for.
            assert owner.revoke_tenant(role.name, tenant)
    assert privileges(database_url, role.name) == expected_privileges(
        producer=producer, worker=worker
    )
    assert privileges(database_url, "public") == set()


def test_revoking_the_last_grant_leaves_nothing(
    database_url: str, make_role: Callable[[], TenantRole]
) -> None:
    role = make_role()
    tenant = uuid.uuid4()
    with JobForgeClient(database_url) as owner:
        owner.grant_tenant(role.name, tenant, kind="producer")
        owner.grant_tenant(role.name, tenant, kind="worker")
        assert owner.revoke_tenant(role.name, tenant)
    assert privileges(database_url, role.name) == set()


def test_default_privileges_grant_nothing(
    database_url: str, request: pytest.FixtureRequest
) -> None:
    """Migrated into a database whose default privileges hand every new table, function,
    sequence and schema to anon and authenticated, JobForge still grants them nothing."""
    for role in (ANON, AUTHENTICATED, "public"):
        assert privileges(database_url, role) == set(), role
    with connect(database_url) as owner:
        [row] = owner.execute(
            "SELECT count(*) AS n FROM pg_default_acl WHERE defaclrole = current_user::regrole"
        ).fetchall()
    under_defaults = request.node.callspec.params["database_url"] == "supabase-defaults"
    assert (row["n"] >= 4) == under_defaults  # the defaults really were there


@pytest.mark.parametrize(
    "statement",
    [
        "SELECT jobforge.jobforge_prune_finished_jobs(interval '0 seconds')",
        "SELECT jobforge.jobforge_grant_tenant(current_user, '{tenant}', 'producer')",
        "SELECT jobforge.jobforge_revoke_tenant(current_user, '{tenant}')",
        "SELECT jobforge.jobforge_reset_privileges()",
        "DELETE FROM jobforge.jobforge_job_results",
        "UPDATE jobforge.jobforge_jobs SET state = 'succeeded'",
        "INSERT INTO jobforge.jobforge_tenant_grants (role_name, tenant_id, kind) "
        "VALUES (current_user, '{tenant}', 'worker')",
    ],
)
@pytest.mark.parametrize("api_role", [ANON, AUTHENTICATED])
def test_api_roles_cannot_reach_owner_operations(
    database_url: str, make_role: Callable[[], TenantRole], statement: str, api_role: str
) -> None:
    """The reported attack: with Supabase's defaults, a tenant deleted its own "immutable"
    results through prune. Here authenticated is even granted a tenant as a producer, and
    the requests come as PostgREST sends them, through an authenticator role."""
    authenticator = make_role()
    tenant = uuid.uuid4()
    with connect(database_url) as owner:
        owner.execute(sql.SQL("ALTER ROLE {} NOINHERIT").format(sql.Identifier(authenticator.name)))
        owner.execute(
            sql.SQL("GRANT {}, {} TO {}").format(
                sql.Identifier(ANON),
                sql.Identifier(AUTHENTICATED),
                sql.Identifier(authenticator.name),
            )
        )
    with JobForgeClient(database_url) as client:
        client.grant_tenant(AUTHENTICATED, tenant, kind="producer")
        job = client.enqueue_job(tenant_id=tenant, type="a.b", payload={})
    with connect(database_url) as owner:
        owner.execute("SELECT * FROM jobforge.jobforge_claim_jobs('w', 1, 30)")
        owner.execute("SELECT jobforge.jobforge_complete_job('w', %s, 1, '{}')", (job.id,))
    with connect(authenticator.url) as conn:
        conn.execute("SELECT set_config('role', %s, false)", (api_role,))
        with pytest.raises(psycopg.Error) as caught:
            conn.execute(statement.format(tenant=tenant))
        assert caught.value.sqlstate == "42501"
    with connect(database_url) as owner:
        results = owner.execute(
            "SELECT count(*) AS n FROM jobforge.jobforge_job_results WHERE job_id = %s",
            (job.id,),
        ).fetchone()
    assert results == {"n": 1}
