"""AsyncJobForgeClient: the asyncio twin of JobForgeClient, with the same methods."""

from __future__ import annotations

import asyncio
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
from jobforge.db.connection import connect_async, require_database_url
from jobforge.db.errors import translated_errors
from jobforge.db.queries import query
from jobforge.observability.tracing import enqueue_span


class AsyncJobForgeClient:
    """An asyncio client; calls on one client are serialised on its connection."""

    def __init__(self, database_url: str) -> None:
        self._database_url = database_url
        self._conn: psycopg.AsyncConnection[dict[str, Any]] | None = None
        self._lock = asyncio.Lock()

    @classmethod
    def from_env(cls) -> AsyncJobForgeClient:
        return cls(require_database_url(None))

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()

    async def close(self) -> None:
        async with self._lock:
            if self._conn is not None:
                await self._conn.close()
                self._conn = None

    async def enqueue_job(
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
            rows = await self._fetch("enqueue_job", requests.enqueue_params(spec))
        except Exception as exc:
            if span is not None:
                span.failed(exc)
            raise
        receipt = requests.enqueued(rows[0])
        if span is not None:
            span.enqueued(receipt.id, receipt.trace_id, created=receipt.created)
        return receipt

    async def enqueue_jobs(self, jobs: Iterable[JobSpec | Mapping[str, Any]]) -> list[EnqueuedJob]:
        params = requests.enqueue_many_params(jobs)
        return [EnqueuedJob(*row) for row in await self._fetch_tuples("enqueue_jobs", params)]

    async def get_job(self, job_id: UUID | str) -> Job:
        rows = await self._fetch("get_job", requests.job_id_params(job_id))
        return requests.job_or_raise(rows[0] if rows else None, job_id)

    async def get_results(self, job_id: UUID | str) -> list[JobResult]:
        rows = await self._fetch("get_results", requests.job_id_params(job_id))
        return [JobResult.from_row(row) for row in rows]

    async def get_follow_ups(self, job_id: UUID | str) -> list[Job]:
        """The jobs the job enqueued as follow-ups, in the order asked (see the sync client)."""
        rows = await self._fetch("get_follow_ups", requests.job_id_params(job_id))
        return [Job.from_row(row) for row in rows]

    async def get_result(self, job_id: UUID | str) -> JobResult | None:
        results = await self.get_results(job_id)
        if not results:
            await self.get_job(job_id)
            return None
        return results[-1]

    async def cancel_job(self, job_id: UUID | str) -> Job:
        rows = await self._fetch("cancel_job", requests.job_id_params(job_id))
        return requests.job_or_raise(rows[0] if rows else None, job_id)

    async def discard_job(self, job_id: UUID | str) -> Job:
        """Discard a dead letter (dead becomes canceled); see JobForgeClient.discard_job."""
        rows = await self._fetch("discard_job", requests.job_id_params(job_id))
        return requests.job_or_raise(rows[0] if rows else None, job_id)

    async def requeue_job(self, job_id: UUID | str, *, extra_attempts: int = 1) -> Job:
        """Run a dead or canceled job again with ``extra_attempts`` more attempts."""
        params = {**requests.job_id_params(job_id), "extra_attempts": extra_attempts}
        rows = await self._fetch("requeue_job", params)
        return requests.job_or_raise(rows[0] if rows else None, job_id)

    async def fire_event(
        self,
        *,
        tenant_id: UUID | str,
        event_type: str,
        payload: Mapping[str, Any],
        idempotency_key: str | None = None,
        trace_id: str | None = None,
    ) -> list[FiredJob]:
        params = requests.fire_event_params(
            tenant_id, event_type, payload, idempotency_key, trace_id
        )
        return [requests.fired(row) for row in await self._fetch("fire_event", params)]

    async def create_trigger(
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
        params = requests.trigger_params(
            tenant_id=tenant_id, name=name, event_type=event_type, job_type=job_type,
            payload_filter=payload_filter, payload_defaults=payload_defaults,
            priority=priority, max_attempts=max_attempts, enabled=enabled,
        )  # fmt: skip
        trigger_id: UUID = (await self._fetch("create_trigger", params))[0]["id"]
        return trigger_id

    async def grant_tenant(
        self, role: str, tenant_id: UUID | str, *, kind: GrantKind | str
    ) -> None:
        """Let ``role`` act for ``tenant_id`` as a producer or a worker (see GrantKind).

        Needs the JobForge owner role.
        """
        await self._fetch(
            "grant_tenant", requests.grant_params(role, tenant_id, kind, kind_required=True)
        )

    async def revoke_tenant(
        self, role: str, tenant_id: UUID | str, *, kind: GrantKind | str | None = None
    ) -> bool:
        """Withdraw ``tenant_id`` from ``role`` (one kind of grant, or both by default);
        True if a grant was removed. Needs the JobForge owner role."""
        params = requests.grant_params(role, tenant_id, kind, kind_required=False)
        rows = await self._fetch("revoke_tenant", params)
        return bool(rows[0]["revoked"])

    async def prune_finished_jobs(self, older_than: timedelta, *, limit: int = 10_000) -> int:
        rows = await self._fetch("prune_finished_jobs", requests.prune_params(older_than, limit))
        return int(rows[0]["pruned"])

    async def queue_stats(self) -> list[dict[str, Any]]:
        return await self._fetch("queue_stats", {})

    async def _fetch(self, name: str, params: Mapping[str, Any]) -> list[dict[str, Any]]:
        async with self._lock:
            with translated_errors():
                if self._conn is None or self._conn.closed:
                    self._conn = await connect_async(self._database_url)
                cursor = await self._conn.execute(query(name), params)
                return await cursor.fetchall()

    async def _fetch_tuples(self, name: str, params: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        """Rows as tuples, for results of thousands of rows (no dict per row)."""
        async with self._lock:
            with translated_errors():
                if self._conn is None or self._conn.closed:
                    self._conn = await connect_async(self._database_url)
                cursor = self._conn.cursor(row_factory=tuple_row)
                await cursor.execute(query(name), params)
                return await cursor.fetchall()
