"""Why a verification job fails instead of returning a verdict: none of these is retried."""

from __future__ import annotations

from jobforge.errors import NonRetryableError


class TruthCoreError(NonRetryableError):
    """Root of the TruthCore runner's failures; ``error_kind`` is what the worker records."""

    error_kind = "truthcore_error"


class InvalidRule(TruthCoreError):
    """A rule the input schema accepts but that cannot be applied (min above max, a schema
    that is not a JSON Schema). Like a payload the input schema refuses, it is the
    caller's to fix, and is recorded with the same kind."""

    error_kind = "invalid_input"


class InvalidSourceResponse(TruthCoreError):
    """The ``truthcore.source`` connector answered with something other than a page."""

    error_kind = "invalid_source_response"


class SourceLimitExceeded(TruthCoreError):
    """The dataset has more pages than the payload allows: a partial check is no verdict."""

    error_kind = "source_limit_exceeded"
