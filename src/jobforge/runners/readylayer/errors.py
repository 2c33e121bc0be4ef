"""The ways a ReadyLayer job fails on purpose, each with the error kind the job records."""

from __future__ import annotations

from jobforge.errors import NonRetryableError


class InvalidJobInput(NonRetryableError):
    """The payload passed the input schema but breaks a rule the schema cannot state."""

    error_kind = "invalid_input"


class InvalidConnectorResponse(NonRetryableError):
    """The connector answered with something the runner cannot act on safely."""

    error_kind = "connector_invalid_response"
