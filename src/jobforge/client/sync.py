"""JobForgeClient: enqueue, inspect, cancel and fire events over one connection."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from types import TracebackType
from typing import Any, Self
from uuid import UUID

import psycopg
from psycopg.rows import tuple_row

from jobforge.client import requests
from jobforge.client.models import (
    EnqueuedJob,
    FiredJob,
    GrantKind,
    Job,
    JobResult,
    JobSpec,
)
from jobforge.db.connection import connect, require_database_url
from jobforge.db.errors import translated_errors
from jobforge.db.queries import query
from jobforge.observability.tracing import enqueue_span


class JobForgeClient:
    """A synchronous client. Thread-safe: calls on one client are serialised.

    Every method raises JobForge errors (``jobforge.errors``), never raw psycopg errors.
    """

    def __init__(self, database_url: str) -> None:
        self._database_url = database_url
        self._conn: psycopg.Connection[dict[str, Any]] | None = None
        self._lock = threading.Lock()

    @classmethod
    def from_env(cls) -> JobForgeClient:
        """A client for JOBFORGE_DATABASE_URL (or DATABASE_URL)."""
        return cls(require_database_url(None))

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def enqueue_job(
        self,
        *,
        tenant_id: UUID | str,
        type: str,
        payload: Any,
        idempotency_key: str | None = None,
        priority: int = 0,
        run_at: datetime | None = None,
        max_attempts: int = 5,
        ordering_key: str | None = None,
        trace_id: str | None = None,
        backoff_base_seconds: float | None = None,
        backoff_cap_seconds: float | None = None,
        replay_context: Mapping[str, Any] | None = None,
    ) -> EnqueuedJob:
        """Enqueue one job. The same (tenant, type, idempotency_key) returns the same job.

        With an OpenTelemetry tracer provider configured, the enqueue is a span, and a job
        enqueued without a trace id while a span is active gets that span's trace id."""
        span = enqueue_span(tenant_id, type, trace_id)
        if span is not None:
            trace_id = span.trace_id
        spec = JobSpec(
            tenant_id=tenant_id, type=type, payload=payload, idempotency_key=idempotency_key,
            priority=priority, run_at=run_at, max_attempts=max_attempts,
            ordering_key=ordering_key, trace_id=trace_id,
            backoff_base_seconds=backoff_base_seconds, backoff_cap_seconds=backoff_cap_seconds,
            replay_context=replay_context,
        )  # fmt: skip
        try:
            rows = self._fetch("enqueue_job", requests.enqueue_params(spec))
        except Exception as exc:
            if span is not None:
                span.failed(exc)
            raise
        receipt = requests.enqueued(rows[0])
        if span is not None:
            span.enqueued(receipt.id, receipt.trace_id, created=receipt.created)
        return receipt

    def enqueue_jobs(self, jobs: Iterable[JobSpec | Mapping[str, Any]]) -> list[EnqueuedJob]:
        """Enqueue many jobs in one round trip; receipts come back in input order."""
        params = requests.enqueue_many_params(jobs)
        return [EnqueuedJob(*row) for row in self._fetch_tuples("enqueue_jobs", params)]

    def get_job(self, job_id: UUID | str) -> Job:
        rows = self._fetch("get_job", requests.job_id_params(job_id))
        return requests.job_or_raise(rows[0] if rows else None, job_id)

    def get_results(self, job_id: UUID | str) -> list[JobResult]:
        """Every recorded attempt of the job, oldest first."""
        rows = self._fetch("get_results", requests.job_id_params(job_id))
        return [JobResult.from_row(row) for row in rows]

    def get_follow_ups(self, job_id: UUID | str) -> list[Job]:
        """The jobs the job enqueued as follow-ups (``ctx.follow_up``), in the order asked.
        A follow-up whose idempotency key found an existing job is not among them: the
        result's ``follow_ups`` names that job."""
        rows = self._fetch("get_follow_ups", requests.job_id_params(job_id))
        return [Job.from_row(row) for row in rows]

    def get_result(self, job_id: UUID | str) -> JobResult | None:
        """The latest recorded attempt of the job, or None while none has finished."""
        results = self.get_results(job_id)
        if not results:
            self.get_job(job_id)  # raises JobNotFound for an unknown id
            return None
        return results[-1]

    def cancel_job(self, job_id: UUID | str) -> Job:
        """Cancel a job that has not finished; returns the job as it now stands."""
        rows = self._fetch("cancel_job", requests.job_id_params(job_id))
        return requests.job_or_raise(rows[0] if rows else None, job_id)

    def discard_job(self, job_id: UUID | str) -> Job:
        """Discard a dead letter: a dead job becomes canceled, so it leaves the dead-letter
        queue and never runs again unless requeued; its last error, finish time and
        recorded attempts are kept. A job in another state is returned unchanged (use
        ``cancel_job`` for one that has not finished). Needs a producer grant for the
        job's tenant; JobNotFound when it does not exist or is not visible."""
        rows = self._fetch("discard_job", requests.job_id_params(job_id))
        return requests.job_or_raise(rows[0] if rows else None, job_id)

    def requeue_job(self, job_id: UUID | str, *, extra_attempts: int = 1) -> Job:
        """Run a dead or canceled job again with ``extra_attempts`` more attempts."""
        params = {**requests.job_id_params(job_id), "extra_attempts": extra_attempts}
        rows = self._fetch("requeue_job", params)
        return requests.job_or_raise(rows[0] if rows else None, job_id)

    def fire_event(
        self,
        *,
        tenant_id: UUID | str,
        event_type: str,
        payload: Mapping[str, Any],
        idempotency_key: str | None = None,
        trace_id: str | None = None,
    ) -> list[FiredJob]:
        """Fire an event: one job per matching trigger of the tenant."""
        params = requests.fire_event_params(
            tenant_id, event_type, payload, idempotency_key, trace_id
        )
        return [requests.fired(row) for row in self._fetch("fire_event", params)]

    def create_trigger(
        self,
        *,
        tenant_id: UUID | str,
        name: str,
        event_type: str,
        job_type: str,
        payload_filter: Mapping[str, Any] | None = None,
        payload_defaults: Mapping[str, Any] | None = None,
        priority: int = 0,
        max_attempts: int = 5,
        enabled: bool = True,
    ) -> UUID:
        """Create (or replace, by name) a route from an event type to a job type."""
        params = requests.trigger_params(
            tenant_id=tenant_id, name=name, event_type=event_type, job_type=job_type,
            payload_filter=payload_filter, payload_defaults=payload_defaults,
            priority=priority, max_attempts=max_attempts, enabled=enabled,
        )  # fmt: skip
        trigger_id: UUID = self._fetch("create_trigger", params)[0]["id"]
        return trigger_id

    def grant_tenant(self, role: str, tenant_id: UUID | str, *, kind: GrantKind | str) -> None:
        """Let ``role`` act for ``tenant_id`` as a producer or a worker (see GrantKind).

        Needs the JobForge owner role.
        """
        self._fetch(
            "grant_tenant", requests.grant_params(role, tenant_id, kind, kind_required=True)
        )

    def revoke_tenant(
        self, role: str, tenant_id: UUID | str, *, kind: GrantKind | str | None = None
    ) -> bool:
        """Withdraw ``tenant_id`` from ``role`` (one kind of grant, or both by default);
        True if a grant was removed. Needs the JobForge owner role."""
        params = requests.grant_params(role, tenant_id, kind, kind_required=False)
        rows = self._fetch("revoke_tenant", params)
        return bool(rows[0]["revoked"])

    def prune_finished_jobs(self, older_than: timedelta, *, limit: int = 10_000) -> int:
        """Delete up to ``limit`` jobs finished before now - older_than, with their results."""
        rows = self._fetch("prune_finished_jobs", requests.prune_params(older_than, limit))
        return int(rows[0]["pruned"])

    def queue_stats(self) -> list[dict[str, Any]]:
        return self._fetch("queue_stats", {})

    def _fetch(self, name: str, params: Mapping[str, Any]) -> list[dict[str, Any]]:
        with self._lock, translated_errors():
            if self._conn is None or self._conn.closed:
                self._conn = connect(self._database_url)
            return self._conn.execute(query(name), params).fetchall()

    def _fetch_tuples(self, name: str, params: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        """Rows as tuples, for results of thousands of rows (no dict per row)."""
        with self._lock, translated_errors():
            if self._conn is None or self._conn.closed:
                self._conn = connect(self._database_url)
            cursor = self._conn.cursor(row_factory=tuple_row)
            return cursor.execute(query(name), params).fetchall()
