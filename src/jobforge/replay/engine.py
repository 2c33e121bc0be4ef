"""Running goldens through the real client and worker, and judging the results."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from jobforge.client import JobForgeClient, JobResult, JobSpec
from jobforge.connectors.registry import ConnectorRegistry
from jobforge.determinism.canonical import canonical_text_of_json
from jobforge.determinism.trace import HANDLER_SOURCE
from jobforge.handlers import HandlerRegistry
from jobforge.replay.cases import GoldenSpec
from jobforge.replay.compare import differing_paths, is_subset, restrict, unified_diff
from jobforge.replay.follow_ups import (
    differences,
    expected_follow_up_problems,
    signature,
    traced_follow_ups,
)
from jobforge.worker import Worker, WorkerConfig
from jobforge.worker.job_types import JobTypeContract

# A golden whose handler runs longer than this fails with a timeout.
GOLDEN_TIMEOUT_SECONDS = 30.0


@dataclass
class GoldenOutcome:
    """The verdict on one golden: passed, or the problems found (each readable alone)."""

    golden: GoldenSpec
    job_ids: list[uuid.UUID] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    actual_output: Any = None
    artifact_sha256: str | None = None
    seconds: float = 0.0

    @property
    def passed(self) -> bool:
        return not self.problems


@dataclass(frozen=True)
class _Run:
    golden: GoldenSpec
    job_ids: tuple[uuid.UUID, ...]


def run_goldens(
    database_url: str,
    goldens: Sequence[GoldenSpec],
    *,
    registry: HandlerRegistry,
    job_types: Mapping[str, JobTypeContract],
    connectors: ConnectorRegistry | None = None,
    on_outcome: Callable[[GoldenOutcome], None] | None = None,
) -> list[GoldenOutcome]:
    """Enqueue every golden (twice when deterministic), drain them with one burst worker,
    then judge each. Each golden runs under a tenant of its own."""
    started = time.perf_counter()
    with JobForgeClient(database_url) as client:
        runs = _enqueue(client, goldens)
        worker = Worker(
            database_url,
            registry=registry,
            config=WorkerConfig(
                burst=True,
                concurrency=4,
                prefetch=64,
                batch_size=64,
                default_timeout_seconds=GOLDEN_TIMEOUT_SECONDS,
                shutdown_grace_seconds=0,  # Ctrl-C ends a replay at once
            ),
            job_types=job_types,
            connectors=connectors,
        )
        worker.run()
        drained = time.perf_counter() - started
        outcomes = []
        for run in runs:
            outcome = _judge(client, run)
            outcome.seconds = drained / max(1, len(runs))
            outcomes.append(outcome)
            if on_outcome is not None:
                on_outcome(outcome)
    return outcomes


def _enqueue(client: JobForgeClient, goldens: Sequence[GoldenSpec]) -> list[_Run]:
    specs: list[JobSpec] = []
    owners: list[int] = []
    for index, golden in enumerate(goldens):
        copies = 2 if golden.deterministic else 1
        for _ in range(copies):
            specs.append(
                JobSpec(
                    tenant_id=golden.tenant_id,
                    type=golden.job_type,
                    payload=golden.input,
                    max_attempts=1,
                    replay_context=golden.replay_context(),
                )
            )
            owners.append(index)
    receipts = client.enqueue_jobs(specs)
    job_ids: dict[int, list[uuid.UUID]] = {}
    for owner, receipt in zip(owners, receipts, strict=True):
        job_ids.setdefault(owner, []).append(receipt.id)
    return [_Run(golden, tuple(job_ids[index])) for index, golden in enumerate(goldens)]


def _judge(client: JobForgeClient, run: _Run) -> GoldenOutcome:
    golden = run.golden
    outcome = GoldenOutcome(golden=golden, job_ids=list(run.job_ids))
    results = [client.get_result(job_id) for job_id in run.job_ids]
    first = results[0]
    if first is None:
        outcome.problems.append(f"job {run.job_ids[0]} did not finish")
        return outcome
    if golden.expected_error is not None:
        _check_error(golden.expected_error, first, outcome)
        _check_trace(golden, first, outcome)
        if golden.deterministic and not outcome.problems:
            _check_same_failure(results, run.job_ids, outcome)
        return outcome
    if first.outcome != "succeeded":
        outcome.problems.append(_describe_failure(first))
        return outcome
    outcome.actual_output = first.output
    outcome.artifact_sha256 = first.artifact_sha256
    _check_output(golden, first, outcome)
    _check_trace(golden, first, outcome)
    _check_artifact(golden, first, outcome)
    if golden.expected_follow_ups is not None:
        outcome.problems += expected_follow_up_problems(
            golden.expected_follow_ups, first.follow_ups
        )
    if golden.deterministic:
        _check_determinism(results, run.job_ids, outcome)
    return outcome


def _describe_failure(result: JobResult) -> str:
    error = result.error if isinstance(result.error, dict) else {}
    kind = error.get("kind", "error")
    message = error.get("message", "")
    return f"job {result.job_id} failed ({kind}): {message}"


def _check_error(expected: Mapping[str, Any], result: JobResult, outcome: GoldenOutcome) -> None:
    """The job must have failed with the expected kind, its message containing the text."""
    if result.outcome == "succeeded":
        outcome.actual_output = result.output
        output = canonical_text_of_json(result.output)
        outcome.problems.append(
            f"expected_error {expected['kind']!r}, but job {result.job_id} succeeded with "
            f"output {output[:500]}"
        )
        return
    error = result.error if isinstance(result.error, dict) else {}
    kind, message = str(error.get("kind", "")), str(error.get("message", ""))
    if kind != expected["kind"]:
        outcome.problems.append(
            f"expected_error kind {expected['kind']!r}, but job {result.job_id} failed with "
            f"{kind!r}: {message}"
        )
        return
    wanted = expected.get("message_contains")
    if wanted is not None and wanted not in message:
        outcome.problems.append(
            f"expected_error message to contain {wanted!r}, but job {result.job_id} failed "
            f"with: {message}"
        )


def _check_same_failure(
    results: list[JobResult | None], job_ids: tuple[uuid.UUID, ...], outcome: GoldenOutcome
) -> None:
    """A deterministic golden that fails must fail the same way twice."""
    first, second = results[0], results[1] if len(results) > 1 else None
    assert first is not None
    if second is None:
        outcome.problems.append(
            f"the second run (determinism check): job {job_ids[1]} did not finish"
        )
        return
    first_error = first.error if isinstance(first.error, dict) else {}
    second_error = second.error if isinstance(second.error, dict) else {}
    shown = ("kind", "message")
    if second.outcome != first.outcome or any(
        first_error.get(key) != second_error.get(key) for key in shown
    ):
        outcome.problems.append(
            "not deterministic: two runs of the same input failed differently "
            f"({first_error.get('kind')}: {first_error.get('message')!s} vs "
            f"{second_error.get('kind')}: {second_error.get('message')!s})"
        )


def _check_output(golden: GoldenSpec, result: JobResult, outcome: GoldenOutcome) -> None:
    expected, actual = golden.expected_output, result.output
    matches = expected == actual if golden.exact else is_subset(expected, actual)
    if not matches:
        how = "equal to" if golden.exact else "contained in"
        shown = actual if golden.exact else restrict(actual, expected)
        diff = unified_diff(
            expected, shown, expected_label="expected_output", actual_label="actual output"
        )
        outcome.problems.append(
            f"expected_output is not {how} the actual output (job {result.job_id}):\n{diff}"
        )


def _check_trace(golden: GoldenSpec, result: JobResult, outcome: GoldenOutcome) -> None:
    """Every decision the handler recorded must carry every expected trace key (the worker's
    own events have their fixed shape and are not held to the golden's keys)."""
    if not golden.expected_trace_keys:
        return
    events = result.decision_trace if isinstance(result.decision_trace, list) else []
    decisions = [event for event in events if event.get("source") == HANDLER_SOURCE]
    if not decisions:
        outcome.problems.append(
            f"expected_trace_keys {list(golden.expected_trace_keys)}: the handler recorded "
            "no decisions (ctx.trace.decision(...))"
        )
    for event in decisions:
        missing = [key for key in golden.expected_trace_keys if key not in event]
        if missing:
            outcome.problems.append(
                f"decision {event.get('decision')!r} lacks expected_trace_keys {missing}"
            )


def _check_artifact(golden: GoldenSpec, result: JobResult, outcome: GoldenOutcome) -> None:
    if not golden.expected_artifact_keys:
        return
    artifact = result.output if isinstance(result.output, dict) else {}
    missing = [key for key in golden.expected_artifact_keys if key not in artifact]
    if missing:
        outcome.problems.append(f"the output artifact lacks expected_artifact_keys {missing}")


def _check_determinism(
    results: list[JobResult | None], job_ids: tuple[uuid.UUID, ...], outcome: GoldenOutcome
) -> None:
    second = results[1] if len(results) > 1 else None
    first = results[0]
    assert first is not None
    if second is None or second.outcome != "succeeded":
        detail = _describe_failure(second) if second else f"job {job_ids[1]} did not finish"
        outcome.problems.append(f"the second run (determinism check) failed: {detail}")
        return
    if first.artifact_sha256 != second.artifact_sha256:
        paths = list(differing_paths(first.output, second.output)) or ["output"]
        outcome.problems.append(
            "not deterministic: two runs of the same input gave different artifacts "
            f"({str(first.artifact_sha256)[:12]}… vs {str(second.artifact_sha256)[:12]}…); "
            f"differing field(s): {', '.join(paths)}. Use ctx.now, ctx.random and "
            "connectors instead of the wall clock, unseeded randomness or the network."
        )
    asked = [
        signature(traced_follow_ups(result.decision_trace), job_id)
        for result, job_id in zip((first, second), job_ids, strict=False)
    ]
    if asked[0] != asked[1]:
        outcome.problems.append(
            "not deterministic: two runs of the same input asked for different follow-ups "
            "(ctx.follow_up):\n"
            + differences(asked[0], asked[1], first_label="first run", second_label="second run")
        )
