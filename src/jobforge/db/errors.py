"""Translating psycopg errors into JobForge errors at the database boundary."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from psycopg import errors as pg_errors

from jobforge.errors import (
    DatabaseError,
    DatabaseUnavailable,
    IdempotencyConflict,
    InvalidArgument,
    JobForgeError,
    JobNotFound,
    LeaseLost,
    SchemaNotMigrated,
    TenantAccessDenied,
)

# SQLSTATEs raised by the RPCs in sql/migrations (class JF).
_JOBFORGE_SQLSTATES: dict[str, type[JobForgeError]] = {
    "JF001": IdempotencyConflict,
    "JF002": LeaseLost,
    "JF003": TenantAccessDenied,
    "JF004": JobNotFound,
    "JF005": InvalidArgument,
}

# Check constraints whose violation is a caller's mistake, with what the caller should know.
_CONSTRAINT_MESSAGES: dict[str, str] = {
    "jobforge_job_results_output_size": "output: larger than the size limit (1 MiB of JSON)",
    "jobforge_jobs_type_format": "type: expected a dotted lower-case name such as 'billing.send'",
    "jobforge_jobs_idempotency_key_length": "idempotency_key: expected 1 to 512 characters",
    "jobforge_jobs_ordering_key_length": "ordering_key: expected 1 to 512 characters",
    "jobforge_jobs_trace_id_length": "trace_id: expected 1 to 128 characters",
    "jobforge_jobs_priority_range": "priority: expected an integer from -32768 to 32767",
    "jobforge_jobs_max_attempts_range": "max_attempts: expected an integer from 1 to 1000",
    "jobforge_jobs_backoff_range": (
        "backoff: base must be above 0 and at most 86400 s, cap from the base to 2592000 s"
    ),
    "jobforge_jobs_run_at_range": "run_at: expected a time from 1900 to 9000",
    "jobforge_triggers_job_type_format": "job_type: expected a dotted lower-case name",
    "jobforge_triggers_max_attempts_range": "max_attempts: expected an integer from 1 to 1000",
    "jobforge_triggers_priority_range": "priority: expected an integer from -32768 to 32767",
    "jobforge_triggers_name_length": "name: expected 1 to 200 characters",
    "jobforge_triggers_event_type_length": "event_type: expected 1 to 200 characters",
    "jobforge_triggers_filter_object": "payload_filter: expected a JSON object",
    "jobforge_triggers_defaults_object": "payload_defaults: expected a JSON object",
}

# What a role lacking a privilege should do about it (see docs/SECURITY.md).
_MISSING_GRANT = (
    "this role holds no grant for that; the JobForge owner grants tenants with "
    "`jobforge grant-tenant ROLE TENANT_ID --producer|--worker`, and only the owner may "
    "grant, revoke or prune"
)

# A function, table, schema or type that is not there: JobForge's, when the message names it.
_MISSING_OBJECT_SQLSTATES = ("42883", "42P01", "3F000", "42704")
# A column that is not there: only JobForge's own queries reach this module, so it is a
# column a later schema version added (its message names only the column).
_MISSING_COLUMN_SQLSTATE = "42703"

_INVALID_INPUT_CLASSES = ("22",)  # data exceptions: bad uuid, bad timestamp, bad JSON, ...
# The server went away or would not take the session: a failover, a restart, an admin's
# pg_terminate_backend, an idle-session timeout, or no connection slot left. Workers
# reconnect and try again.
_CONNECTION_LOST_SQLSTATES = ("08", "57P01", "57P02", "57P03", "57P05", "25P03", "53300")


def translate(exc: psycopg.Error) -> JobForgeError:  # noqa: PLR0911 - one return per class
    """The JobForge error a caller should see for ``exc``."""
    diag = exc.diag
    sqlstate = exc.sqlstate or ""
    message = diag.message_primary or str(exc).strip()
    if sqlstate.startswith(_CONNECTION_LOST_SQLSTATES):
        return DatabaseUnavailable(f"{message} (SQLSTATE {sqlstate})")
    if (
        sqlstate in _MISSING_OBJECT_SQLSTATES and "jobforge" in message
    ) or sqlstate == _MISSING_COLUMN_SQLSTATE:
        return SchemaNotMigrated(
            f"the JobForge schema is missing or older than this JobForge ({message}): "
            f"run `jobforge migrate` to bring the database to schema version {_shipped_version()}"
        )
    if sqlstate in _JOBFORGE_SQLSTATES:
        # The RPCs put what to do about it in the hint.
        hint = diag.message_hint
        return _JOBFORGE_SQLSTATES[sqlstate](f"{message} ({hint})" if hint else message)
    if isinstance(exc, pg_errors.CheckViolation):
        constraint = diag.constraint_name or ""
        return InvalidArgument(_CONSTRAINT_MESSAGES.get(constraint, message))
    if isinstance(exc, pg_errors.NotNullViolation):
        return InvalidArgument(f"{diag.column_name or 'a field'}: required, got null")
    if isinstance(exc, pg_errors.InsufficientPrivilege):
        return TenantAccessDenied(f"{message}: {_MISSING_GRANT}")
    if sqlstate.startswith(_INVALID_INPUT_CLASSES):
        return InvalidArgument(message)
    if isinstance(exc, psycopg.OperationalError) and not sqlstate:
        return DatabaseUnavailable(message)
    return DatabaseError(f"{message} (SQLSTATE {sqlstate})" if sqlstate else message)


def _shipped_version() -> int:
    """The schema version this installation's migrations build."""
    # Imported here: migrations translate their own errors with this module.
    from jobforge.db.migrations import load_migrations  # noqa: PLC0415

    return len(load_migrations())


@contextmanager
def translated_errors() -> Iterator[None]:
    """Re-raise psycopg errors raised inside the block as JobForge errors."""
    try:
        yield
    except psycopg.Error as exc:
        raise translate(exc) from exc
