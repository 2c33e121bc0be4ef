"""What the HTTP connector raises.

Refusals (an address, URL, header or request the guard will not send) are final: no retry,
whatever the connector's metadata says, because trying again cannot make them safe. Every
other failure is a ``ConnectorFailure`` of the type connector metadata names
(``timeout``, ``network_error``, ``rate_limit_exceeded``, ...), so the connector's
declared failure modes decide about retries, circuit breaking and fallbacks.
"""

from __future__ import annotations

from jobforge.errors import ConnectorFailure, NonRetryableError


class RequestRefused(NonRetryableError):
    """The HTTP connector will not send this request (bad URL, header, scheme or payload)."""

    error_kind = "http_request_refused"


class AddressRefused(RequestRefused):
    """A host is, or resolves to, an address outside the public internet.

    ``host`` is the name or literal from the URL, ``address`` the address it was (or
    resolved to), ``rule`` the rule that forbids it (``loopback``, ``private``, ...).
    """

    error_kind = "http_address_refused"

    def __init__(self, message: str, *, host: str, address: str, rule: str) -> None:
        super().__init__(message)
        self.host = host
        self.address = address
        self.rule = rule


class HttpStatusError(ConnectorFailure):
    """The server answered with a status that is not a success (``status_code``)."""

    def __init__(
        self,
        failure_type: str,
        message: str,
        *,
        status_code: int,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(failure_type, message, retry_after=retry_after)
        self.status_code = status_code
