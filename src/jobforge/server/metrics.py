"""Prometheus metrics of the server's own requests, in a registry of the app's own.

``jobforge_http_requests_total{route,method,status}`` and
``jobforge_http_request_duration_seconds{route,method}``, and the workers' queue depth
and lag gauges when a role to read the queue as is configured. ``route`` is the matched path
template (``/v1/jobs/{job_id}``), the mount path for a mounted app, or ``unmatched``, so
a scan of random URLs cannot grow the label set.
"""

from __future__ import annotations

import time

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from starlette.routing import Match, Mount, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from jobforge.observability.queue_metrics import QueueMetrics

UNMATCHED_ROUTE = "unmatched"
DURATION_BUCKETS_SECONDS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class ServerMetrics:
    """The collectors, and the text ``/metrics`` serves."""

    content_type = CONTENT_TYPE_LATEST

    def __init__(self, *, queue_metrics_database_url: str | None = None) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.queue: QueueMetrics | None = None
        if queue_metrics_database_url is not None:
            self.queue = QueueMetrics(queue_metrics_database_url)
            self.registry.register(self.queue)
        self.requests = Counter(
            "jobforge_http_requests",
            "HTTP requests answered by jobforge serve",
            ("route", "method", "status"),
            registry=self.registry,
        )
        self.duration = Histogram(
            "jobforge_http_request_duration_seconds",
            "Time from receiving a request to sending its last byte",
            ("route", "method"),
            buckets=DURATION_BUCKETS_SECONDS,
            registry=self.registry,
        )

    def render(self) -> bytes:
        return generate_latest(self.registry)

    def close(self) -> None:
        if self.queue is not None:
            self.queue.close()


def mount_label(app: ASGIApp, scope: Scope) -> str | None:
    """The path of the mount ``scope`` falls under, if any (asked before routing, which
    rewrites the scope's root path)."""
    for candidate in getattr(getattr(app, "router", None), "routes", ()):
        if isinstance(candidate, Mount) and candidate.matches(scope)[0] is Match.FULL:
            return candidate.path or "/"
    return None


def route_label(scope: Scope, mount: str | None) -> str:
    """The template of the route that answered ``scope`` (FastAPI records it in the scope
    while routing), else ``mount``, else ``unmatched``."""
    route = scope.get("route")
    if isinstance(route, Route):
        return route.path
    return mount or UNMATCHED_ROUTE


class MetricsMiddleware:
    """Counts and times every HTTP request, whatever answers it (errors included)."""

    def __init__(self, app: ASGIApp, *, metrics: ServerMetrics, router_app: ASGIApp) -> None:
        self._app = app
        self._metrics = metrics
        self._router_app = router_app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        started = time.perf_counter()
        mount = mount_label(self._router_app, scope)
        status = 500

        async def send_and_watch(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self._app(scope, receive, send_and_watch)
        finally:
            route = route_label(scope, mount)
            method = str(scope.get("method", ""))
            self._metrics.requests.labels(route, method, str(status)).inc()
            self._metrics.duration.labels(route, method).observe(time.perf_counter() - started)
