"""Setting up the roles the ingress acts as (the JobForge owner runs this).

For each tenant it serves, the server's login role is a member of that tenant's producer
role, ``jobforge_producer_<tenant id hex>``: created NOLOGIN NOINHERIT, granted the tenant
as a producer and nothing else. The login role must be NOINHERIT itself, so that outside
a request's ``SET LOCAL ROLE`` it holds no tenant's privileges at all.
"""

from __future__ import annotations

import uuid

import psycopg
from psycopg import sql

from jobforge.client.requests import parse_uuid
from jobforge.db.connection import connect
from jobforge.db.errors import translated_errors
from jobforge.db.queries import query
from jobforge.errors import ConfigurationError, InvalidArgument
from jobforge.server.database import tenant_role
from jobforge.server.queries import server_query


def grant_ingress(owner_url: str, login_role: str, tenant_id: uuid.UUID | str) -> str:
    """Let ``login_role`` serve ``tenant_id``; the tenant role's name. Idempotent."""
    tenant = parse_uuid(tenant_id, "tenant_id")
    role = tenant_role(tenant)
    identifiers = {"role": sql.Identifier(role), "login": sql.Identifier(login_role)}
    with translated_errors(), connect(owner_url) as conn:
        _check_login_role(conn, login_role)
        with conn.transaction():
            try:
                conn.execute(sql.SQL(server_query("create_tenant_role")).format(**identifiers))
            except psycopg.errors.InsufficientPrivilege as exc:
                raise ConfigurationError(
                    f"cannot create role {role}: the role running this needs CREATEROLE "
                    f"(or to be a superuser), or create it first: "
                    f"CREATE ROLE {role} NOLOGIN NOINHERIT"
                ) from exc
            conn.execute(
                query("grant_tenant"), {"role": role, "tenant_id": tenant, "kind": "producer"}
            )
            conn.execute(sql.SQL(server_query("grant_role_to_login")).format(**identifiers))
    return role


def revoke_ingress(owner_url: str, login_role: str, tenant_id: uuid.UUID | str) -> str:
    """Stop ``login_role`` acting for ``tenant_id`` (the tenant role and its grant stay,
    for other servers); the tenant role's name."""
    role = tenant_role(parse_uuid(tenant_id, "tenant_id"))
    identifiers = {"role": sql.Identifier(role), "login": sql.Identifier(login_role)}
    with translated_errors(), connect(owner_url) as conn:
        if conn.execute(server_query("role_inherits"), {"role": role}).fetchone() is None:
            return role
        conn.execute(sql.SQL(server_query("revoke_role_from_login")).format(**identifiers))
    return role


def _check_login_role(conn: psycopg.Connection[dict[str, object]], login_role: str) -> None:
    row = conn.execute(server_query("role_inherits"), {"role": login_role}).fetchone()
    if row is None:
        raise InvalidArgument(f"role {login_role!r} does not exist")
    if row["rolinherit"]:
        raise ConfigurationError(
            f"role {login_role} inherits the privileges of the roles it belongs to, so it "
            f"would read every served tenant's jobs outside a request: make it NOINHERIT "
            f"first (ALTER ROLE {login_role} NOINHERIT)"
        )
