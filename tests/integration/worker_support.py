"""Running in-process workers in the integration tests."""

from __future__ import annotations

from typing import Any

from jobforge import HandlerRegistry
from jobforge.worker import Worker, WorkerConfig, WorkerReport

# Retries in these tests back off by milliseconds, not seconds.
FAST_RETRY = {"backoff_base_seconds": 0.001, "backoff_cap_seconds": 0.001}


def run_burst(database_url: str, registry: HandlerRegistry, **options: Any) -> WorkerReport:
    """Drain what is runnable now with an in-process worker."""
    config = WorkerConfig(burst=True, poll_interval_seconds=0.05, **options)
    return Worker(database_url, registry=registry, config=config).run()
