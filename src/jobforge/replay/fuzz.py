"""Contract fuzzing: generated inputs, real handlers, outputs checked against the contract.

For each job type with an input schema, hypothesis generates payloads from the schema
and runs the handler twice per payload (in this process, on a pinned clock and seed,
connectors answered from recordings). An example fails when the handler fails, when
its output does not validate against the output schema, or when the two runs' artifacts
differ. Hypothesis shrinks a failing example, which is printed as a golden to save.

A handler may refuse an input the schema cannot rule out (a range whose minimum is above
its maximum, an illegal state transition): a non-retryable error with a kind of its own
(``error_kind``) is such a refusal, and passes when both runs refuse alike. An uncaught
exception, an invalid output or a timeout never does.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from hypothesis import HealthCheck, given, settings
from ruamel.yaml import YAML

from jobforge.connectors.registry import ConnectorRegistry
from jobforge.handlers import HandlerRegistry
from jobforge.replay.cases import DEFAULT_NOW, DEFAULT_SEED
from jobforge.replay.strategies import from_schema
from jobforge.worker.execution import ClaimedJob, Failed, JobRunner, Succeeded
from jobforge.worker.job_types import JobTypeContract

FUZZ_TENANT = "00000000-0000-4000-8000-00000000f022"
# Failures that are never a deliberate refusal, whatever else they say.
_DEFECT_KINDS = frozenset({"exception", "invalid_output", "timeout", "network_access"})


class _ExampleFailed(Exception):
    def __init__(self, payload: Any, reason: str) -> None:
        super().__init__(reason)
        self.payload = payload
        self.reason = reason


@dataclass(frozen=True)
class FuzzResult:
    job_type: str
    examples: int
    failure: str | None = None
    failing_payload: Any = None
    golden_yaml: str | None = None

    @property
    def passed(self) -> bool:
        return self.failure is None


def fuzz_job_type(
    job_type: str,
    contract: JobTypeContract,
    *,
    registry: HandlerRegistry,
    examples: int,
    connector_responses: Sequence[Mapping[str, Any]] = (),
    connectors: ConnectorRegistry | None = None,
) -> FuzzResult:
    if contract.input_schema is None:
        return FuzzResult(job_type, 0, failure="the contract has no input schema to fuzz")
    runner = JobRunner(
        registry, "fuzz", None, job_types={job_type: contract}, connectors=connectors
    )
    replay_context = {
        "now": DEFAULT_NOW.isoformat(),
        "seed": DEFAULT_SEED,
        "connector_responses": [dict(r) for r in connector_responses],
    }

    def run_once(payload: Any) -> Succeeded | Failed:
        job = ClaimedJob(
            id=uuid.uuid4(),
            tenant_id=uuid.UUID(FUZZ_TENANT),
            type=job_type,
            payload=payload,
            attempt=1,
            max_attempts=1,
            trace_id=uuid.uuid4().hex,
            started_at=datetime.now(UTC),
            replay_context=replay_context,
        )
        return runner.run(job)

    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(from_schema(contract.input_schema))
    def check(payload: Any) -> None:
        first, second = run_once(payload), run_once(payload)
        if _refused_alike(first, second):
            return
        for outcome in (first, second):
            if isinstance(outcome, Failed):
                kind, message = outcome.error.get("kind"), outcome.error.get("message")
                raise _ExampleFailed(payload, f"the handler failed ({kind}): {message}")
        if not (isinstance(first, Succeeded) and isinstance(second, Succeeded)):
            return
        if first.artifact_sha256 != second.artifact_sha256:
            raise _ExampleFailed(payload, "equal inputs gave different artifacts")

    try:
        check()
    except _ExampleFailed as failed:
        return FuzzResult(
            job_type,
            examples,
            failure=failed.reason,
            failing_payload=failed.payload,
            golden_yaml=golden_yaml(job_type, failed.payload, connector_responses),
        )
    finally:
        runner.close()
    return FuzzResult(job_type, examples)


def golden_yaml(
    job_type: str, payload: Any, connector_responses: Sequence[Mapping[str, Any]]
) -> str:
    """A golden file for the failing example, ready to save and fill in."""
    import io  # noqa: PLC0415 - only needed on failure

    document = {
        "name": f"fuzz regression for {job_type}",
        "job_type": job_type,
        "tenant": FUZZ_TENANT,
        "input": payload,
        "expected_output": {},
        "deterministic": True,
        "connector_responses": [dict(r) for r in connector_responses],
    }
    yaml = YAML(typ="safe", pure=True)
    yaml.default_flow_style = False
    buffer = io.StringIO()
    yaml.dump(document, buffer)
    return buffer.getvalue()


def _refused_alike(first: object, second: object) -> bool:
    """Both runs refused the input on purpose (non-retryable, a kind of the handler's own),
    with the same kind and message."""
    if not (isinstance(first, Failed) and isinstance(second, Failed)):
        return False
    kind = first.error.get("kind")
    return (
        not first.retryable
        and isinstance(kind, str)
        and kind not in _DEFECT_KINDS
        and (first.error.get("kind"), first.error.get("message"))
        == (second.error.get("kind"), second.error.get("message"))
    )
