"""The live transport of the ``jobforge.keys.store`` connector: the key RPCs over psycopg.

The worker registers it (``register_key_store``) with its own database URL, so the RPCs
run as the worker's role, which must hold a worker grant for each job's tenant: the
database checks that, whatever tenant a request names. Each call opens a connection of
its own (key operations are rare) and runs one RPC, in its own transaction.

Failures become ConnectorFailures the connector's metadata knows: an unreachable
database is ``network_error`` (retried), a refused grant ``authentication_failed`` and a
refused value ``invalid_request`` (both dead-lettered), anything else ``server_error``.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

import psycopg

from jobforge.connectors.registry import ConnectorRegistry, default_connectors
from jobforge.db.connection import connect
from jobforge.errors import ConnectorFailure, DatabaseUnavailable
from jobforge.handlers import HandlerRegistry
from jobforge.keys.queries import key_query
from jobforge.runners.keys.names import (
    INSERT_KEY,
    JOB_TYPES,
    LIST_KEYS,
    REVOKE_KEY,
    ROTATE_KEY,
    STORE_CONNECTOR_ID,
)

Connection = psycopg.Connection[dict[str, Any]]
# SQLSTATEs of a caller's mistake: JobForge's invalid argument, data exceptions, and
# integrity violations (a constraint of jobforge_api_keys).
_INVALID_REQUEST_SQLSTATES = ("JF005", "22", "23")
_NOT_GRANTED_SQLSTATES = ("JF003", "42501")


class KeyStoreTransport:
    """(operation, request) -> response for ``jobforge.keys.store``."""

    def __init__(self, database_url: str) -> None:
        self._database_url = database_url
        self._operations: dict[str, Callable[[Connection, Mapping[str, Any]], Any]] = {
            INSERT_KEY: _insert_key,
            LIST_KEYS: _list_keys,
            ROTATE_KEY: _rotate_key,
            REVOKE_KEY: _revoke_key,
        }

    def __call__(self, operation: str, request: Any) -> Any:
        run = self._operations.get(operation)
        if run is None:
            known = ", ".join(sorted(self._operations))
            raise ConnectorFailure("invalid_request", f"no operation {operation!r} ({known})")
        if not isinstance(request, Mapping):
            raise ConnectorFailure("invalid_request", f"{operation}: expected a request object")
        try:
            with connect(self._database_url) as conn:
                return run(conn, request)
        except DatabaseUnavailable as exc:
            raise ConnectorFailure("network_error", f"{operation}: {exc}") from exc
        except psycopg.Error as exc:
            raise _failure(operation, exc) from exc
        except (KeyError, TypeError, ValueError) as exc:
            raise ConnectorFailure("invalid_request", f"{operation}: bad request: {exc!r}") from exc


def register_key_store(
    database_url: str, *, connectors: ConnectorRegistry | None = None
) -> KeyStoreTransport:
    """Make a KeyStoreTransport on ``database_url`` carry ``jobforge.keys.store`` calls."""
    transport = KeyStoreTransport(database_url)
    (connectors if connectors is not None else default_connectors).register(
        STORE_CONNECTOR_ID, transport
    )
    return transport


def register_key_store_if_served(
    handlers: HandlerRegistry, database_url: str, *, connectors: ConnectorRegistry | None = None
) -> bool:
    """Register the store when ``handlers`` serve a keys job type and no transport carries
    the connector yet (what ``jobforge worker run`` does); True if it registered one."""
    registry = connectors if connectors is not None else default_connectors
    if registry.transport(STORE_CONNECTOR_ID) is not None:
        return False
    if not any(job_type in handlers for job_type in JOB_TYPES):
        return False
    register_key_store(database_url, connectors=registry)
    return True


def _failure(operation: str, exc: psycopg.Error) -> ConnectorFailure:
    sqlstate = exc.sqlstate or ""
    message = f"{operation}: {exc.diag.message_primary or str(exc).strip()}"
    if not sqlstate:
        return ConnectorFailure("network_error", message)
    if sqlstate.startswith(_NOT_GRANTED_SQLSTATES):
        return ConnectorFailure("authentication_failed", message)
    if sqlstate.startswith(_INVALID_REQUEST_SQLSTATES):
        return ConnectorFailure("invalid_request", message)
    if sqlstate.startswith(("08", "57P")):
        return ConnectorFailure("network_error", message)
    return ConnectorFailure("server_error", message)


def _hash_params(verifier: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "kdf": str(verifier["kdf"]),
        "kdf_n": _integer(verifier["n"]),
        "kdf_r": _integer(verifier["r"]),
        "kdf_p": _integer(verifier["p"]),
        "salt": bytes.fromhex(str(verifier["salt"])),
        "hash": bytes.fromhex(str(verifier["hash"])),
    }


def _insert_key(conn: Connection, request: Mapping[str, Any]) -> dict[str, Any]:
    row = conn.execute(
        key_query("insert_api_key"),
        {
            "tenant_id": uuid.UUID(str(request["tenant_id"])),
            "key_id": uuid.UUID(str(request["key_id"])),
            "name": str(request["name"]),
            "prefix": str(request["prefix"]),
            "scopes": [str(scope) for scope in request["scopes"]],
            "expires_at": _optional_time(request.get("expires_at")),
            **_hash_params(request["verifier"]),
        },
    ).fetchone()
    assert row is not None  # the function returns one row or raises
    return {"created": row["created"], "api_key": row["api_key"]}


def _list_keys(conn: Connection, request: Mapping[str, Any]) -> dict[str, Any]:
    rows = conn.execute(
        key_query("list_api_keys"),
        {
            "tenant_id": uuid.UUID(str(request["tenant_id"])),
            "valid_at": _optional_time(request.get("valid_at")),
            "row_limit": _integer(request["limit"]),
        },
    ).fetchall()
    return {"keys": [row["api_key"] for row in rows]}


def _rotate_key(conn: Connection, request: Mapping[str, Any]) -> dict[str, Any]:
    row = conn.execute(
        key_query("rotate_api_key"),
        {
            "tenant_id": uuid.UUID(str(request["tenant_id"])),
            "key_id": uuid.UUID(str(request["key_id"])),
            "new_key_id": uuid.UUID(str(request["new_key_id"])),
            "new_prefix": str(request["new_prefix"]),
            "old_expires_at": _optional_time(request["old_expires_at"]),
            "new_expires_at": _optional_time(request.get("new_expires_at")),
            **_hash_params(request["verifier"]),
        },
    ).fetchone()
    assert row is not None
    return {"outcome": row["outcome"], "old_key": row["old_key"], "new_key": row["new_key"]}


def _revoke_key(conn: Connection, request: Mapping[str, Any]) -> dict[str, Any]:
    reason = request.get("reason")
    row = conn.execute(
        key_query("revoke_api_key"),
        {
            "tenant_id": uuid.UUID(str(request["tenant_id"])),
            "key_id": uuid.UUID(str(request["key_id"])),
            "reason": None if reason is None else str(reason),
        },
    ).fetchone()
    assert row is not None
    return {"outcome": row["outcome"], "api_key": row["api_key"]}


def _integer(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"expected an integer, got {value!r}")
    return value


def _optional_time(value: Any) -> datetime | None:
    if value is None:
        return None
    parsed = datetime.fromisoformat(str(value))
    if parsed.tzinfo is None:
        raise ValueError(f"expected a time with a zone, got {value!r}")
    return parsed
