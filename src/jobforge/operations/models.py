"""The operator read models: plain frozen dataclasses a CLI or a dashboard renders."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID

from jobforge.operations.filters import Cursor


@dataclasses.dataclass(frozen=True, slots=True)
class JobSummary:
    """A job as a listing shows it (no payload: payloads may be a megabyte each)."""

    id: UUID
    tenant_id: UUID
    type: str
    state: str
    priority: int
    attempts: int
    max_attempts: int
    run_at: datetime
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    parent_job_id: UUID | None
    trace_id: str
    idempotency_key: str | None
    last_error: Any

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> JobSummary:
        return cls(**{field.name: row[field.name] for field in dataclasses.fields(cls)})


@dataclasses.dataclass(frozen=True, slots=True)
class JobPage:
    """One page of a listing, and where the next one starts (None: this is the last)."""

    jobs: tuple[JobSummary, ...]
    next_cursor: Cursor | None


@dataclasses.dataclass(frozen=True, slots=True)
class Attempt:
    """One finished attempt as recorded in jobforge_job_results.

    ``output``, ``decision_trace`` and ``artifact_canonical`` are read for the job being
    inspected only (None for the others of an impact tree).
    """

    job_id: UUID
    attempt: int
    outcome: str
    worker_id: str | None
    started_at: datetime | None
    finished_at: datetime
    error: Any
    artifact_sha256: str | None
    input_sha256: str | None
    follow_ups: Any
    output: Any
    decision_trace: Any
    artifact_canonical: str | None

    @property
    def run_seconds(self) -> float | None:
        if self.started_at is None:
            return None
        return max((self.finished_at - self.started_at).total_seconds(), 0.0)

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Attempt:
        return cls(**{field.name: row[field.name] for field in dataclasses.fields(cls)})


@dataclasses.dataclass(frozen=True, slots=True)
class JobDetail:
    """A job with everything recorded about it: payload, lease, every attempt."""

    job: JobSummary
    payload: Any
    updated_at: datetime
    ordering_key: str | None
    lease_owner: str | None
    lease_expires_at: datetime | None
    attempts: tuple[Attempt, ...]

    @property
    def result(self) -> Attempt | None:
        """The attempt that succeeded, if one did (a job succeeds at most once)."""
        return next((a for a in self.attempts if a.outcome == "succeeded"), None)


@dataclasses.dataclass(frozen=True, slots=True)
class TriggerRef:
    """The event trigger that made a job (named by the job's idempotency key)."""

    id: UUID
    name: str | None  # None: the trigger was deleted since
    event_type: str | None


@dataclasses.dataclass(frozen=True, slots=True)
class ImpactNode:
    job: JobSummary
    attempts: tuple[Attempt, ...]
    trigger: TriggerRef | None
    children: tuple[ImpactNode, ...]


@dataclasses.dataclass(frozen=True, slots=True)
class Impact:
    """A job, what it recorded, and every job it caused through follow-ups."""

    root: ImpactNode
    trace_id: str
    job_count: int
    # True when the tree was cut at the job or depth limit.
    truncated: bool


@dataclasses.dataclass(frozen=True, slots=True)
class QueueRow:
    """One line of `jobforge top`: a job type (of one tenant, or of all when tenant_id is None)."""

    type: str
    tenant_id: UUID | None
    ready: int
    scheduled: int
    running: int
    lag_seconds: float | None
    succeeded_last_minute: int
    dead_last_minute: int
    wait_p50_seconds: float | None
    wait_p95_seconds: float | None
    run_p50_seconds: float | None
    run_p95_seconds: float | None

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> QueueRow:
        return cls(**{field.name: row[field.name] for field in dataclasses.fields(cls)})


@dataclasses.dataclass(frozen=True, slots=True)
class ActionResult:
    """What an action did to one job: ``done`` (cancelled, requeued, discarded), or why not."""

    job_id: UUID
    done: bool
    state: str | None  # None: no such job (or not visible to this role)
    reason: str | None = None


def to_document(value: Any) -> Any:  # noqa: PLR0911 - one return per kind of value
    """``value`` as JSON-ready data: dataclasses as objects (properties included), UUIDs and
    times as ISO text. Key order is left to the JSON writer (sort_keys)."""
    if isinstance(value, Cursor):
        return value.encode()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        document = {f.name: to_document(getattr(value, f.name)) for f in dataclasses.fields(value)}
        if isinstance(value, Attempt):
            document["run_seconds"] = value.run_seconds
        if isinstance(value, JobDetail):
            document["result"] = to_document(value.result)
        return document
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, Mapping):
        return {str(key): to_document(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [to_document(item) for item in value]
    return value
