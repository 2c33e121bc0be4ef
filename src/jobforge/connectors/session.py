"""The connectors one job attempt sees: live and recorded, or replayed from recordings."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from jobforge.connectors.calls import ConnectorCall, RecordedResponse
from jobforge.connectors.registry import ConnectorRegistry
from jobforge.determinism.canonical import canonical_sha256
from jobforge.errors import NonRetryableError


class UnrecordedConnectorCall(NonRetryableError):
    """A replayed job made a connector call that no recorded response answers."""

    error_kind = "unrecorded_connector_call"


class ConnectorUnavailable(NonRetryableError):
    """A live job called a connector that has no transport on this worker."""

    error_kind = "connector_unavailable"


TraceSink = Callable[[str, dict[str, Any]], None]


class ConnectorSession:
    """Answers one attempt's connector calls and remembers every exchange.

    ``recordings`` set: replay mode, every call must be answered by a recording (each
    recording answers once, in order). Otherwise calls go to the live transports.
    """

    def __init__(
        self,
        registry: ConnectorRegistry,
        recordings: list[RecordedResponse] | None,
        trace: TraceSink,
    ) -> None:
        self._registry = registry
        self._recordings = list(recordings) if recordings is not None else None
        self._trace = trace
        self._exchanges: list[RecordedResponse] = []
        self._lock = threading.Lock()

    @property
    def replaying(self) -> bool:
        return self._recordings is not None

    def exchanges(self) -> list[RecordedResponse]:
        """Every call made so far with its response, in call order."""
        with self._lock:
            return list(self._exchanges)

    def client(self, connector_id: str) -> ConnectorClient:
        return ConnectorClient(self, connector_id)

    def call(self, call: ConnectorCall) -> Any:
        response = self._replay(call) if self._recordings is not None else self._live(call)
        exchange = RecordedResponse(
            connector_id=call.connector_id,
            operation=call.operation,
            response=response,
            request=call.request,
            has_request=True,
        )
        with self._lock:
            self._exchanges.append(exchange)
        self._trace(
            "connector_call",
            {
                "connector_id": call.connector_id,
                "operation": call.operation,
                "request_sha256": call.request_sha256,
                "response_sha256": canonical_sha256(response, label="response"),
                "replayed": self.replaying,
            },
        )
        return response

    def _replay(self, call: ConnectorCall) -> Any:
        assert self._recordings is not None
        with self._lock:
            for index, recording in enumerate(self._recordings):
                if recording.matches(call):
                    del self._recordings[index]
                    return recording.response
        raise UnrecordedConnectorCall(f"no recorded response for connector call {call.describe()}")

    def _live(self, call: ConnectorCall) -> Any:
        transport = self._registry.transport(call.connector_id)
        if transport is None:
            known = ", ".join(self._registry.connector_ids()) or "none"
            raise ConnectorUnavailable(
                f"connector {call.connector_id!r} has no transport on this worker "
                f"(registered: {known})"
            )
        return transport(call.operation, call.request)


class ConnectorClient:
    """What ``ctx.connector(connector_id)`` returns."""

    def __init__(self, session: ConnectorSession, connector_id: str) -> None:
        self._session = session
        self.connector_id = connector_id

    def call(self, operation: str, request: Any = None) -> Any:
        """Perform ``operation`` with ``request`` (a JSON value); returns the JSON response."""
        return self._session.call(ConnectorCall(self.connector_id, operation, request))
