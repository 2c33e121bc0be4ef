"""One job with everything recorded about it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

import psycopg

from jobforge.errors import JobNotFound
from jobforge.operations.models import Attempt, JobDetail, JobSummary
from jobforge.operations.queries import fetch_rows


def not_found(job_id: UUID) -> JobNotFound:
    return JobNotFound(f"job {job_id} not found (or not visible to this role)")


def get_job_detail(conn: psycopg.Connection[Any], job_id: UUID) -> JobDetail:
    """The job, its payload and lease, and every recorded attempt; JobNotFound if unknown."""
    rows = fetch_rows(conn, "get_job", {"job_id": job_id})
    if not rows:
        raise not_found(job_id)
    row = rows[0]
    return JobDetail(
        job=JobSummary.from_row(row),
        payload=row["payload"],
        updated_at=row["updated_at"],
        ordering_key=row["ordering_key"],
        lease_owner=row["lease_owner"],
        lease_expires_at=row["lease_expires_at"],
        attempts=tuple(attempts_of(conn, [job_id], detailed=job_id).get(job_id, ())),
    )


def attempts_of(
    conn: psycopg.Connection[Any], job_ids: Sequence[UUID], *, detailed: UUID | None
) -> dict[UUID, list[Attempt]]:
    """The recorded attempts of each job, oldest first; outputs and decision traces only
    for ``detailed``."""
    rows = fetch_rows(conn, "job_attempts", {"job_ids": list(job_ids), "detailed_job_id": detailed})
    found: dict[UUID, list[Attempt]] = {}
    for row in rows:
        found.setdefault(row["job_id"], []).append(Attempt.from_row(row))
    return found
