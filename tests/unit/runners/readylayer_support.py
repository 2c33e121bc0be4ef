"""Running the ReadyLayer handlers in-process for unit tests: a real JobContext whose
connector calls go to recordings (replay mode) or to an in-memory transport."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
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
from jobforge.replay.cases import DEFAULT_NOW
from jobforge.runners.readylayer import optimize, warm
from jobforge.worker.job_types import JobTypeContract

ROOT = Path(__file__).resolve().parents[3]
RUNNER_ID = "readylayer.edge"
CONTRACT = ROOT / "contracts" / "runners" / f"{RUNNER_ID}.yaml"
CONNECTOR_METADATA = ROOT / "connectors" / "readylayer.cdn" / "metadata.json"
GOLDENS = ROOT / "goldens" / RUNNER_ID
JOB_TYPES = (warm.JOB_TYPE, optimize.JOB_TYPE)


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
    """One handler call: its output (or error), the handler's decisions and the calls."""

    def __init__(
        self,
        job_type: str,
        payload: Any,
        *,
        recordings: Sequence[dict[str, Any]] | None = None,
        transport: Callable[[str, Any], Any] | None = None,
    ) -> None:
        self.trace = DecisionTrace(RUNNER_ID)
        connectors = ConnectorRegistry()
        if transport is not None:
            connectors.register("readylayer.cdn", transport)
        replayed = None
        if recordings is not None:
            replayed = [RecordedResponse.from_json(recording) for recording in recordings]
        self.session = ConnectorSession(connectors, replayed, self.trace.record)
        context = JobContext(
            job_id=uuid.UUID(int=1),
            tenant_id=uuid.UUID(int=2),
            job_type=job_type,
            attempt=1,
            max_attempts=3,
            trace_id="trace",
            worker_id="test",
            now=DEFAULT_NOW,
            seed=0,
            trace=self.trace,
            runner_id=RUNNER_ID,
            connectors=self.session,
        )
        self.output = default_registry.get(job_type).function(payload, context)

    def decisions(self) -> list[dict[str, Any]]:
        """The handler's decisions without their wall-clock timestamps."""
        return [
            {key: value for key, value in event.items() if key != "timestamp"}
            for event in self.trace.events()
            if event["source"] == HANDLER_SOURCE
        ]

    def calls(self) -> list[tuple[str, Any]]:
        return [(exchange.operation, exchange.request) for exchange in self.session.exchanges()]
