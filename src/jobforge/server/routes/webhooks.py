"""``/v1/webhooks/{source}``: a signed delivery from a configured sender.

The signature and timestamp are checked (Standard Webhooks, ``WebhookVerifier``) on the
raw body before anything is parsed or written. The delivery then becomes the source's
event or job, for the source's tenant, with its ``webhook-id`` as the idempotency key: a
sender's retry of the same delivery finds what the first one made.
"""

from __future__ import annotations

import json
import logging
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from starlette.concurrency import run_in_threadpool

from jobforge.client import requests
from jobforge.client.models import JobSpec
from jobforge.connectors.webhooks import (
    ID_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    VerifiedWebhook,
    WebhookVerificationError,
)
from jobforge.db.queries import query
from jobforge.server.context import IngressContext, ingress
from jobforge.server.models import RoutedJob, WebhookResponse
from jobforge.server.problems import FieldProblem, ProblemError, problem_responses
from jobforge.server.routes.events import routed
from jobforge.server.webhook_sources import SOURCE_NAME, WebhookSource

router = APIRouter(prefix="/v1/webhooks", tags=["webhooks"])
_log = logging.getLogger("jobforge.server")

_SIGNED_HEADERS = [
    {"name": name, "in": "header", "required": True, "schema": {"type": "string"},
     "description": description}
    for name, description in (
        (ID_HEADER, "the delivery's id; a retry keeps it"),
        (TIMESTAMP_HEADER, "seconds since 1970-01-01 UTC when this attempt was signed"),
        (SIGNATURE_HEADER, "'v1,' + base64 of HMAC-SHA256 over id, timestamp and body"),
    )
]  # fmt: skip


@router.post(
    "/{source}",
    summary="Receive a signed webhook",
    responses=problem_responses(401, 404, 409, 413, 422, 429, 500, 503),
    openapi_extra={
        "parameters": _SIGNED_HEADERS,
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": {}}},
        },
    },
)
async def receive_webhook(
    source: str,
    request: Request,
    context: Annotated[IngressContext, Depends(ingress)],
) -> WebhookResponse:
    """A delivery signed with the source's secret (or, during a rotation, its previous
    one), timestamped within its tolerance. It becomes the source's event (routed by the
    tenant's triggers) or job."""
    configured = context.sources.get(source) if SOURCE_NAME.fullmatch(source) else None
    if configured is None:
        raise ProblemError(404, "not-found", "no such webhook source")
    webhook_source, verifier = configured
    body = await request.body()
    try:
        verified = verifier.verify(body, request.headers)
    except WebhookVerificationError as exc:
        _log.info("webhook to %s refused: %s", source, exc)
        raise ProblemError(401, "invalid-signature", str(exc)) from None
    retry_after = context.limiter.take(("webhook", source))
    if retry_after:
        raise ProblemError(
            429,
            "rate-limited",
            f"this source's rate limit is exhausted; retry in {retry_after} s",
            headers={"Retry-After": str(retry_after)},
        )
    document = _parse(verified.body)
    jobs = await run_in_threadpool(_store, context, webhook_source, verified, document)
    return WebhookResponse(source=source, message_id=verified.message_id, jobs=jobs)


def _parse(body: bytes) -> Any:
    try:
        return json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ProblemError(
            422,
            "invalid-request",
            "a webhook body must be JSON",
            errors=[FieldProblem(detail=str(exc), pointer="")],
        ) from None


def _store(
    context: IngressContext, source: WebhookSource, verified: VerifiedWebhook, document: Any
) -> list[RoutedJob]:
    if source.event_type is not None:
        if not isinstance(document, dict):
            raise ProblemError(
                422,
                "invalid-request",
                "this source's deliveries become events: the body must be a JSON object",
                errors=[FieldProblem(detail="expected a JSON object", pointer="")],
            )
        params = requests.fire_event_params(
            source.tenant_id, source.event_type, document, verified.message_id, None
        )
        with context.database.as_tenant(source.tenant_id) as conn:
            rows = conn.execute(query("fire_event"), params).fetchall()
        return [routed(requests.fired(row)) for row in rows]
    assert source.job_type is not None
    spec = JobSpec(
        tenant_id=source.tenant_id,
        type=source.job_type,
        payload=document,
        idempotency_key=verified.message_id,
    )
    params = requests.enqueue_params(spec)
    with context.database.as_tenant(source.tenant_id) as conn:
        row = conn.execute(query("enqueue_job"), params).fetchone()
    assert row is not None
    receipt = requests.enqueued(row)
    return [
        RoutedJob(
            job_id=receipt.id, created=receipt.created, job_type=source.job_type, trigger_id=None
        )
    ]
