"""`jobforge replay --job ID`: re-run a recorded execution and check its artifact hash."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from jobforge.client import JobForgeClient, JobResult
from jobforge.connectors.registry import ConnectorRegistry
from jobforge.errors import JobForgeError
from jobforge.handlers import HandlerRegistry
from jobforge.replay.compare import differing_paths, unified_diff
from jobforge.worker.execution import ClaimedJob, Failed, JobRunner
from jobforge.worker.job_types import JobTypeContract


@dataclass(frozen=True)
class RecordedReplay:
    job_id: uuid.UUID
    attempt: int
    recorded_sha256: str | None
    replayed_sha256: str | None
    report: str

    @property
    def matches(self) -> bool:
        return self.recorded_sha256 is not None and self.recorded_sha256 == self.replayed_sha256


def replay_recorded_job(
    client: JobForgeClient,
    job_id: uuid.UUID | str,
    *,
    registry: HandlerRegistry,
    job_types: Mapping[str, JobTypeContract],
    connectors: ConnectorRegistry | None = None,
    attempt: int | None = None,
) -> RecordedReplay:
    """Run the handler again, in this process, on the recorded input snapshot (clock,
    seed and connector responses included). Nothing is written to the database."""
    job = client.get_job(job_id)
    results = [r for r in client.get_results(job.id) if r.outcome == "succeeded"]
    if attempt is not None:
        results = [r for r in results if r.attempt == attempt]
    if not results:
        which = f"attempt {attempt}" if attempt is not None else "a succeeded attempt"
        raise JobForgeError(f"job {job.id} has no recorded result for {which}")
    recorded = results[-1]
    snapshot = _snapshot(recorded)
    claimed = ClaimedJob(
        id=job.id,
        tenant_id=job.tenant_id,
        type=job.type,
        payload=json.loads(snapshot["payload_canonical"]),
        attempt=recorded.attempt,
        max_attempts=job.max_attempts,
        trace_id=job.trace_id,
        started_at=datetime.fromisoformat(snapshot["now"]),
        replay_context={
            "now": snapshot["now"],
            "seed": snapshot["seed"],
            "connector_responses": snapshot.get("connector_responses") or [],
        },
    )
    runner = JobRunner(registry, "replay", None, job_types=job_types, connectors=connectors)
    try:
        outcome = runner.run(claimed)
    finally:
        runner.close()
    if isinstance(outcome, Failed):
        report = f"the replay failed ({outcome.error.get('kind')}): {outcome.error.get('message')}"
        return RecordedReplay(job.id, recorded.attempt, recorded.artifact_sha256, None, report)
    replayed_output = json.loads(outcome.output_json)
    if outcome.artifact_sha256 == recorded.artifact_sha256:
        report = f"artifact hash matches: {outcome.artifact_sha256}"
    else:
        paths = ", ".join(differing_paths(recorded.output, replayed_output)) or "output"
        diff = unified_diff(
            recorded.output, replayed_output, expected_label="recorded", actual_label="replayed"
        )
        report = (
            f"artifact hash differs: recorded {recorded.artifact_sha256}, replayed "
            f"{outcome.artifact_sha256}; differing field(s): {paths}\n{diff}"
        )
    return RecordedReplay(
        job.id, recorded.attempt, recorded.artifact_sha256, outcome.artifact_sha256, report
    )


def _snapshot(result: JobResult) -> dict[str, Any]:
    snapshot = result.input_snapshot
    if not isinstance(snapshot, dict) or "payload_canonical" not in snapshot:
        raise JobForgeError(
            f"job {result.job_id} attempt {result.attempt} has no input snapshot to replay"
        )
    return snapshot
