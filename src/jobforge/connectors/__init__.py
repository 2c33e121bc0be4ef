"""Run-time connectors: the only way handlers reach the outside world.

A handler calls ``ctx.connector("readylayer.cdn").call("purge", {...})``. On a live run
the call goes to the transport registered for that connector and is recorded (request
and response) in the job's input snapshot and decision trace; on a replay it is answered
from recorded responses, and a call with no recording fails, naming the call.

A transport fails a call with ``ConnectorFailure(type, ...)``, ``type`` one of the
metadata's failure types; the connector's metadata (rate limits, failure modes) then
decides on retries, circuit breaking and the fallback (docs/connectors-runtime.md).
"""

from __future__ import annotations

from jobforge.connectors.calls import ConnectorCall, RecordedResponse
from jobforge.connectors.policy import ConnectorPolicy, policies_from_metadata
from jobforge.connectors.registry import ConnectorRegistry, default_connectors, register_connector
from jobforge.connectors.runtime import ConnectorRuntime
from jobforge.errors import CONNECTOR_FAILURE_TYPES, ConnectorDeadLetter, ConnectorFailure

__all__ = [
    "CONNECTOR_FAILURE_TYPES",
    "ConnectorCall",
    "ConnectorDeadLetter",
    "ConnectorFailure",
    "ConnectorPolicy",
    "ConnectorRegistry",
    "ConnectorRuntime",
    "RecordedResponse",
    "default_connectors",
    "policies_from_metadata",
    "register_connector",
]
