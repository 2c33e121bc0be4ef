"""The decision trace: what a handler (and the worker around it) decided, in order."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from typing import Any

from jobforge.determinism.canonical import canonical_json, canonical_text_of_json

RESERVED_FIELDS = ("timestamp", "runner_id", "decision", "source")
HANDLER_SOURCE = "handler"
WORKER_SOURCE = "worker"


class DecisionTrace:
    """Ordered events, each with ``timestamp``, ``runner_id`` and ``decision``.

    Handlers call ``ctx.trace.decision("skip_cold_assets", reason="...")`` (``source``
    "handler"); the worker adds its own events (claimed, validated, connector_call,
    succeeded, failed; ``source`` "worker"). Timestamps are wall
    clock (``claimed`` carries the claim's time): the trace explains a run, while the
    artifact hash is what replays compare.
    """

    def __init__(self, runner_id: str | None) -> None:
        self._runner_id = runner_id
        self._events: list[dict[str, Any]] = []
        self._lock = threading.Lock()

    def decision(self, decision: str, **fields: Any) -> None:
        """Record that the handler decided ``decision``; ``fields`` say why (JSON values)."""
        if not decision or not isinstance(decision, str):
            raise ValueError(f"decision: expected a non-empty string, got {decision!r}")
        clash = sorted(set(fields) & set(RESERVED_FIELDS))
        if clash:
            raise ValueError(f"decision fields may not be named {', '.join(clash)}")
        canonical_json(fields, label=f"trace.{decision}")  # fail at the call, not at the end
        self._append(decision, HANDLER_SOURCE, fields)

    def record(
        self, decision: str, fields: dict[str, Any], *, timestamp: str | None = None
    ) -> None:
        """Append a worker event without checking it (the worker's own, known-good events);
        ``timestamp`` (ISO 8601) when the event happened earlier than now."""
        self._append(decision, WORKER_SOURCE, fields, timestamp)

    def _append(
        self, decision: str, source: str, fields: dict[str, Any], timestamp: str | None = None
    ) -> None:
        event = {
            "timestamp": timestamp or datetime.now(UTC).isoformat(),
            "runner_id": self._runner_id,
            "decision": decision,
            "source": source,
            **fields,
        }
        with self._lock:
            self._events.append(event)

    def events(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._events)

    def to_json_text(self) -> str:
        """The events as canonical JSON text."""
        with self._lock:
            return canonical_text_of_json(self._events)

    def __len__(self) -> int:
        with self._lock:
            return len(self._events)
