"""The ways an AIAS job fails on purpose, each with the error kind the job records.

All are final (``NonRetryableError``): the same task against the same catalogue would
fail the same way. Connector failures are not here: they follow the connector's metadata
(``jobforge.errors.ConnectorFailure``).
"""

from __future__ import annotations

from jobforge.errors import NonRetryableError


class AiasError(NonRetryableError):
    """Root of the AIAS runner's refusals; ``error_kind`` is what the worker records."""

    error_kind = "aias_error"


class InvalidTaskInput(AiasError):
    """The payload passed the input schema but breaks a rule the schema cannot state (a
    step index past the end of its chain)."""

    error_kind = "invalid_input"


class NoCapableTarget(AiasError):
    """No target in the catalogue declares every capability a step needs."""

    error_kind = "no_capable_target"


class NoAllowedTarget(AiasError):
    """Targets declare the capabilities, but the tenant's policy refuses every one."""

    error_kind = "no_allowed_target"


class InvalidRegistryResponse(AiasError):
    """The ``aias.registry`` connector answered with something the router cannot act on."""

    error_kind = "invalid_registry_response"


class InvalidModelResponse(AiasError):
    """The ``aias.model`` connector answered a step with something that is not a result."""

    error_kind = "invalid_model_response"
