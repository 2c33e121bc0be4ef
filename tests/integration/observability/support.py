"""Running a worker with its metrics endpoint, and reading that endpoint as Prometheus does."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
from prometheus_client.parser import text_string_to_metric_families

from jobforge import HandlerRegistry
from jobforge.observability.metrics import WorkerMetrics
from jobforge.worker import Worker, WorkerConfig, WorkerReport

SCRAPE_SECONDS = 10
STOP_SECONDS = 30


@dataclass(frozen=True)
class Scrape:
    """One scrape: every sample as (name, sorted labels) -> value."""

    samples: dict[tuple[str, tuple[tuple[str, str], ...]], float]
    content_type: str

    def value(self, name: str, **labels: str) -> float | None:
        return self.samples.get((name, tuple(sorted(labels.items()))))

    def names(self) -> set[str]:
        return {name for name, _ in self.samples}

    def by_label(self, name: str, label: str) -> dict[str, float]:
        """The samples of ``name`` keyed by their ``label`` value."""
        return {
            dict(labels)[label]: value
            for (sample, labels), value in self.samples.items()
            if sample == name and label in dict(labels)
        }


def scrape(url: str) -> Scrape:
    """GET the endpoint over HTTP and parse it with prometheus_client's own parser."""
    response = httpx.get(url, timeout=SCRAPE_SECONDS)
    response.raise_for_status()
    samples: dict[tuple[str, tuple[tuple[str, str], ...]], float] = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            key = (sample.name, tuple(sorted(sample.labels.items())))
            assert key not in samples, f"sample {key} appears twice"
            samples[key] = sample.value
    return Scrape(samples, response.headers["content-type"])


@contextlib.contextmanager
def running_worker(
    database_url: str,
    registry: HandlerRegistry,
    metrics: WorkerMetrics | None,
    worker_id: str,
) -> Iterator[list[WorkerReport]]:
    """A long-running worker on a thread (retries run as they come due), stopped at the end."""
    config = WorkerConfig(poll_interval_seconds=0.05, worker_id=worker_id)
    worker = Worker(database_url, registry=registry, config=config, metrics=metrics)
    reports: list[WorkerReport] = []
    thread = threading.Thread(target=lambda: reports.append(worker.run()))
    thread.start()
    try:
        yield reports
    finally:
        worker.stop()
        thread.join(STOP_SECONDS)
        assert not thread.is_alive(), "the worker did not stop"
