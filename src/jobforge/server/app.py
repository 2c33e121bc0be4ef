"""The ASGI app: ``create_app(settings, mounts={"/ui": dashboard})``."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from starlette.types import ASGIApp

from jobforge import __version__
from jobforge.server.body_limit import BodyLimitMiddleware
from jobforge.server.context import IngressContext
from jobforge.server.metrics import MetricsMiddleware, ServerMetrics
from jobforge.server.problems import Problem, install_problem_handlers
from jobforge.server.routes import events, health, jobs, webhooks
from jobforge.server.settings import ServerSettings

TITLE = "JobForge ingress"


def create_app(settings: ServerSettings, *, mounts: Mapping[str, ASGIApp] | None = None) -> FastAPI:
    """The ingress for ``settings``; each of ``mounts`` (path -> ASGI app) is served under
    its path, behind the same body limit and metrics."""
    context = IngressContext.build(settings)
    metrics = ServerMetrics(queue_metrics_database_url=settings.queue_metrics_database_url)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        try:
            yield
        finally:
            context.database.close()
            metrics.close()

    app = FastAPI(
        title=TITLE,
        version=__version__,
        description="Enqueue jobs, fire events and receive signed webhooks for one tenant "
        "per API key. Errors are RFC 9457 problem documents.",
        openapi_url="/openapi.json",
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.ingress = context
    app.state.metrics = metrics
    install_problem_handlers(app)
    for router in (jobs.router, events.router, webhooks.router, health.router):
        app.include_router(router)
    for path, mounted in sorted((mounts or {}).items()):
        app.mount(path, mounted)
    app.add_middleware(BodyLimitMiddleware, max_body_bytes=settings.max_body_bytes)
    app.add_middleware(MetricsMiddleware, metrics=app.state.metrics, router_app=app)
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    return app


def _openapi(app: FastAPI) -> dict[str, Any]:
    """FastAPI's document, with the problem schema the error responses refer to."""
    if app.openapi_schema is None:
        document = get_openapi(
            title=app.title,
            version=app.version,
            description=app.description,
            routes=app.routes,
        )
        schemas = document.setdefault("components", {}).setdefault("schemas", {})
        problem = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
        schemas.update(problem.pop("$defs", {}))
        schemas["Problem"] = problem
        app.openapi_schema = document
    return app.openapi_schema
