"""The ingress's connections: a small pool, and transactions run as a tenant's producer.

Every request that touches jobs runs in one transaction that first sets the role to the
producer role of the authenticated tenant (``set_config('role', ..., true)``, which is
``SET LOCAL ROLE``): row-level security and the RPCs' grant checks then judge it as that
tenant, so a key can never reach another tenant's rows even through a bug in the app.
The role is reset when the transaction ends, before the connection serves anyone else.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg

from jobforge.db.errors import translated_errors
from jobforge.db.pool import ConnectionPool
from jobforge.errors import JobForgeError
from jobforge.keys import KeyRecord
from jobforge.keys.queries import key_query
from jobforge.server.queries import server_query

TENANT_ROLE_PREFIX = "jobforge_producer_"

Connection = psycopg.Connection[dict[str, Any]]


def tenant_role(tenant_id: uuid.UUID) -> str:
    """The producer role the ingress acts as for ``tenant_id``: ``jobforge_producer_``
    and the tenant id's 32 hex digits (50 characters, within PostgreSQL's 63)."""
    return TENANT_ROLE_PREFIX + tenant_id.hex


class TenantNotServed(JobForgeError):
    """The server's login role may not act as the tenant's producer role (the role is
    missing, or the login role is not a member of it): ``jobforge grant-ingress`` fixes it."""


class Database:
    """Up to ``size`` connections as the server's login role, shared by request threads."""

    def __init__(self, database_url: str, *, size: int) -> None:
        self._pool = ConnectionPool(database_url, size=size)

    @contextmanager
    def as_tenant(self, tenant_id: uuid.UUID) -> Iterator[Connection]:
        """A connection inside a transaction run as ``tenant_id``'s producer role."""
        with translated_errors(), self._pool.connection() as conn, conn.transaction():
            role = tenant_role(tenant_id)
            try:
                conn.execute(server_query("act_as_role"), {"role": role})
            except psycopg.Error as exc:
                raise TenantNotServed(
                    f"the server may not act as {role} ({exc.sqlstate}): run "
                    f"`jobforge grant-ingress SERVER_ROLE {tenant_id}` as the JobForge owner"
                ) from exc
            yield conn

    def lookup_key(self, key_id: uuid.UUID) -> KeyRecord | None:
        """The stored key ``key_id`` (as the login role, a key verifier), or None."""
        with translated_errors(), self._pool.connection() as conn:
            row = conn.execute(key_query("authenticate_api_key"), {"key_id": key_id}).fetchone()
        return None if row is None else KeyRecord.from_row(row)

    def ping(self) -> None:
        with translated_errors(), self._pool.connection() as conn:
            conn.execute(server_query("ping"))

    def close(self) -> None:
        self._pool.close()
