"""`jobforge replay --job ID`: re-run a recorded attempt and say whether it happens again.

Any recorded attempt replays: a success (is the artifact hash the same?) and a failed or
dead one (does the same error happen again?). An attempt that ended before its handler
ran, or whose worker was lost, recorded no input snapshot: it replays from the job's
payload with the attempt's start time and seed.
"""

from __future__ import annotations

import enum
import json
import threading
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from jobforge.client import Job, JobForgeClient, JobResult
from jobforge.connectors.registry import ConnectorRegistry
from jobforge.connectors.session import UnrecordedConnectorCall
from jobforge.determinism.records import seed_for
from jobforge.errors import JobForgeError
from jobforge.handlers import HandlerRegistry
from jobforge.replay.compare import differing_paths, unified_diff
from jobforge.replay.follow_ups import (
    differences,
    replayed_signature,
    signature,
    traced_follow_ups,
)
from jobforge.worker.execution import ClaimedJob, Failed, JobRunner, Outcome, Succeeded, failure
from jobforge.worker.job_types import JobTypeContract

REPLAY_WORKER_ID = "replay"
# A replayed output shown in full up to this length, then cut.
MAX_SHOWN_OUTPUT_CHARACTERS = 2_000
UNRECORDED_CALL_KIND = UnrecordedConnectorCall.error_kind


class ReplayUsageError(JobForgeError):
    """The job cannot be replayed as asked (no such attempt, no handler): the caller's to fix."""


class NoReplayHandler(ReplayUsageError):
    """No handler is registered here for the recorded job's type."""

    def __init__(self, job_type: str) -> None:
        super().__init__(f"no handler for job type {job_type}")
        self.job_type = job_type


class ReplayVerdict(enum.Enum):
    REPRODUCED = "reproduced"  # the same artifact hash, or the same failure
    OUTPUT_DIFFERS = "output differs"
    FOLLOW_UPS_DIFFER = "follow-ups differ"  # the same output, other follow-up jobs
    NOW_FAILS = "now fails"
    NOW_SUCCEEDS = "now succeeds"
    FAILURE_DIFFERS = "failure differs"


@dataclass(frozen=True)
class RecordedReplay:
    """What replaying one recorded attempt showed; ``report`` says it for a person."""

    job_id: uuid.UUID
    attempt: int
    recorded_outcome: str  # succeeded, failed or dead
    verdict: ReplayVerdict
    report: str
    from_snapshot: bool = True
    recorded_sha256: str | None = None
    replayed_sha256: str | None = None
    recorded_error: Any = None
    replayed_error: Mapping[str, Any] | None = field(default=None)

    @property
    def matches(self) -> bool:
        """The replay did what the recorded attempt did."""
        return self.verdict is ReplayVerdict.REPRODUCED


def replay_recorded_job(
    client: JobForgeClient,
    job_id: uuid.UUID | str,
    *,
    registry: HandlerRegistry,
    job_types: Mapping[str, JobTypeContract],
    connectors: ConnectorRegistry | None = None,
    attempt: int | None = None,
    default_timeout_seconds: float | None = None,
) -> RecordedReplay:
    """Run the handler again, in this process, on the recorded input of ``attempt`` (by
    default the last recorded one), connector calls answered from the recording.
    Nothing is written to the database."""
    job = client.get_job(job_id)
    recorded = _recorded_attempt(job, client.get_results(job.id), attempt)
    if job.type not in registry:
        raise NoReplayHandler(job.type)
    claimed, from_snapshot = _replayed_job(job, recorded)
    runner = JobRunner(
        registry, REPLAY_WORKER_ID, default_timeout_seconds,
        job_types=_as_recorded(job_types, job.type, recorded), connectors=connectors,
    )  # fmt: skip
    outcome = _run_within_timeout(runner, claimed, registry.get(job.type).is_async)
    verdict, report = _judge(recorded, outcome)
    notes = _notes(recorded, outcome, from_snapshot, job_types.get(job.type))
    return RecordedReplay(
        job_id=job.id,
        attempt=recorded.attempt,
        recorded_outcome=recorded.outcome,
        verdict=verdict,
        report="\n".join([report, *notes]),
        from_snapshot=from_snapshot,
        recorded_sha256=recorded.artifact_sha256,
        replayed_sha256=None if isinstance(outcome, Failed) else outcome.artifact_sha256,
        recorded_error=recorded.error,
        replayed_error=outcome.error if isinstance(outcome, Failed) else None,
    )


