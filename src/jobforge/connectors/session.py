"""The connectors one job attempt sees: live and recorded, or replayed from recordings."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from jobforge.connectors.calls import ConnectorCall, RecordedFailure, RecordedResponse
from jobforge.connectors.registry import ConnectorRegistry
from jobforge.connectors.runtime import Answer, ConnectorRuntime
from jobforge.determinism.canonical import canonical_sha256
from jobforge.errors import ConnectorFailure, NonRetryableError


class UnrecordedConnectorCall(NonRetryableError):
    """A replayed job made a connector call that no recorded response answers."""

    error_kind = "unrecorded_connector_call"


class ConnectorUnavailable(NonRetryableError):
    """A live job called a connector that has no transport on this worker."""

    error_kind = "connector_unavailable"


TraceSink = Callable[[str, dict[str, Any]], None]
# Connectors without a policy: one try, no waiting, a ConnectorFailure handed on as it is.
_NO_POLICIES = ConnectorRuntime()


class ConnectorSession:
    """Answers one attempt's connector calls and remembers every exchange.

    ``recordings`` set: replay mode, every call must be answered by a recording (each
    recording answers once, in order; a recorded failure is raised again). Otherwise calls
    go to the live transports under the connectors' policies in ``runtime`` (retries
    jittered from ``seed``, the attempt's seed), and each call is recorded once, with
    the response or the failure the handler got.
    """

    def __init__(
        self,
        registry: ConnectorRegistry,
        recordings: list[RecordedResponse] | None,
        trace: TraceSink,
        *,
        runtime: ConnectorRuntime | None = None,
        seed: int = 0,
    ) -> None:
        self._registry = registry
        self._recordings = list(recordings) if recordings is not None else None
        self._trace = trace
        self._runtime = runtime if runtime is not None else _NO_POLICIES
        self._seed = seed
        self._calls_started = 0
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
        try:
            answer = self._replay(call) if self._recordings is not None else self._live(call)
        except ConnectorFailure as failure:
            self._record(call, None, RecordedFailure.of(failure), tries=None, fallback=None)
            raise
        self._record(call, answer.response, None, answer.tries, answer.fallback)
        return answer.response

    def _record(
        self,
        call: ConnectorCall,
        response: Any,
        failure: RecordedFailure | None,
        tries: int | None,
        fallback: str | None,
    ) -> None:
        exchange = RecordedResponse(
            connector_id=call.connector_id,
            operation=call.operation,
            response=response,
            request=call.request,
            has_request=True,
            failure=failure,
        )
        with self._lock:
            self._exchanges.append(exchange)
        event: dict[str, Any] = {
            "connector_id": call.connector_id,
            "operation": call.operation,
            "request_sha256": call.request_sha256,
            "replayed": self.replaying,
        }
        if failure is not None:
            event["failure_type"] = failure.type
            event["error_kind"] = failure.kind
        else:
            event["response_sha256"] = canonical_sha256(response, label="response")
        if tries is not None and tries != 1:
            event["tries"] = tries
        if fallback is not None:
            event["fallback"] = fallback
        self._trace("connector_call", event)

    def _replay(self, call: ConnectorCall) -> Answer:
        assert self._recordings is not None
        with self._lock:
            for index, recording in enumerate(self._recordings):
                if recording.matches(call):
                    del self._recordings[index]
                    break
            else:
                recording = None
        if recording is None:
            raise UnrecordedConnectorCall(
                f"no recorded response for connector call {call.describe()}"
            )
        if recording.failure is not None:
            raise recording.failure.exception()
        return Answer(recording.response, tries=1)

    def _live(self, call: ConnectorCall) -> Answer:
        transport = self._registry.transport(call.connector_id)
        if transport is None:
            known = ", ".join(self._registry.connector_ids()) or "none"
            raise ConnectorUnavailable(
                f"connector {call.connector_id!r} has no transport on this worker "
                f"(registered: {known})"
            )
        with self._lock:
            index = self._calls_started
            self._calls_started += 1
        seed_key = f"{self._seed}:{index}:{call.connector_id}.{call.operation}"
        return self._runtime.call(call, transport, seed_key=seed_key, trace=self._trace)


class ConnectorClient:
    """What ``ctx.connector(connector_id)`` returns."""

    def __init__(self, session: ConnectorSession, connector_id: str) -> None:
        self._session = session
        self.connector_id = connector_id

    def call(self, operation: str, request: Any = None) -> Any:
        """Perform ``operation`` with ``request`` (a JSON value); returns the JSON response."""
        return self._session.call(ConnectorCall(self.connector_id, operation, request))
