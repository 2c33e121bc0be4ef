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


# The ways a connector call can fail, as connector metadata names them (failure_modes[].type;
# the contracts' FailureType enum holds the same values, which a test keeps in step).
CONNECTOR_FAILURE_TYPES = (
    "rate_limit_exceeded",
    "quota_exceeded",
    "timeout",
    "network_error",
    "server_error",
    "authentication_failed",
    "invalid_request",
    "invalid_response",
    "not_found",
)


class ConnectorFailure(JobForgeError):
    """A connector call failed in one of the ways connector metadata names.

    Transports raise it (``ConnectorFailure("rate_limit_exceeded", retry_after=2.0)``); the
    connector session then applies the connector's failure mode for that type (retries,
    circuit breaker, fallback). What reaches the handler is a ConnectorFailure too, whose
    ``error_kind`` is ``connector_<type>`` (``connector_circuit_open`` when the breaker
    refused the call) and whose ``retry_in_seconds``, when set, is when the job runs again.
    """

    def __init__(
        self,
        type: str,  # the metadata's own name for it (failure_modes[].type)
        message: str = "",
        *,
        retry_after: float | None = None,
        error_kind: str | None = None,
        retry_in_seconds: float | None = None,
    ) -> None:
        if type not in CONNECTOR_FAILURE_TYPES:
            raise InvalidArgument(
                f"connector failure type: expected one of {', '.join(CONNECTOR_FAILURE_TYPES)}, "
                f"got {type!r}"
            )
        if retry_after is not None and not 0 <= retry_after < float("inf"):
            raise InvalidArgument(
                f"retry_after: expected a finite number of seconds >= 0, got {retry_after!r}"
            )
        super().__init__(message or type)
        self.type = type
        self.retry_after = retry_after
        self.error_kind = error_kind or f"connector_{type}"
        self.retry_in_seconds = retry_in_seconds


class ConnectorDeadLetter(ConnectorFailure, NonRetryableError):
    """A connector failure whose metadata says ``fallback_behavior: dead_letter``: the job
    fails at once, without further attempts."""


class InvalidFollowUp(InvalidArgument, NonRetryableError):
    """A handler asked for a follow-up job JobForge cannot enqueue (``ctx.follow_up``).

    It fails the attempt without a retry: the same handler would ask for it again.
    """

    error_kind = "invalid_follow_up"
