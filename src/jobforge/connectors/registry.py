"""Live connector transports, registered by connector id."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from jobforge.errors import ConfigurationError

# (operation, request) -> response; raise to fail the call (the attempt then fails).
Transport = Callable[[str, Any], Any]


class ConnectorRegistry:
    """Maps connector ids to the transports that carry live calls."""

    def __init__(self) -> None:
        self._transports: dict[str, Transport] = {}

    def register(self, connector_id: str, transport: Transport) -> None:
        if connector_id in self._transports and self._transports[connector_id] is not transport:
            raise ConfigurationError(f"connector {connector_id!r} already has a transport")
        self._transports[connector_id] = transport

    def transport(self, connector_id: str) -> Transport | None:
        return self._transports.get(connector_id)

    def connector_ids(self) -> list[str]:
        return sorted(self._transports)


default_connectors = ConnectorRegistry()


def register_connector(
    connector_id: str, transport: Transport, *, registry: ConnectorRegistry | None = None
) -> None:
    """Make ``transport`` carry live calls to ``connector_id``."""
    (registry if registry is not None else default_connectors).register(connector_id, transport)
