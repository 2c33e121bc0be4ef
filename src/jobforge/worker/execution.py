"""Running one claimed job's handler and turning what happened into an outcome."""

from __future__ import annotations

import asyncio
import logging
import traceback
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from jobforge.context import JobContext
from jobforge.determinism.canonical import canonical_json, sha256_hex
from jobforge.errors import HandlerNotFound, InvalidArgument, NonRetryableError
from jobforge.handlers import HandlerRegistry, HandlerSpec
from jobforge.worker.logs import job_log_fields

MAX_TRACEBACK_CHARACTERS = 8_000
_logger = logging.getLogger("jobforge.worker")


@dataclass(frozen=True, slots=True)
class ClaimedJob:
    """A job as claim hands it to the worker; ``attempt`` counts this attempt."""

    id: UUID
    tenant_id: UUID
    type: str
    payload: Any
    attempt: int
    max_attempts: int
    trace_id: str
    started_at: datetime
    ordering_key: str | None = None

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> ClaimedJob:
        return cls(
            id=row["id"],
            tenant_id=row["tenant_id"],
            type=row["type"],
            payload=row["payload"],
            attempt=row["attempts"],
            max_attempts=row["max_attempts"],
            trace_id=row["trace_id"],
            started_at=row["started_at"],
            ordering_key=row.get("ordering_key"),
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


@dataclass(frozen=True, slots=True)
class Succeeded:
    job: ClaimedJob
    output_json: str
    input_sha256: str
    artifact_sha256: str


@dataclass(frozen=True, slots=True)
class Failed:
    job: ClaimedJob
    error: dict[str, Any]
    retryable: bool
    input_sha256: str | None = None


Outcome = Succeeded | Failed


def failure(job: ClaimedJob, kind: str, message: str, *, retryable: bool) -> Failed:
    return Failed(job=job, error={"kind": kind, "message": message}, retryable=retryable)


def _exception_failure(job: ClaimedJob, exc: BaseException, input_sha256: str) -> Failed:
    text = "".join(traceback.format_exception(exc))
    return Failed(
        job=job,
        error={
            "kind": "exception",
            "exception": f"{type(exc).__module__}.{type(exc).__qualname__}",
            "message": str(exc),
            "traceback": text[-MAX_TRACEBACK_CHARACTERS:],
        },
        retryable=not isinstance(exc, NonRetryableError),
        input_sha256=input_sha256,
    )


class JobRunner:
    """Runs handlers for one worker thread (which owns an event loop for async handlers)."""

    def __init__(
        self, registry: HandlerRegistry, worker_id: str, default_timeout_seconds: float | None
    ) -> None:
        self._registry = registry
        self._worker_id = worker_id
        self._default_timeout_seconds = default_timeout_seconds
        self._loop: asyncio.AbstractEventLoop | None = None

    def close(self) -> None:
        if self._loop is not None:
            self._loop.close()
            self._loop = None

    def timeout_for(self, job_type: str) -> float | None:
        """The handler's own timeout, else the worker default; None for unknown types."""
        if job_type not in self._registry:
            return None
        spec = self._registry.get(job_type)
        return spec.timeout_seconds or self._default_timeout_seconds

    def run(self, job: ClaimedJob) -> Outcome:
        fields = job.log_fields(self._worker_id)
        with job_log_fields(fields):
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
            input_sha256 = sha256_hex(canonical_json(job.payload, label="payload"))
            context = JobContext(
                job_id=job.id,
                tenant_id=job.tenant_id,
                job_type=job.type,
                attempt=job.attempt,
                max_attempts=job.max_attempts,
                trace_id=job.trace_id,
                worker_id=self._worker_id,
                now=job.started_at,
                logger=logging.LoggerAdapter(_logger, fields),
            )
            try:
                output = self._call(spec, job.payload, context)
            except HandlerTimeout as exc:
                return Failed(
                    job=job,
                    error={"kind": "timeout", "message": str(exc)},
                    retryable=True,
                    input_sha256=input_sha256,
                )
            except Exception as exc:  # noqa: BLE001 - every handler error becomes a recorded failure
                return _exception_failure(job, exc, input_sha256)
            try:
                output_bytes = canonical_json(output, label="output")
            except InvalidArgument as exc:
                return Failed(
                    job=job,
                    error={"kind": "invalid_output", "message": f"handler returned {exc}"},
                    retryable=False,
                    input_sha256=input_sha256,
                )
            return Succeeded(
                job=job,
                output_json=output_bytes.decode("utf-8"),
                input_sha256=input_sha256,
                artifact_sha256=sha256_hex(output_bytes),
            )

    def _call(self, spec: HandlerSpec, payload: Any, context: JobContext) -> Any:
        if not spec.is_async:
            return spec.function(payload, context)
        if self._loop is None:
            self._loop = asyncio.new_event_loop()
        timeout = spec.timeout_seconds or self._default_timeout_seconds
        coroutine = spec.function(payload, context)
        try:
            return self._loop.run_until_complete(asyncio.wait_for(coroutine, timeout))
        except TimeoutError:
            raise HandlerTimeout(timeout) from None


class HandlerTimeout(Exception):
    def __init__(self, timeout_seconds: float | None) -> None:
        super().__init__(f"handler exceeded its timeout of {timeout_seconds} s")