def _recorded_attempt(job: Job, results: list[JobResult], attempt: int | None) -> JobResult:
    if not results:
        raise ReplayUsageError(
            f"job {job.id} has no recorded attempt yet (it is {job.state}): "
            "replay needs a finished one"
        )
    if attempt is None:
        return results[-1]
    for result in results:
        if result.attempt == attempt:
            return result
    recorded = ", ".join(str(result.attempt) for result in results)
    raise ReplayUsageError(f"job {job.id} has no recorded attempt {attempt} (recorded: {recorded})")


def _as_recorded(
    job_types: Mapping[str, JobTypeContract], job_type: str, recorded: JobResult
) -> Mapping[str, JobTypeContract]:
    """The contracts to enforce: none for the job type if the live worker enforced none
    (its snapshot names no runner), so the replay checks what the live run checked."""
    snapshot = recorded.input_snapshot
    if isinstance(snapshot, dict) and snapshot.get("runner_id") is None and job_type in job_types:
        return {name: contract for name, contract in job_types.items() if name != job_type}
    return job_types


def _replayed_job(job: Job, recorded: JobResult) -> tuple[ClaimedJob, bool]:
    """The attempt to run again, and whether it comes from a recorded input snapshot."""
    snapshot = recorded.input_snapshot
    if isinstance(snapshot, dict) and "payload_canonical" in snapshot:
        payload = json.loads(snapshot["payload_canonical"])
        replay_context = {
            "now": snapshot["now"],
            "seed": snapshot["seed"],
            "connector_responses": snapshot.get("connector_responses") or [],
        }
        started_at = datetime.fromisoformat(snapshot["now"])
        from_snapshot = True
    else:
        # The job row keeps the payload; the live attempt's clock was its start and its
        # seed is fixed by the job and attempt. Connector calls have nothing to replay.
        payload = job.payload
        started_at = recorded.started_at or job.started_at or recorded.finished_at
        replay_context = {
            "now": started_at.isoformat(),
            "seed": seed_for(job.id, recorded.attempt),
            "connector_responses": [],
        }
        from_snapshot = False
    claimed = ClaimedJob(
        id=job.id,
        tenant_id=job.tenant_id,
        type=job.type,
        payload=payload,
        attempt=recorded.attempt,
        max_attempts=job.max_attempts,
        trace_id=job.trace_id,
        started_at=started_at,
        ordering_key=job.ordering_key,
        replay_context=replay_context,
    )
    return claimed, from_snapshot


def _run_within_timeout(runner: JobRunner, job: ClaimedJob, is_async: bool) -> Outcome:
    """``runner.run(job)``, a sync handler held to its timeout as the worker holds it (an
    async one is held by the runner itself). A handler past its timeout is left running
    on a daemon thread: it cannot be interrupted, and the process ends soon after."""
    timeout = runner.timeout_for(job.type)
    if timeout is None or is_async:
        try:
            return runner.run(job)
        finally:
            runner.close()
    outcomes: list[Outcome] = []
    thread = threading.Thread(
        target=lambda: outcomes.append(runner.run(job)), name="jobforge-replay", daemon=True
    )
    thread.start()
    thread.join(timeout)
    if not outcomes:
        message = f"handler exceeded its timeout of {timeout:.3f} s"
        return failure(job, "timeout", message, retryable=True)
    runner.close()
    return outcomes[0]


def _judge(recorded: JobResult, outcome: Outcome) -> tuple[ReplayVerdict, str]:
    """The verdict and its first lines: what was recorded against what happened now."""
    if recorded.outcome == "succeeded":
        if isinstance(outcome, Failed):
            return ReplayVerdict.NOW_FAILS, (
                f"differs: the recorded attempt succeeded, the replay failed: "
                f"{describe_error(outcome.error)}{_traceback(outcome.error)}"
            )
        if outcome.artifact_sha256 == recorded.artifact_sha256:
            return _judge_follow_ups(recorded, outcome)
        replayed_output = json.loads(outcome.output_json)
        paths = ", ".join(differing_paths(recorded.output, replayed_output)) or "output"
        diff = unified_diff(
            recorded.output, replayed_output, expected_label="recorded", actual_label="replayed"
        )
        return ReplayVerdict.OUTPUT_DIFFERS, (
            f"differs: artifact hash recorded {recorded.artifact_sha256}, replayed "
            f"{outcome.artifact_sha256}; differing field(s): {paths}\n{diff}"
        )
    if not isinstance(outcome, Failed):
        return ReplayVerdict.NOW_SUCCEEDS, (
            f"differs: the recorded attempt failed: {describe_error(recorded.error)}\n"
            f"the replay succeeded, artifact hash {outcome.artifact_sha256}, output:\n"
            f"{_shown(outcome.output_json)}"
        )
    if same_failure(recorded.error, outcome.error):
        return ReplayVerdict.REPRODUCED, (
            f"reproduced: the same failure, {describe_error(outcome.error)}"
            f"{_traceback(outcome.error)}"
        )
    return ReplayVerdict.FAILURE_DIFFERS, (
        f"differs: another failure\n  recorded: {describe_error(recorded.error)}\n"
        f"  replayed: {describe_error(outcome.error)}{_traceback(outcome.error)}"
    )


