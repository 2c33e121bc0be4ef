"""A worker's metrics registry and the HTTP endpoint that serves it at /metrics."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from types import TracebackType
from typing import Self

from prometheus_client import CollectorRegistry, PlatformCollector, ProcessCollector
from prometheus_client.exposition import start_http_server

from jobforge.errors import ConfigurationError
from jobforge.observability.metrics import WorkerMetrics
from jobforge.observability.queue_metrics import QueueMetrics

_logger = logging.getLogger("jobforge.observability")
DEFAULT_METRICS_HOST = "127.0.0.1"


class MetricsEndpoint:
    """Serves ``registry`` over HTTP (any path answers; /metrics by convention) on a
    daemon thread until closed. Port 0 takes a free port (see ``port``)."""

    def __init__(self, registry: CollectorRegistry, *, host: str, port: int) -> None:
        if not 0 <= port <= 65535:
            raise ConfigurationError(f"metrics port: expected 0 to 65535, got {port}")
        try:
            self._server, self._thread = start_http_server(port, addr=host, registry=registry)
        except OSError as exc:
            raise ConfigurationError(
                f"metrics endpoint: cannot listen on {host} port {port}: {exc.strerror or exc}"
            ) from exc
        self.host = host
        self.port: int = self._server.server_port
        _logger.info("metrics served at %s", self.url, extra={"metrics_url": self.url})

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/metrics"

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


class ServedWorkerMetrics:
    """One worker's metrics served over HTTP: its job counters (``worker``, to hand to
    the Worker), the queue gauges read from ``database_url``, and the process' CPU and
    memory, in a registry of its own (not prometheus_client's global one, so several
    workers in one process do not collide)."""

    def __init__(
        self,
        database_url: str,
        worker_id: str,
        *,
        job_types: Iterable[str] = (),
        host: str = DEFAULT_METRICS_HOST,
        port: int,
    ) -> None:
        self.registry = CollectorRegistry()
        self.worker = WorkerMetrics(worker_id)
        self._queue = QueueMetrics(database_url, job_types=job_types)
        self.registry.register(self.worker)
        self.registry.register(self._queue)
        ProcessCollector(registry=self.registry)
        PlatformCollector(registry=self.registry)
        self.endpoint = MetricsEndpoint(self.registry, host=host, port=port)

    def close(self) -> None:
        self.endpoint.close()
        self._queue.close()
