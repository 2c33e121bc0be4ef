"""The JobForge exception hierarchy: one root, one class per thing a caller can act on."""

from __future__ import annotations


class JobForgeError(Exception):
    """Root of every error JobForge raises on purpose."""


class ConfigurationError(JobForgeError):
    """A setting is missing or malformed (database URL, pyproject table, CLI option)."""


class DatabaseUnavailable(JobForgeError):
    """The database could not be reached or refused the connection."""


class DatabaseError(JobForgeError):
    """The database refused a statement for a reason JobForge does not classify further."""


class InvalidArgument(JobForgeError, ValueError):
    """A value passed to JobForge is malformed: a bad UUID, a non-JSON payload, a bad limit."""


class JobNotFound(JobForgeError, LookupError):
    """No job with that id is visible to this connection's role."""


class IdempotencyConflict(JobForgeError):
    """The idempotency key is taken by a job of the same tenant and type with another payload."""


class LeaseLost(JobForgeError):
    """The worker no longer holds the job's lease: another attempt owns it now."""


class TenantAccessDenied(JobForgeError, PermissionError):
    """The connected role is not granted the tenant it tried to act for."""


class MigrationError(JobForgeError):
    """A migration file is malformed, changed after it was applied, or failed to apply."""


class SchemaNotMigrated(MigrationError):
    """The database lacks the JobForge schema this package needs: run `jobforge migrate`."""


class HandlerNotFound(JobForgeError, LookupError):
    """No handler is registered for a job type."""


class NonRetryableError(JobForgeError):
    """Raised by a handler to fail its job at once, without further attempts."""
