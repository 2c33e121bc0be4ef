"""Cancelling, requeueing and discarding jobs through the RPCs, with a reason when a job's
state forbids it.

The RPCs check the calling role's grants and move a job only along legal transitions; a
job they leave alone comes back as it stands, so each action reads the state first to
tell "done" from "nothing to do" and say why.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

import psycopg

from jobforge.errors import InvalidArgument, JobForgeError
from jobforge.operations.detail import not_found
from jobforge.operations.filters import DISCARDABLE_STATES, RETRYABLE_STATES, UNFINISHED_STATES
from jobforge.operations.models import ActionResult
from jobforge.operations.queries import fetch_rows

REQUEUE_BATCH = 500
DISCARD_BATCH = 500
MAX_EXTRA_ATTEMPTS = 1000
NOT_VISIBLE = "not found (or not visible to this role)"


class ActionRefused(JobForgeError):
    """The job's state does not allow the action (cancel a finished job, retry a queued one,
    discard one that is not dead)."""


def cancel_job(conn: psycopg.Connection[Any], job_id: UUID) -> ActionResult:
    """Cancel a job that has not finished; ActionRefused for a finished one."""
    state = _states(conn, [job_id]).get(job_id)
    if state is None:
        raise not_found(job_id)
    if state == "dead":
        raise ActionRefused(
            f"job {job_id} is dead: `jobforge dead-letter discard {job_id}` cancels a dead letter"
        )
    if state not in UNFINISHED_STATES:
        raise ActionRefused(f"job {job_id} is {state}: it has finished, there is nothing to cancel")
    rows = fetch_rows(conn, "cancel_job", {"job_id": job_id})
    now = rows[0]["state"]
    if now != "canceled":
        raise ActionRefused(f"job {job_id} finished ({now}) before it could be canceled")
    return ActionResult(job_id, done=True, state=now)


def retry_job(
    conn: psycopg.Connection[Any], job_id: UUID, *, extra_attempts: int = 1
) -> ActionResult:
    """Run a dead or canceled job again; ActionRefused, saying why, for any other state."""
    result = requeue_jobs(conn, [job_id], extra_attempts=extra_attempts)[0]
    if result.state is None:
        raise not_found(job_id)
    if not result.done:
        raise ActionRefused(f"job {job_id} is {result.state}: {result.reason}")
    return result


def requeue_jobs(
    conn: psycopg.Connection[Any], job_ids: Sequence[UUID], *, extra_attempts: int = 1
) -> list[ActionResult]:
    """Requeue each dead or canceled job of ``job_ids`` (in batches, one statement each);
    one result per id, in the order given, saying what happened to it."""
    if not 1 <= extra_attempts <= MAX_EXTRA_ATTEMPTS:
        raise InvalidArgument(
            f"extra attempts: expected 1 to {MAX_EXTRA_ATTEMPTS}, got {extra_attempts}"
        )
    unique_ids = list(dict.fromkeys(job_ids))
    outcome: dict[UUID, ActionResult] = {}
    for start in range(0, len(unique_ids), REQUEUE_BATCH):
        batch = unique_ids[start : start + REQUEUE_BATCH]
        before = _states(conn, batch)
        movable = [job_id for job_id in batch if before.get(job_id) in RETRYABLE_STATES]
        after = _requeue(conn, movable, extra_attempts) if movable else {}
        for job_id in batch:
            outcome[job_id] = _requeue_result(job_id, before.get(job_id), after.get(job_id))
    return [outcome[job_id] for job_id in job_ids]


def _requeue(
    conn: psycopg.Connection[Any], job_ids: list[UUID], extra_attempts: int
) -> dict[UUID, str]:
    rows = fetch_rows(conn, "requeue_jobs", {"job_ids": job_ids, "extra_attempts": extra_attempts})
    return {row["id"]: row["state"] for row in rows}


def _requeue_result(job_id: UUID, before: str | None, after: str | None) -> ActionResult:
    if before is None:
        return ActionResult(
            job_id, done=False, state=None, reason="not found (or not visible to this role)"
        )
    if before not in RETRYABLE_STATES:
        return ActionResult(job_id, done=False, state=before, reason=_not_retryable(before))
    if after is None:
        return ActionResult(job_id, done=False, state=None, reason="pruned meanwhile")
    if after in RETRYABLE_STATES:
        return ActionResult(
            job_id, done=False, state=after,
            reason="it has had 1000 attempts, the most a job may have",
        )  # fmt: skip
    return ActionResult(job_id, done=True, state=after)


def _not_retryable(state: str) -> str:
    if state == "succeeded":
        return "only dead or canceled jobs can be retried"
    if state == "awaiting_retry":
        return "its failed attempt is already scheduled to run again"
    return "it has not finished; only dead or canceled jobs can be retried"


def discard_job(conn: psycopg.Connection[Any], job_id: UUID) -> ActionResult:
    """Discard a dead letter (it becomes canceled and never runs again unless requeued);
    ActionRefused, saying why, for a job in any other state."""
    result = discard_jobs(conn, [job_id])[0]
    if result.state is None:
        raise not_found(job_id)
    if not result.done:
        raise ActionRefused(f"job {job_id} is {result.state}: {result.reason}")
    return result


def discard_jobs(conn: psycopg.Connection[Any], job_ids: Sequence[UUID]) -> list[ActionResult]:
    """Discard each dead job of ``job_ids`` (in batches, one statement each); one result per
    id, in the order given, saying what happened to it."""
    unique_ids = list(dict.fromkeys(job_ids))
    outcome: dict[UUID, ActionResult] = {}
    for start in range(0, len(unique_ids), DISCARD_BATCH):
        batch = unique_ids[start : start + DISCARD_BATCH]
        before = _states(conn, batch)
        dead = [job_id for job_id in batch if before.get(job_id) in DISCARDABLE_STATES]
        after = _discard(conn, dead) if dead else {}
        for job_id in batch:
            outcome[job_id] = _discard_result(job_id, before.get(job_id), after.get(job_id))
    return [outcome[job_id] for job_id in job_ids]


def _discard(conn: psycopg.Connection[Any], job_ids: list[UUID]) -> dict[UUID, str]:
    rows = fetch_rows(conn, "discard_jobs", {"job_ids": job_ids})
    return {row["id"]: row["state"] for row in rows}


def _discard_result(job_id: UUID, before: str | None, after: str | None) -> ActionResult:
    if before is None:
        return ActionResult(job_id, done=False, state=None, reason=NOT_VISIBLE)
    if before not in DISCARDABLE_STATES:
        return ActionResult(
            job_id, done=False, state=before, reason=_not_discardable(job_id, before)
        )
    if after is None:
        return ActionResult(job_id, done=False, state=None, reason="pruned meanwhile")
    if after != "canceled":
        return ActionResult(
            job_id,
            done=False,
            state=after,
            reason=f"it became {after} before it could be discarded",
        )
    return ActionResult(job_id, done=True, state=after)


def _not_discardable(job_id: UUID, state: str) -> str:
    if state == "canceled":
        return "it is already canceled, there is nothing to discard"
    if state == "succeeded":
        return "only dead jobs can be discarded"
    return f"it has not finished: `jobforge jobs cancel {job_id}` cancels it"


def _states(conn: psycopg.Connection[Any], job_ids: Sequence[UUID]) -> dict[UUID, str]:
    rows = fetch_rows(conn, "job_states", {"job_ids": list(job_ids)})
    return {row["id"]: row["state"] for row in rows}
