"""``/v1/jobs``: enqueue, read, read the result, cancel. Every statement runs as the key's
tenant's producer role, so row-level security answers "not found" for other tenants."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Response

from jobforge.client import requests
from jobforge.client.models import Job, JobResult, JobSpec
from jobforge.db.queries import query
from jobforge.keys import AuthenticatedKey, ScopeAction
from jobforge.server.auth import Key, require_scope
from jobforge.server.context import IngressContext, ingress
from jobforge.server.models import (
    MAX_KEY_LENGTH,
    AttemptResult,
    EnqueuedJobResponse,
    EnqueueRequest,
    JobResponse,
    JobResultResponse,
)
from jobforge.server.problems import idempotency_key_mismatch, problem_responses

router = APIRouter(prefix="/v1/jobs", tags=["jobs"])
Context = Annotated[IngressContext, Depends(ingress)]
_AUTHENTICATED = (401, 403, 429, 500, 503)


@router.post(
    "",
    status_code=201,
    summary="Enqueue a job",
    responses={
        200: {"model": EnqueuedJobResponse, "description": "the idempotency key found this job"},
        **problem_responses(409, 413, 422, *_AUTHENTICATED),
    },
)
def enqueue_job(
    body: EnqueueRequest,
    key: Key,
    context: Context,
    response: Response,
    idempotency_key: Annotated[
        str | None, Header(alias="Idempotency-Key", min_length=1, max_length=MAX_KEY_LENGTH)
    ] = None,
) -> EnqueuedJobResponse:
    """Enqueue a job for the key's tenant (scope ``enqueue:<pattern>`` covering its type).
    201 when created; 200 when the idempotency key found the job already there."""
    require_scope(key, ScopeAction.ENQUEUE, body.type)
    if idempotency_key and body.idempotency_key and idempotency_key != body.idempotency_key:
        raise idempotency_key_mismatch()
    spec = JobSpec(
        tenant_id=key.tenant_id, type=body.type, payload=body.payload,
        idempotency_key=body.idempotency_key or idempotency_key, priority=body.priority,
        run_at=body.run_at, max_attempts=body.max_attempts, ordering_key=body.ordering_key,
        trace_id=body.trace_id,
    )  # fmt: skip
    params = requests.enqueue_params(spec)
    with context.database.as_tenant(key.tenant_id) as conn:
        row = conn.execute(query("enqueue_job"), params).fetchone()
    assert row is not None
    receipt = requests.enqueued(row)
    response.status_code = 201 if receipt.created else 200
    response.headers["Location"] = f"/v1/jobs/{receipt.id}"
    return EnqueuedJobResponse(
        id=receipt.id, created=receipt.created, state=receipt.state, trace_id=receipt.trace_id
    )


def _job(context: IngressContext, key: AuthenticatedKey, job_id: uuid.UUID) -> Job:
    with context.database.as_tenant(key.tenant_id) as conn:
        row = conn.execute(query("get_job"), {"job_id": job_id}).fetchone()
    return requests.job_or_raise(row, job_id)


@router.get(
    "/{job_id}",
    summary="Get a job",
    responses=problem_responses(404, 422, *_AUTHENTICATED),
)
def get_job(job_id: uuid.UUID, key: Key, context: Context) -> JobResponse:
    """A job of the key's tenant (scope ``read:jobs``); another tenant's job is not found."""
    require_scope(key, ScopeAction.READ_JOBS)
    return JobResponse.of(_job(context, key, job_id))


@router.get(
    "/{job_id}/result",
    summary="Get a job's result",
    responses=problem_responses(404, 422, *_AUTHENTICATED),
)
def get_job_result(job_id: uuid.UUID, key: Key, context: Context) -> JobResultResponse:
    """The latest finished attempt of a job of the key's tenant (scope ``read:jobs``)."""
    require_scope(key, ScopeAction.READ_JOBS)
    with context.database.as_tenant(key.tenant_id) as conn:
        job_row = conn.execute(query("get_job"), {"job_id": job_id}).fetchone()
        job = requests.job_or_raise(job_row, job_id)
        rows = conn.execute(query("get_results"), {"job_id": job_id}).fetchall()
    latest = JobResult.from_row(rows[-1]) if rows else None
    return JobResultResponse(
        job_id=job.id,
        state=job.state,
        result=None if latest is None else AttemptResult.of(latest),
    )


@router.post(
    "/{job_id}/cancel",
    summary="Cancel a job",
    responses=problem_responses(404, 422, *_AUTHENTICATED),
)
def cancel_job(job_id: uuid.UUID, key: Key, context: Context) -> JobResponse:
    """Cancel a job of the key's tenant that has not finished (scope ``cancel:jobs``);
    returns the job as it now stands (a finished job unchanged)."""
    require_scope(key, ScopeAction.CANCEL_JOBS)
    with context.database.as_tenant(key.tenant_id) as conn:
        row = conn.execute(query("cancel_job"), {"job_id": job_id}).fetchone()
    return JobResponse.of(requests.job_or_raise(row, job_id))
