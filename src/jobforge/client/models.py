"""What the client hands back: jobs, results, enqueue receipts. Plain frozen dataclasses."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any
from uuid import UUID

FINISHED_STATES = frozenset({"succeeded", "dead", "canceled"})


class GrantKind(StrEnum):
    """What a role granted a tenant may do for it (see docs/SECURITY.md)."""

    PRODUCER = "producer"
    """Enqueue, fire events, cancel and requeue; read the tenant's jobs and results."""
    WORKER = "worker"
    """Claim, heartbeat, complete, fail and release the tenant's jobs."""


@dataclass(frozen=True, slots=True)
class EnqueuedJob:
    """The answer to an enqueue: which job, and whether this call created it."""

    id: UUID
    created: bool
    state: str
    trace_id: str


@dataclass(frozen=True, slots=True)
class Job:
    id: UUID
    tenant_id: UUID
    type: str
    payload: Any
    idempotency_key: str | None
    state: str
    priority: int
    run_at: datetime
    attempts: int
    max_attempts: int
    lease_owner: str | None
    lease_expires_at: datetime | None
    last_error: Any
    trace_id: str
    ordering_key: str | None
    created_at: datetime
    updated_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    # The job whose attempt enqueued this one as a follow-up (ctx.follow_up), if any.
    parent_job_id: UUID | None = None

    @property
    def is_finished(self) -> bool:
        return self.state in FINISHED_STATES

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Job:
        return cls(**{name: row[name] for name in cls.__slots__})


@dataclass(frozen=True, slots=True)
class JobResult:
    """One finished attempt of a job, as recorded (immutably) in jobforge_job_results."""

    job_id: UUID
    attempt: int
    tenant_id: UUID
    type: str
    outcome: str
    output: Any
    error: Any
    worker_id: str | None
    trace_id: str
    started_at: datetime | None
    finished_at: datetime
    input_snapshot: Any
    decision_trace: Any
    artifact_canonical: str | None
    input_sha256: str | None
    artifact_sha256: str | None
    # The follow-ups a succeeded attempt asked for, each with the job it created or found
    # (job_id, created) or, on a replay, its payload; None when it asked for none.
    follow_ups: Any = None

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> JobResult:
        return cls(**{name: row[name] for name in cls.__slots__})


@dataclass(frozen=True, slots=True)
class FiredJob:
    """A job an event created (or found again, for a repeated idempotent event)."""

    trigger_id: UUID
    job_id: UUID
    created: bool
    job_type: str


@dataclass(frozen=True, slots=True)
class JobSpec:
    """One job to enqueue; the keyword arguments of ``enqueue_job`` as a value."""

    tenant_id: UUID | str
    type: str
    payload: Any
    idempotency_key: str | None = None
    priority: int = 0
    run_at: datetime | None = None
    max_attempts: int = 5
    ordering_key: str | None = None
    trace_id: str | None = None
    backoff_base_seconds: float | None = None
    backoff_cap_seconds: float | None = None
    replay_context: Mapping[str, Any] | None = None
