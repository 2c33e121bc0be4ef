"""The RPCs called the way PostgREST calls them, for a producer role.

PostgREST logs in as an ``authenticator`` role (NOINHERIT, a member of the API roles) and
runs each request in one transaction: READ ONLY for GET, READ WRITE for POST; the role,
the search path and the JWT claims set with ``set_config(..., true)``; the arguments read
from the request body by ``json_to_record`` with the function's own types; the function
called with named arguments. Errors reach the HTTP client as code (SQLSTATE), message,
details and hint.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any

import psycopg
import pytest
from psycopg import sql

from tests.conftest import TenantRole
from tests.integration.support import connect
from tests.security.conftest import World

# What these attacks meet is function bodies, the same under any default privileges (the
# catalogue tests prove the privileges equal), so they run on the plain database only.
pytestmark = pytest.mark.parametrize("database_url", ["plain"], indirect=True)


ENQUEUE_ARGUMENTS = {"p_tenant_id": "uuid", "p_type": "text", "p_payload": "jsonb"}


@pytest.fixture
def authenticator(world: World, make_role: Callable[[], TenantRole]) -> TenantRole:
    role = make_role()
    with connect(world.owner_url) as owner:
        owner.execute(sql.SQL("ALTER ROLE {} NOINHERIT").format(sql.Identifier(role.name)))
        owner.execute(
            sql.SQL("GRANT {} TO {}").format(
                sql.Identifier(world.producer.name), sql.Identifier(role.name)
            )
        )
    return role


def request(
    authenticator: TenantRole,
    world: World,
    method: str,
    function: str,
    body: dict[str, Any],
    types: dict[str, str],
) -> list[Any]:
    """One PostgREST request to /rpc/<function>; its JSON rows, or the psycopg error."""
    arguments = (
        " SELECT pgrst_call.* FROM json_to_record(%(body)s::json) AS _({columns}),"
        if types
        else " SELECT pgrst_call.* FROM (SELECT %(body)s::json) AS _,"
    )
    call = sql.SQL(
        "WITH pgrst_source AS (" + arguments + " LATERAL {function}({arguments}) AS pgrst_call)"
        " SELECT coalesce(json_agg(pgrst_source), '[]') AS body FROM pgrst_source"
    ).format(
        columns=sql.SQL(", ").join(
            sql.SQL("{} {}").format(sql.Identifier(name), sql.SQL(kind))
            for name, kind in types.items()
        ),
        function=sql.Identifier("jobforge", function),
        arguments=sql.SQL(", ").join(
            sql.SQL("{} := _.{}").format(sql.Identifier(name), sql.Identifier(name))
            for name in types
        ),
    )
    claims = {"role": world.producer.name, "sub": "agent-7", "tenant_id": str(world.tenant_b)}
    with psycopg.connect(authenticator.url) as conn:
        access = "READ ONLY" if method == "GET" else "READ WRITE"
        conn.execute(f"START TRANSACTION ISOLATION LEVEL READ COMMITTED {access}")
        conn.execute(
            "SELECT set_config('search_path', '\"jobforge\"', true), "
            "set_config('role', %s, true), set_config('request.jwt.claims', %s, true), "
            "set_config('request.method', %s, true), set_config('request.path', %s, true)",
            (world.producer.name, json.dumps(claims), method, f"/rpc/{function}"),
        )
        row = conn.execute(call, {"body": json.dumps(body)}).fetchone()
        conn.execute("COMMIT")
    assert row is not None
    result: list[Any] = row[0]
    return result


def failed(call: Callable[[], Any]) -> psycopg.Error:
    with pytest.raises(psycopg.Error) as caught:
        call()
    return caught.value


def test_a_producer_enqueues_for_its_tenant(world: World, authenticator: TenantRole) -> None:
    body = {"p_tenant_id": str(world.tenant_a), "p_type": "agent.task", "p_payload": {"n": 1}}
    [receipt] = request(
        authenticator, world, "POST", "jobforge_enqueue_job", body, ENQUEUE_ARGUMENTS
    )
    assert receipt["created"] is True
    assert receipt["state"] == "queued"


def test_another_tenant_is_refused_with_code_message_and_hint(
    world: World, authenticator: TenantRole
) -> None:
    body = {"p_tenant_id": str(world.tenant_b), "p_type": "agent.task", "p_payload": {}}
    error = failed(
        lambda: request(
            authenticator, world, "POST", "jobforge_enqueue_job", body, ENQUEUE_ARGUMENTS
        )
    )
    assert error.sqlstate == "JF003"
    assert error.diag.message_primary == (
        f"role {world.producer.name} is not granted tenant {world.tenant_b} as a producer"
    )
    assert error.diag.message_hint is not None
    assert "grant-tenant" in error.diag.message_hint
    world.assert_nothing_leaked(
        [error.diag.message_primary, error.diag.message_detail, error.diag.message_hint],
        supplied=body,
    )


@pytest.mark.parametrize(
    ("tenant", "sqlstate", "message"),
    [
        (None, "JF005", "tenant_id: expected a UUID, got null"),
        ("not-a-uuid", "22P02", 'invalid input syntax for type uuid: "not-a-uuid"'),
    ],
)
def test_a_missing_or_malformed_tenant_is_a_clear_bad_request(
    world: World, authenticator: TenantRole, tenant: str | None, sqlstate: str, message: str
) -> None:
    """Not a row-level-security violation (42501), which would read as "forbidden"."""
    body = {"p_tenant_id": tenant, "p_type": "agent.task", "p_payload": {}}
    error = failed(
        lambda: request(
            authenticator, world, "POST", "jobforge_enqueue_job", body, ENQUEUE_ARGUMENTS
        )
    )
    assert (error.sqlstate, error.diag.message_primary) == (sqlstate, message)


@pytest.mark.parametrize("tenant", [None, "not-a-uuid", 42, {"id": 1}])
def test_the_batch_rpc_names_the_job_with_a_bad_tenant(
    world: World, authenticator: TenantRole, tenant: Any
) -> None:
    jobs = [
        {"tenant_id": str(world.tenant_a), "type": "a.b", "payload": {}},
        {"tenant_id": tenant, "type": "a.b", "payload": {}},
    ]
    error = failed(
        lambda: request(
            authenticator, world, "POST", "jobforge_enqueue_jobs", {"p_jobs": jobs},
            {"p_jobs": "jsonb"},
        )
    )  # fmt: skip
    assert error.sqlstate == "JF005"
    assert error.diag.message_primary is not None
    assert error.diag.message_primary.startswith("jobs[1].tenant_id: expected a UUID, got ")


def test_get_reads_in_a_read_only_transaction(world: World, authenticator: TenantRole) -> None:
    stats = request(authenticator, world, "GET", "jobforge_queue_stats", {}, {})
    assert {row["tenant_id"] for row in stats} == {str(world.tenant_a)}
    world.assert_nothing_leaked(stats)


def test_get_cannot_enqueue(world: World, authenticator: TenantRole) -> None:
    body = {"p_tenant_id": str(world.tenant_a), "p_type": "agent.task", "p_payload": {}}
    error = failed(
        lambda: request(authenticator, world, "GET", "jobforge_enqueue_job", body,
                        ENQUEUE_ARGUMENTS)
    )  # fmt: skip
    assert error.sqlstate == "25006"  # read-only transaction: PostgREST answers 405


def test_worker_rpcs_are_not_a_producers(world: World, authenticator: TenantRole) -> None:
    error = failed(
        lambda: request(
            authenticator, world, "POST", "jobforge_claim_jobs",
            {"p_worker_id": "w", "p_limit": 10}, {"p_worker_id": "text", "p_limit": "integer"},
        )
    )  # fmt: skip
    assert error.sqlstate == "42501"


def test_the_authenticator_alone_reaches_nothing(world: World, authenticator: TenantRole) -> None:
    """NOINHERIT: without switching role it holds none of the producer's privileges."""
    with connect(authenticator.url) as conn:
        with pytest.raises(psycopg.Error) as caught:
            conn.execute(
                "SELECT * FROM jobforge.jobforge_enqueue_job(%s, 'a.b', '{}')", (world.tenant_a,)
            )
        assert caught.value.sqlstate == "42501"
        with pytest.raises(psycopg.Error) as caught:
            conn.execute("SELECT set_config('role', %s, false)", (world.worker.name,))
        assert caught.value.sqlstate == "42501"
    assert uuid.UUID(str(world.tenant_a))