def _judge_follow_ups(recorded: JobResult, outcome: Succeeded) -> tuple[ReplayVerdict, str]:
    """An output reproduced: were the same follow-up jobs asked for (none are enqueued)?"""
    before = signature(traced_follow_ups(recorded.decision_trace), recorded.job_id)
    now = replayed_signature(outcome.follow_ups, recorded.job_id)
    if before != now:
        diff = differences(before, now, first_label="recorded follow-ups", second_label="replayed")
        return ReplayVerdict.FOLLOW_UPS_DIFFER, (
            f"differs: artifact hash {outcome.artifact_sha256} matches the recorded one, but "
            f"the replay asked for other follow-up jobs ({len(before)} recorded, {len(now)} "
            f"replayed; none were enqueued)\n{diff}"
        )
    asked = f", and the same {len(now)} follow-up job(s)" if now else ""
    return ReplayVerdict.REPRODUCED, (
        f"reproduced: artifact hash {outcome.artifact_sha256} matches the recorded one{asked}"
    )


def same_failure(recorded: Any, replayed: Mapping[str, Any]) -> bool:
    """The same error kind, exception class (when both name one) and message. Timeouts
    match on their kind alone: the message only restates the limit."""
    if not isinstance(recorded, Mapping) or recorded.get("kind") != replayed.get("kind"):
        return False
    if replayed.get("kind") == "timeout":
        return True
    exceptions = (recorded.get("exception"), replayed.get("exception"))
    if None not in exceptions and exceptions[0] != exceptions[1]:
        return False
    return bool(recorded.get("message") == replayed.get("message"))


def describe_error(error: Any) -> str:
    """``kind (exception class): message``, from a recorded or replayed error."""
    if not isinstance(error, Mapping):
        return json.dumps(error, ensure_ascii=False, sort_keys=True)
    kind = error.get("kind", "unknown")
    exception = error.get("exception")
    named = f"{kind} ({exception})" if exception else str(kind)
    return f"{named}: {error.get('message', '')}"


def _traceback(error: Mapping[str, Any]) -> str:
    text = error.get("traceback")
    if not isinstance(text, str) or not text.strip():
        return ""
    indented = "\n".join("    " + line for line in text.rstrip("\n").splitlines())
    return f"\ntraceback of the replay:\n{indented}"


def _shown(output_json: str) -> str:
    if len(output_json) <= MAX_SHOWN_OUTPUT_CHARACTERS:
        return output_json
    return output_json[:MAX_SHOWN_OUTPUT_CHARACTERS] + f"… ({len(output_json)} characters)"


def _notes(
    recorded: JobResult,
    outcome: Outcome,
    from_snapshot: bool,
    contract: JobTypeContract | None,
) -> list[str]:
    """What the reader needs to weigh the verdict: how the input was rebuilt, and why a
    replay may differ for reasons outside the handler."""
    notes = []
    if not from_snapshot:
        notes.append(
            f"note: attempt {recorded.attempt} recorded no input snapshot (it ended before "
            "its handler ran, or its worker was lost): replayed from the job's payload, the "
            "attempt's start time and seed, without recorded connector responses"
        )
    if (
        recorded.outcome != "succeeded"
        and isinstance(outcome, Failed)
        and outcome.error.get("kind") == UNRECORDED_CALL_KIND
    ):
        notes.append(
            "note: a connector call that raised on the live run recorded no response, so "
            "the replay has none to answer it with"
        )
    snapshot = recorded.input_snapshot
    recorded_version = snapshot.get("runner_version") if isinstance(snapshot, dict) else None
    if contract is not None and recorded_version not in (None, contract.runner_version):
        notes.append(
            f"note: recorded with runner {contract.runner_id} {recorded_version}; its "
            f"contract is now at {contract.runner_version}"
        )
    return notes
