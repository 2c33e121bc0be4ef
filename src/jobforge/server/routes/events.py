"""``/v1/events``: fire an event; the tenant's triggers route it to jobs."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header

from jobforge.client import requests
from jobforge.client.models import FiredJob
from jobforge.db.queries import query
from jobforge.keys import ScopeAction
from jobforge.server.auth import Key, require_scope
from jobforge.server.context import IngressContext, ingress
from jobforge.server.models import (
    MAX_KEY_LENGTH,
    FiredEventResponse,
    FireEventRequest,
    RoutedJob,
)
from jobforge.server.problems import idempotency_key_mismatch, problem_responses

router = APIRouter(prefix="/v1/events", tags=["events"])


@router.post(
    "",
    summary="Fire an event",
    responses=problem_responses(409, 413, 422, 401, 403, 429, 500, 503),
)
def fire_event(
    body: FireEventRequest,
    key: Key,
    context: Annotated[IngressContext, Depends(ingress)],
    idempotency_key: Annotated[
        str | None, Header(alias="Idempotency-Key", min_length=1, max_length=MAX_KEY_LENGTH)
    ] = None,
) -> FiredEventResponse:
    """Fire an event of the key's tenant (scope ``events:fire``): one job per matching
    trigger. With an idempotency key, firing it again finds the same jobs."""
    require_scope(key, ScopeAction.FIRE_EVENTS)
    if idempotency_key and body.idempotency_key and idempotency_key != body.idempotency_key:
        raise idempotency_key_mismatch()
    params = requests.fire_event_params(
        key.tenant_id, body.type, body.payload, body.idempotency_key or idempotency_key,
        body.trace_id,
    )  # fmt: skip
    with context.database.as_tenant(key.tenant_id) as conn:
        rows = conn.execute(query("fire_event"), params).fetchall()
    return FiredEventResponse(jobs=[routed(requests.fired(row)) for row in rows])


def routed(fired: FiredJob) -> RoutedJob:
    return RoutedJob(
        job_id=fired.job_id, created=fired.created, job_type=fired.job_type,
        trigger_id=fired.trigger_id,
    )  # fmt: skip
