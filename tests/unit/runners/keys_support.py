"""Running the keys handlers in-process for unit tests: a real JobContext whose connector
calls go to recordings (replay mode), and the runner contract's schemas."""

from __future__ import annotations

import copy
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from jobforge.connectors.calls import RecordedResponse
from jobforge.connectors.registry import ConnectorRegistry
from jobforge.connectors.session import ConnectorSession
from jobforge.context import JobContext
from jobforge.contracts.loading.loader import load_file
from jobforge.contracts.models.contract_files import RunnerConfig
from jobforge.determinism.trace import HANDLER_SOURCE, DecisionTrace
from jobforge.handlers import default_registry
from jobforge.runners.keys import handlers  # noqa: F401 - registers the handlers
from jobforge.runners.keys.names import RUNNER_ID, STORE_CONNECTOR_ID
from jobforge.worker.job_types import JobTypeContract

ROOT = Path(__file__).resolve().parents[3]
CONTRACT = ROOT / "contracts" / "runners" / f"{RUNNER_ID}.yaml"
GOLDENS = ROOT / "goldens" / RUNNER_ID
MIGRATION = ROOT / "sql" / "migrations" / "0005_api_keys.sql"
TENANT = uuid.UUID(int=2)
NOW = datetime(2025, 3, 1, 12, tzinfo=UTC)
KEY_ID = "ab9117f3-8933-41a1-ab7f-e86e9bffaf89"
NEW_KEY_ID = "1e49257d-2fa8-40a3-bfa3-9eef9ff3d737"
VERIFIER = {
    "kdf": "scrypt",
    "n": 16384,
    "r": 8,
    "p": 1,
    "salt": "2ce29125e467d495e493d1c102969cc0",
    "hash": "5b561a135f90784f0fb753c8ed1ff6376bc6b0c5792c74cb05dacfe8d471df89",
}
ISSUE_PAYLOAD: dict[str, Any] = {
    "key_id": KEY_ID,
    "name": "billing sync",
    "prefix": "jf_ab9117f38933",
    "scopes": ["enqueue:acme.billing.*", "read:jobs"],
    "verifier": VERIFIER,
}
ROTATE_PAYLOAD: dict[str, Any] = {
    "key_id": KEY_ID,
    "grace_seconds": 3600,
    "new_key": {"key_id": NEW_KEY_ID, "prefix": "jf_1e49257d2fa8", "verifier": VERIFIER},
}


def stored_key(key_id: str = KEY_ID, **changes: Any) -> dict[str, Any]:
    """A key document as the store answers with it."""
    return {
        "key_id": key_id,
        "name": "billing sync",
        "prefix": "jf_" + key_id.replace("-", "")[:12],
        "scopes": ["enqueue:acme.billing.*", "read:jobs"],
        "created_at": "2025-03-01T12:00:00.418230+00:00",
        "expires_at": None,
        "revoked_at": None,
        "revoked_reason": None,
        "replaced_by": None,
        **changes,
    }


def changed(document: dict[str, Any], path: Sequence[str | int], value: Any) -> dict[str, Any]:
    """A deep copy of ``document`` with the value at ``path`` replaced (or removed when
    ``value`` is ``...``)."""
    result = copy.deepcopy(document)
    target: Any = result
    for part in path[:-1]:
        target = target[part]
    if value is ...:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return result


def runner_contract() -> RunnerConfig:
    loaded = load_file(CONTRACT, CONTRACT.name)
    assert loaded.ok, loaded.problems
    return RunnerConfig.model_validate(loaded.data)


def job_type_contract(job_type: str) -> JobTypeContract:
    schemas = runner_contract().job_types[job_type]
    return JobTypeContract(
        runner_id=RUNNER_ID,
        runner_version="test",
        input_schema=schemas.input_schema,
        output_schema=schemas.output_schema,
    )


class Run:
    """One handler call answered by ``responses`` ({operation: response}, each usable once
    per call): its output, decisions and the connector calls it made."""

    def __init__(
        self,
        job_type: str,
        payload: Any,
        responses: Sequence[tuple[str, Any]] = (),
        *,
        now: datetime = NOW,
    ) -> None:
        self.trace = DecisionTrace(RUNNER_ID)
        recordings = [
            RecordedResponse(STORE_CONNECTOR_ID, operation, response)
            for operation, response in responses
        ]
        self.session = ConnectorSession(ConnectorRegistry(), recordings, self.trace.record)
        context = JobContext(
            job_id=uuid.UUID(int=1),
            tenant_id=TENANT,
            job_type=job_type,
            attempt=1,
            max_attempts=3,
            trace_id="trace",
            worker_id="test",
            now=now,
            seed=0,
            trace=self.trace,
            runner_id=RUNNER_ID,
            connectors=self.session,
        )
        self.output: Any = default_registry.get(job_type).function(payload, context)

    def decisions(self) -> list[dict[str, Any]]:
        return [
            {key: value for key, value in event.items() if key != "timestamp"}
            for event in self.trace.events()
            if event["source"] == HANDLER_SOURCE
        ]

    def calls(self) -> list[tuple[str, Any]]:
        return [(exchange.operation, exchange.request) for exchange in self.session.exchanges()]
