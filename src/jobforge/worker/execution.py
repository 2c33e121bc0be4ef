"""Running one claimed job's handler and turning what happened into a recorded outcome."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import traceback
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from jobforge.connectors.calls import RecordedResponse
from jobforge.connectors.registry import ConnectorRegistry, default_connectors
from jobforge.connectors.runtime import ConnectorRuntime
from jobforge.connectors.session import ConnectorSession
from jobforge.context import JobContext
from jobforge.db.json_loading import UndecodableJson
from jobforge.determinism.canonical import canonical_text_of_json
from jobforge.determinism.network_guard import network_blocked
from jobforge.determinism.records import InputSnapshot, output_artifact, seed_for, snapshot_input
from jobforge.determinism.trace import DecisionTrace
from jobforge.errors import HandlerNotFound, InvalidArgument, NonRetryableError
from jobforge.follow_ups import FollowUp
from jobforge.handlers import HandlerRegistry, HandlerSpec
from jobforge.worker.job_types import JobTypeContract
from jobforge.worker.logs import bind_job_log_fields, unbind_job_log_fields

_logger = logging.getLogger("jobforge.worker")
MAX_TRACEBACK_CHARACTERS = 8_000
# The database refuses larger outputs (jobforge_job_results_output_size).
MAX_OUTPUT_BYTES = 1024 * 1024


@dataclass(slots=True)
class ClaimedJob:
    """A job as claim hands it to the worker; ``attempt`` counts this attempt. Read-only by
    convention (not frozen: a frozen dataclass costs more to build than the worker spends
    on a no-op job's bookkeeping)."""

    id: UUID
    tenant_id: UUID
    type: str
    payload: Any
    attempt: int
    max_attempts: int
    trace_id: str
    started_at: datetime
    ordering_key: str | None = None
    replay_context: Mapping[str, Any] | None = None
    # True when the payload was read from jsonb (so it is JSON, with string keys).
    payload_is_decoded: bool = False
    # (id as an int, attempt): what the worker files this attempt under, computed once.
    key: tuple[int, int] = (0, 0)
    # When the attempt became runnable (claim's time minus this is its queue wait).
    run_at: datetime | None = None

    def __post_init__(self) -> None:
        self.key = (self.id.int, self.attempt)

    @classmethod
    def from_claim_row(cls, row: Sequence[Any]) -> ClaimedJob:
        """From a row of the claim_jobs query (tuple rows: the worker's hot path)."""
        (job_id, tenant_id, job_type, payload, attempts, max_attempts, trace_id, started_at,
         ordering_key, replay_context, run_at) = row  # fmt: skip
        return cls(
            id=job_id,
            tenant_id=tenant_id,
            type=job_type,
            payload=payload,
            attempt=attempts,
            max_attempts=max_attempts,
            trace_id=trace_id,
            started_at=started_at,
            ordering_key=ordering_key,
            replay_context=replay_context,
            payload_is_decoded=True,
            run_at=run_at,
        )

    def log_fields(self, worker_id: str) -> dict[str, Any]:
        return {
            "trace_id": self.trace_id,
            "job_id": str(self.id),
            "tenant_id": str(self.tenant_id),
            "type": self.type,
            "attempt": self.attempt,
            "worker_id": worker_id,
        }


class _JobLogFields:
    """The log fields of the job a handler thread runs, built only if a line is logged."""

    __slots__ = ("_job", "_worker_id")

    def __init__(self, job: ClaimedJob, worker_id: str) -> None:
        self._job = job
        self._worker_id = worker_id

    def log_fields(self) -> dict[str, Any]:
        return self._job.log_fields(self._worker_id)


@dataclass(slots=True)
class Records:
    """The determinism records of one attempt, rendered as the members of the JSON document
    the reporter sends: ``"input_snapshot":{...},"decision_trace":[...],"input_sha256":"..."``
    (rendered on the handler thread, so the reporter only joins text)."""

    json_members: str

    @classmethod
    def render(
        cls, snapshot: InputSnapshot, exchanges_json: str, trace_json: str, now_text: str
    ) -> Records:
        return cls(
            f'"input_snapshot":{snapshot.to_json_text(exchanges_json, now_text=now_text)},'
            f'"decision_trace":{trace_json},"input_sha256":"{snapshot.payload_sha256}"'
        )


@dataclass(slots=True)
class Succeeded:
    job: ClaimedJob
    output_json: str
    artifact_sha256: str
    records: Records
    # Enqueued with the result, in the transaction that completes the attempt.
    follow_ups: tuple[FollowUp, ...] = ()
    # How long the handler ran (set by the worker, for its metrics).
    duration_seconds: float = 0.0


@dataclass(slots=True)
class Failed:
    job: ClaimedJob
    error: dict[str, Any]
    retryable: bool
    records: Records | None = None
    # When the job runs again (None: the job's backoff schedule), from the exception's
    # ``retry_in_seconds`` (a connector failure queued by its metadata sets it).
    retry_in_seconds: float | None = None
    # How long the handler ran (set by the worker, for its metrics).
    duration_seconds: float = 0.0


Outcome = Succeeded | Failed
# Records and outcomes are read-only by convention; like ClaimedJob they are not frozen
# dataclasses, whose set-up costs more than the rest of a no-op job's bookkeeping.


def failure(job: ClaimedJob, kind: str, message: str, *, retryable: bool) -> Failed:
    return Failed(job=job, error={"kind": kind, "message": storable(message)}, retryable=retryable)


def storable(text: str) -> str:
    """``text`` without U+0000, which jsonb cannot store (shown as U+FFFD instead)."""
    return text.replace("\x00", "\ufffd")


class HandlerTimeout(Exception):
    def __init__(self, timeout_seconds: float | None) -> None:
        super().__init__(f"handler exceeded its timeout of {timeout_seconds} s")


class JobRunner:
    """Runs handlers for one worker thread (which owns an event loop for async handlers)."""

    def __init__(
        self,
        registry: HandlerRegistry,
        worker_id: str,
        default_timeout_seconds: float | None,
        *,
        job_types: Mapping[str, JobTypeContract] | None = None,
        connectors: ConnectorRegistry | None = None,
        connector_runtime: ConnectorRuntime | None = None,
    ) -> None:
        self._registry = registry
        self._worker_id = worker_id
        self._default_timeout_seconds = default_timeout_seconds
        self._job_types = job_types or {}
        self._connectors = connectors if connectors is not None else default_connectors
        self._connector_runtime = connector_runtime
        self._loop: asyncio.AbstractEventLoop | None = None
        # The jobs of one claim share their started_at: format it once.
        self._last_time: tuple[datetime, str] | None = None

    def isoformat(self, moment: datetime) -> str:
        """``moment.isoformat()``, remembered for the next call (equal instants written
        with another UTC offset are other texts)."""
        last = self._last_time
        # The same tzinfo object (psycopg gives one per connection), wall time and fold
        # write the same text; anything else is formatted afresh.
        if (
            last is not None
            and last[0].tzinfo is moment.tzinfo
            and last[0].fold == moment.fold
            and last[0] == moment
        ):
            return last[1]
        text = moment.isoformat()
        self._last_time = (moment, text)
        return text

    def close(self) -> None:
        if self._loop is not None:
            self._loop.close()
            self._loop = None

    def discard_loop(self) -> None:
        """Drop the event loop after an exception escaped it with a task still pending."""
        loop, self._loop = self._loop, None
        if loop is None:
            return
        for task in asyncio.all_tasks(loop):
            task.cancel()
        with contextlib.suppress(Exception):
            loop.run_until_complete(asyncio.sleep(0))  # let the cancellations land
            loop.close()

    def timeout_for(self, job_type: str) -> float | None:
        """The handler's own timeout, else the contract's, else the worker default."""
        if job_type not in self._registry:
            return None
        contract = self._job_types.get(job_type)
        return (
            self._registry.get(job_type).timeout_seconds
            or (contract.timeout_seconds if contract else None)
            or self._default_timeout_seconds
        )

    def run(self, job: ClaimedJob) -> Outcome:
        token = bind_job_log_fields(_JobLogFields(job, self._worker_id))
        try:
            undecodable = _undecodable_part(job)
            if undecodable is not None:
                # Another attempt would read the same bytes: dead at once, the worker goes on.
                return failure(job, "undecodable_payload", undecodable, retryable=False)
            try:
                spec = self._registry.get(job.type)
            except HandlerNotFound as exc:
                known = ", ".join(self._registry.job_types()) or "none"
                return failure(
                    job,
                    "no_handler",
                    f"{exc} on worker {self._worker_id} (registered: {known})",
                    retryable=False,
                )
            try:
                return _Attempt(self, spec, job).run()
            except BaseException as exc:
                # Handler errors are caught inside the attempt; this is anything else going
                # wrong around the handler. Without an outcome the job would stay leased.
                _logger.exception("the worker could not complete this attempt")
                return failure(
                    job,
                    "worker_error",
                    f"the worker failed around the handler: {type(exc).__name__}: "
                    f"{exception_text(exc)}",
                    retryable=True,
                )
        finally:
            unbind_job_log_fields(token)


class _Attempt:
    """One attempt of one job: context, input check, handler call, output check, records."""

    def __init__(self, runner: JobRunner, spec: HandlerSpec, job: ClaimedJob) -> None:
        self._runner = runner
        self._spec = spec
        self._job = job
        self._contract = runner._job_types.get(job.type)
        replay = job.replay_context
        recordings = None
        if replay is None:  # a live run
            self._now = job.started_at
            self._seed = seed_for(job.id, job.attempt)
        else:
            self._now = _parse_now(replay.get("now")) or job.started_at
            seed = replay.get("seed")
            self._seed = seed if isinstance(seed, int) else seed_for(job.id, job.attempt)
            recordings = replay.get("connector_responses")
        runner_id = self._contract.runner_id if self._contract else None
        self._trace = DecisionTrace(runner_id)
        self._session = ConnectorSession(
            runner._connectors,
            [RecordedResponse.from_json(r) for r in recordings] if recordings is not None else None,
            self._trace.record,
            runtime=runner._connector_runtime,
            seed=self._seed,
        )

    def run(self) -> Outcome:  # noqa: PLR0911 - each way an attempt can end is a return
        job = self._job
        try:
            snapshot = snapshot_input(
                job_type=job.type,
                payload=job.payload,
                runner_id=self._contract.runner_id if self._contract else None,
                runner_version=self._contract.runner_version if self._contract else None,
                now=self._now,
                seed=self._seed,
                payload_is_decoded=job.payload_is_decoded,
            )
        except InvalidArgument as exc:
            return failure(job, "invalid_input", str(exc), retryable=False)
        self._trace.record(
            "claimed",
            {"attempt": job.attempt, "worker_id": self._runner._worker_id},
            timestamp=self._runner.isoformat(job.started_at),
        )
        if self._contract is not None:
            problems = self._contract.input_errors(job.payload)
            if problems:
                return self._failed(snapshot, "invalid_input", "; ".join(problems), False)
            self._trace.record("validated", {"schema": "input"})
        context = JobContext(
            job_id=job.id,
            tenant_id=job.tenant_id,
            job_type=job.type,
            attempt=job.attempt,
            max_attempts=job.max_attempts,
            trace_id=job.trace_id,
            worker_id=self._runner._worker_id,
            now=self._now,
            seed=self._seed,
            trace=self._trace,
            runner_id=self._contract.runner_id if self._contract else None,
            connectors=self._session,
        )
        try:
            output = self._call(context)
        except HandlerTimeout as exc:
            return self._failed(snapshot, "timeout", str(exc), True)
        # Every handler error becomes a recorded failure, BaseException included: a handler
        # calling sys.exit() or raising KeyboardInterrupt ends its attempt, not its thread.
        except BaseException as exc:  # noqa: BLE001
            return self._exception(snapshot, exc)
        try:
            artifact = output_artifact(output)
        except InvalidArgument as exc:
            return self._failed(snapshot, "invalid_output", f"handler returned {exc}", False)
        size = artifact.size_bytes
        if size > MAX_OUTPUT_BYTES:
            message = f"output: {size} bytes of JSON, above the {MAX_OUTPUT_BYTES}-byte limit"
            return self._failed(snapshot, "invalid_output", message, False)
        if self._contract is not None:
            problems = self._contract.output_errors(output)
            if problems:
                return self._failed(snapshot, "invalid_output", "; ".join(problems), True)
        return Succeeded(
            job=job,
            output_json=artifact.canonical,
            artifact_sha256=artifact.sha256,
            records=self._records(snapshot),
            follow_ups=context.follow_ups,
        )

    def _call(self, context: JobContext) -> Any:
        replaying = self._session.replaying
        if not self._spec.is_async:
            if replaying:
                with network_blocked():
                    return self._spec.function(self._job.payload, context)
            return self._spec.function(self._job.payload, context)
        runner = self._runner
        if runner._loop is None:
            runner._loop = asyncio.new_event_loop()
        timeout = runner.timeout_for(self._job.type)
        coroutine = self._spec.function(self._job.payload, context)
        try:
            if replaying:
                with network_blocked():
                    return runner._loop.run_until_complete(asyncio.wait_for(coroutine, timeout))
            return runner._loop.run_until_complete(asyncio.wait_for(coroutine, timeout))
        except TimeoutError:
            raise HandlerTimeout(timeout) from None
        except (KeyboardInterrupt, SystemExit):
            # asyncio lets these out of the loop mid-task: the next job gets a fresh loop.
            runner.discard_loop()
            raise

    def _records(self, snapshot: InputSnapshot) -> Records:
        exchanges = [exchange.to_json() for exchange in self._session.exchanges()]
        exchanges_json = canonical_text_of_json(exchanges) if exchanges else "[]"
        now_text = self._runner.isoformat(self._now)
        return Records.render(snapshot, exchanges_json, self._trace.to_json_text(), now_text)

    def _failed(self, snapshot: InputSnapshot, kind: str, message: str, retryable: bool) -> Failed:
        self._trace.record("failed", {"kind": kind, "retryable": retryable})
        return Failed(
            job=self._job,
            error={"kind": kind, "message": storable(message)},
            retryable=retryable,
            records=self._records(snapshot),
        )

    def _exception(self, snapshot: InputSnapshot, exc: BaseException) -> Failed:
        retryable = not isinstance(exc, NonRetryableError)
        kind = str(getattr(exc, "error_kind", None) or "exception")
        self._trace.record("failed", {"kind": kind, "retryable": retryable})
        return Failed(
            job=self._job,
            error={
                "kind": kind,
                "exception": f"{type(exc).__module__}.{type(exc).__qualname__}",
                "message": storable(exception_text(exc)),
                "traceback": storable(
                    "".join(traceback.format_exception(exc))[-MAX_TRACEBACK_CHARACTERS:]
                ),
            },
            retryable=retryable,
            records=self._records(snapshot),
            retry_in_seconds=_retry_in_seconds(exc) if retryable else None,
        )


def _retry_in_seconds(exc: BaseException) -> float | None:
    """The exception's ``retry_in_seconds``, if it is a finite number of seconds >= 0."""
    value = getattr(exc, "retry_in_seconds", None)
    if isinstance(value, int | float) and not isinstance(value, bool) and 0 <= value < math.inf:
        return float(value)
    return None


def _undecodable_part(job: ClaimedJob) -> str | None:
    """Why the job's payload (or replay context) could not be decoded, if it could not."""
    for name, value in (("payload", job.payload), ("replay_context", job.replay_context)):
        if isinstance(value, UndecodableJson):
            return f"the {name} cannot be decoded: {value.reason}"
    return None


def exception_text(exc: BaseException) -> str:
    """``str(exc)``, which runs the exception's own code: if that fails, say so instead."""
    try:
        return str(exc)
    except Exception as problem:  # noqa: BLE001 - any failure is described, not raised
        return f"<{type(exc).__qualname__}: str() raised {type(problem).__name__}>"


def _parse_now(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None
