"""A clock that never sleeps, transports that fail as scripted, and policies to try."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from jobforge.connectors.calls import RecordedResponse
from jobforge.connectors.policy import ConnectorPolicy, FailureModePolicy, RateLimitPolicy
from jobforge.connectors.registry import ConnectorRegistry
from jobforge.connectors.runtime import ConnectorRuntime
from jobforge.connectors.session import ConnectorSession
from jobforge.errors import ConnectorFailure

CONNECTOR = "scripted.api"
OPERATION = "fetch"


class FakeClock:
    """Monotonic time that only moves when someone sleeps (or the test advances it)."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []
        self._lock = threading.Lock()

    def monotonic(self) -> float:
        with self._lock:
            return self.now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.sleeps.append(seconds)
            self.now += seconds

    def advance(self, seconds: float) -> None:
        with self._lock:
            self.now += seconds


@dataclass
class ScriptedTransport:
    """Answers each call with the next scripted outcome: an exception is raised, anything
    else returned; once the script runs out every call succeeds with ``{"ok": n}``."""

    script: list[Any] = field(default_factory=list)
    calls: int = 0

    def __call__(self, operation: str, request: Any) -> Any:
        self.calls += 1
        if self.script:
            outcome = self.script.pop(0)
            if isinstance(outcome, BaseException):
                raise outcome
            return outcome
        return {"ok": self.calls}


def failures(failure_type: str, count: int, **options: Any) -> list[Any]:
    return [ConnectorFailure(failure_type, f"{failure_type} #{n}", **options) for n in range(count)]


def mode(failure_type: str, **fields: Any) -> FailureModePolicy:
    if fields.get("retryable"):
        fields.setdefault("retry_strategy", "fixed")
        fields.setdefault("max_retries", 1)
    return FailureModePolicy(type=failure_type, **fields)


def policy(
    *modes: FailureModePolicy,
    requests_per_second: float = 1000.0,
    burst_size: int = 1000,
    retry_after_header: bool = False,
) -> ConnectorPolicy:
    return ConnectorPolicy(
        connector_id=CONNECTOR,
        rate_limit=RateLimitPolicy(requests_per_second, burst_size, retry_after_header),
        failure_modes={m.type: m for m in modes},
    )


@dataclass
class Harness:
    """A live session (or a replaying one) with its transport, clock and trace events."""

    transport: ScriptedTransport
    clock: FakeClock
    runtime: ConnectorRuntime
    events: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    session: ConnectorSession | None = None

    def new_session(
        self, recordings: Iterable[RecordedResponse] | None = None, seed: int = 7
    ) -> ConnectorSession:
        registry = ConnectorRegistry()
        registry.register(CONNECTOR, self.transport)
        self.session = ConnectorSession(
            registry,
            None if recordings is None else list(recordings),
            lambda decision, fields: self.events.append((decision, fields)),
            runtime=self.runtime,
            seed=seed,
        )
        return self.session

    def call(self, request: Any = None) -> Any:
        session = self.session if self.session is not None else self.new_session()
        return session.client(CONNECTOR).call(OPERATION, request)

    def decisions(self, name: str) -> list[dict[str, Any]]:
        return [fields for decision, fields in self.events if decision == name]


def harness(
    connector_policy: ConnectorPolicy | None,
    script: Iterable[Any] = (),
    *,
    jitter: bool = False,
) -> Harness:
    clock = FakeClock()
    policies = {} if connector_policy is None else {CONNECTOR: connector_policy}
    runtime = ConnectorRuntime(policies, clock=clock, jitter=jitter)
    return Harness(ScriptedTransport(list(script)), clock, runtime)


def base_metadata(connector_id: str = CONNECTOR, **changes: Any) -> dict[str, Any]:
    """A valid connector metadata document (shaped like the shipped ones), with
    ``changes`` to its top-level keys."""
    document: dict[str, Any] = {
        "connector_id": connector_id,
        "version": "1.0.0",
        "status": "beta",
        "maturity": "development",
        "description": "A connector whose transport fails as a test scripts it.",
        "supported_job_types": ["policy.fetch"],
        "capabilities": {
            "bidirectional": False,
            "streaming": False,
            "batch": False,
            "real_time": False,
            "webhook": False,
            "polling": True,
        },
        "auth": {"required": True, "methods": ["bearer_token"], "credentials_storage": "env"},
        "rate_limits": {
            "requests_per_second": 5,
            "burst_size": 10,
            "quota_period": "minute",
            "retry_after_header": True,
        },
        "failure_modes": [
            {
                "type": "rate_limit_exceeded",
                "retryable": True,
                "retry_strategy": "exponential_backoff",
                "max_retries": 3,
                "fallback_behavior": "queue",
                "circuit_breaker": True,
            },
            {
                "type": "authentication_failed",
                "retryable": False,
                "retry_strategy": "none",
                "max_retries": 0,
                "fallback_behavior": "dead_letter",
                "circuit_breaker": False,
            },
        ],
        "observability": {"metrics": True, "logs": True, "traces": True, "health_check": True},
    }
    document.update(changes)
    return document
