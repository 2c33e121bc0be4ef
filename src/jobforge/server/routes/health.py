"""``/healthz`` (no key needed: whether the server and its database answer) and
``/metrics`` (Prometheus text)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response

from jobforge.server.context import IngressContext, ingress
from jobforge.server.models import HealthResponse
from jobforge.server.problems import problem_responses

router = APIRouter(tags=["operations"])


@router.get("/healthz", summary="Health", responses=problem_responses(500, 503))
def healthz(context: Annotated[IngressContext, Depends(ingress)]) -> HealthResponse:
    """200 when the server answers and its database does too; 503 otherwise."""
    context.database.ping()
    return HealthResponse(status="ok")


@router.get(
    "/metrics",
    summary="Prometheus metrics",
    response_class=Response,
    responses={
        200: {
            "description": "the server's request counts and durations",
            "content": {"text/plain": {"schema": {"type": "string"}}},
        },
        **problem_responses(500),
    },
)
def metrics(request: Request) -> Response:
    server_metrics = request.app.state.metrics
    return Response(server_metrics.render(), media_type=server_metrics.content_type)
