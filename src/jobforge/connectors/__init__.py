"""Run-time connectors: the only way handlers reach the outside world.

A handler calls ``ctx.connector("readylayer.cdn").call("purge", {...})``. On a live run
the call goes to the transport registered for that connector and is recorded (request
and response) in the job's input snapshot and decision trace; on a replay it is answered
from recorded responses, and a call with no recording fails, naming the call.
"""

from __future__ import annotations

from jobforge.connectors.calls import ConnectorCall, RecordedResponse
from jobforge.connectors.registry import ConnectorRegistry, default_connectors, register_connector

__all__ = [
    "ConnectorCall",
    "ConnectorRegistry",
    "RecordedResponse",
    "default_connectors",
    "register_connector",
]
