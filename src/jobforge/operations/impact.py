"""A job's impact: what it recorded, and the jobs it caused, as a tree."""

from __future__ import annotations

import re
from typing import Any
from uuid import UUID

import psycopg

from jobforge.operations.detail import attempts_of, not_found
from jobforge.operations.models import Impact, ImpactNode, JobSummary, TriggerRef
from jobforge.operations.queries import fetch_rows

# Bounds on the tree read: follow-up chains are short in practice; a runaway fan-out must
# not make one command read millions of rows.
MAX_DEPTH = 50
MAX_JOBS = 2000
# jobforge_fire_event keys the jobs of an idempotent event "event:<type>:<key>:<trigger id>".
_TRIGGER_KEY = re.compile(
    r"^event:.*:([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$", re.DOTALL
)


def get_impact(
    conn: psycopg.Connection[Any],
    job_id: UUID,
    *,
    max_depth: int = MAX_DEPTH,
    max_jobs: int = MAX_JOBS,
) -> Impact:
    """The job (with its decision trace and output artifact), its attempts, the trigger
    that made it when its key names one, and its follow-ups recursively."""
    rows = fetch_rows(
        conn, "caused_jobs", {"job_id": job_id, "max_depth": max_depth, "max_jobs": max_jobs}
    )
    if not rows:
        raise not_found(job_id)
    truncated = len(rows) > max_jobs
    rows = rows[:max_jobs]
    deepest = [row["id"] for row in rows if row["depth"] == max_depth]
    truncated = truncated or (bool(deepest) and _has_children(conn, deepest))
    jobs = [JobSummary.from_row(row) for row in rows]
    attempts = attempts_of(conn, [job.id for job in jobs], detailed=job_id)
    triggers = _triggers(conn, jobs)
    children: dict[UUID, list[JobSummary]] = {}
    for job in jobs[1:]:  # depth-first order: a parent always comes before its children
        if job.parent_job_id is not None:
            children.setdefault(job.parent_job_id, []).append(job)

    def node(job: JobSummary) -> ImpactNode:
        return ImpactNode(
            job=job,
            attempts=tuple(attempts.get(job.id, ())),
            trigger=triggers.get(job.id),
            children=tuple(node(child) for child in children.get(job.id, ())),
        )

    root = jobs[0]
    return Impact(root=node(root), trace_id=root.trace_id, job_count=len(jobs), truncated=truncated)


def trigger_id_of(idempotency_key: str | None) -> UUID | None:
    """The trigger named by a trigger-made job's idempotency key, if it is one."""
    match = _TRIGGER_KEY.match(idempotency_key or "")
    return UUID(match.group(1)) if match else None


def _triggers(conn: psycopg.Connection[Any], jobs: list[JobSummary]) -> dict[UUID, TriggerRef]:
    named = {job.id: trigger_id_of(job.idempotency_key) for job in jobs}
    wanted = sorted({trigger for trigger in named.values() if trigger is not None})
    if not wanted:
        return {}
    rows = fetch_rows(conn, "triggers_by_id", {"trigger_ids": wanted})
    found = {row["id"]: TriggerRef(row["id"], row["name"], row["event_type"]) for row in rows}
    return {
        job_id: found.get(trigger, TriggerRef(trigger, None, None))
        for job_id, trigger in named.items()
        if trigger is not None
    }


def _has_children(conn: psycopg.Connection[Any], job_ids: list[UUID]) -> bool:
    rows = fetch_rows(conn, "any_follow_up", {"job_ids": job_ids})
    return bool(rows)
