"""A real worker runs real jobs; its /metrics endpoint, scraped over HTTP, counts them."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from jobforge import HandlerRegistry, JobContext
from jobforge.client import JobForgeClient, JobSpec
from jobforge.errors import NonRetryableError
from jobforge.observability.endpoint import ServedWorkerMetrics
from tests.integration.observability.support import Scrape, running_worker, scrape
from tests.integration.support import connect, wait_until
from tests.integration.worker_support import FAST_RETRY

DRAIN_SECONDS = 30
SLOW_HANDLER_SECONDS = 0.3
LATE_BY_SECONDS = 150
WORKER_ID = "metrics-test-worker"


def succeed(payload: dict[str, Any], ctx: JobContext) -> dict[str, Any]:
    return {"n": payload.get("n")}


def fail_first_attempt(payload: dict[str, Any], ctx: JobContext) -> dict[str, Any]:
    if ctx.attempt == 1:
        raise RuntimeError("the first attempt fails")
    return {"attempt": ctx.attempt}


def refuse(payload: dict[str, Any], ctx: JobContext) -> dict[str, Any]:
    raise NonRetryableError("this job can never succeed")


def run_slowly(payload: dict[str, Any], ctx: JobContext) -> dict[str, Any]:
    # The handler's work is to take this long: what the duration histogram measures.
    threading.Event().wait(SLOW_HANDLER_SECONDS)
    return {}


@pytest.fixture
def registry() -> HandlerRegistry:
    registry = HandlerRegistry()
    registry.register("obs.ok", succeed)
    registry.register("obs.flaky", fail_first_attempt)
    registry.register("obs.doomed", refuse)
    registry.register("obs.slow", run_slowly)
    registry.register("obs.late", succeed)
    return registry


@pytest.fixture
def served(database_url: str, registry: HandlerRegistry) -> Iterator[ServedWorkerMetrics]:
    metrics = ServedWorkerMetrics(
        database_url, WORKER_ID, job_types=registry.job_types(), host="127.0.0.1", port=0
    )
    yield metrics
    metrics.close()


def results_per_outcome(database_url: str) -> dict[tuple[str, str], int]:
    """(job type, outcome) -> attempts recorded, as the database has them."""
    with connect(database_url) as conn:
        rows = conn.execute(
            "SELECT type, outcome, count(*) AS attempts FROM jobforge.jobforge_job_results "
            "GROUP BY 1, 2"
        ).fetchall()
    return {(row["type"], row["outcome"]): row["attempts"] for row in rows}


def test_counters_and_histograms_match_the_outcomes_the_database_recorded(
    database_url: str,
    client: JobForgeClient,
    tenant_id: uuid.UUID,
    registry: HandlerRegistry,
    served: ServedWorkerMetrics,
) -> None:
    late = datetime.now(UTC) - timedelta(seconds=LATE_BY_SECONDS)
    client.enqueue_jobs(
        [JobSpec(tenant_id=tenant_id, type="obs.ok", payload={"n": n}) for n in range(5)]
        + [
            JobSpec(tenant_id=tenant_id, type="obs.flaky", payload={"n": n}, **FAST_RETRY)
            for n in range(3)
        ]
        + [JobSpec(tenant_id=tenant_id, type="obs.doomed", payload={"n": n}) for n in range(2)]
        + [JobSpec(tenant_id=tenant_id, type="obs.slow", payload={})]
        + [JobSpec(tenant_id=tenant_id, type="obs.late", payload={}, run_at=late)]
    )
    url = served.endpoint.url

    def all_counted() -> Scrape | None:
        current = scrape(url)
        succeeded = current.by_label("jobforge_jobs_succeeded_total", "job_type")
        dead = current.by_label("jobforge_jobs_dead_lettered_total", "job_type")
        done = succeeded.get("obs.flaky") == 3 and succeeded.get("obs.ok") == 5
        done = done and succeeded.get("obs.slow") == 1 and succeeded.get("obs.late") == 1
        return current if done and dead.get("obs.doomed") == 2 else None

    with running_worker(database_url, registry, served.worker, WORKER_ID):
        wait_until(all_counted, DRAIN_SECONDS, "every outcome counted")
        metrics = scrape(url)

    recorded = results_per_outcome(database_url)
    assert recorded == {
        ("obs.ok", "succeeded"): 5,
        ("obs.flaky", "failed"): 3,
        ("obs.flaky", "succeeded"): 3,
        ("obs.doomed", "dead"): 2,
        ("obs.slow", "succeeded"): 1,
        ("obs.late", "succeeded"): 1,
    }
    counters = {
        "succeeded": "jobforge_jobs_succeeded_total",
        "failed": "jobforge_jobs_failed_total",
        "dead": "jobforge_jobs_dead_lettered_total",
    }
    for (job_type, outcome), attempts in recorded.items():
        assert metrics.value(counters[outcome], job_type=job_type) == attempts, (job_type, outcome)
    assert metrics.by_label("jobforge_jobs_failed_total", "job_type") == {"obs.flaky": 3.0}
    assert metrics.by_label("jobforge_jobs_dead_lettered_total", "job_type") == {"obs.doomed": 2.0}
    assert metrics.by_label("jobforge_job_results_refused_total", "job_type") == {}
    claimed = metrics.by_label("jobforge_jobs_claimed_total", "job_type")
    attempts_per_type = {
        job_type: float(sum(n for (t, _), n in recorded.items() if t == job_type))
        for job_type, _ in recorded
    }
    assert claimed == attempts_per_type
    # Every attempt's run time and queue wait is observed once.
    for histogram in ("jobforge_job_duration_seconds", "jobforge_job_queue_wait_seconds"):
        counts = metrics.by_label(f"{histogram}_count", "job_type")
        assert counts == attempts_per_type, histogram
    # The slow handler's run time lands in its bucket; the late job waited its lateness.
    duration = "jobforge_job_duration_seconds_bucket"
    assert metrics.value(duration, job_type="obs.slow", le="0.25") == 0
    assert metrics.value(duration, job_type="obs.slow", le="0.5") == 1
    slow_sum = metrics.value("jobforge_job_duration_seconds_sum", job_type="obs.slow")
    assert slow_sum is not None
    assert SLOW_HANDLER_SECONDS <= slow_sum < 10 * SLOW_HANDLER_SECONDS
    wait = "jobforge_job_queue_wait_seconds_bucket"
    assert metrics.value(wait, job_type="obs.late", le="120.0") == 0
    assert metrics.value(wait, job_type="obs.late", le="300.0") == 1
    assert metrics.value(wait, job_type="obs.ok", le="+Inf") == 5
    # The queue is empty now; the gauges say so for every type the worker runs.
    assert metrics.value("jobforge_queue_metrics_up") == 1
    assert metrics.by_label("jobforge_queue_depth", "job_type") == dict.fromkeys(claimed, 0.0)
    assert metrics.by_label("jobforge_queue_lag_seconds", "job_type") == dict.fromkeys(claimed, 0.0)
    assert metrics.value("jobforge_worker_info", worker_id=WORKER_ID) == 1
    assert "process_cpu_seconds_total" in metrics.names()
    assert metrics.content_type.startswith("text/plain")


def test_two_workers_in_one_process_keep_their_own_figures(
    database_url: str, client: JobForgeClient, tenant_id: uuid.UUID, registry: HandlerRegistry
) -> None:
    first = ServedWorkerMetrics(database_url, "first", job_types=["obs.ok"], port=0)
    second = ServedWorkerMetrics(database_url, "second", job_types=["obs.ok"], port=0)
    try:
        client.enqueue_jobs(
            [JobSpec(tenant_id=tenant_id, type="obs.ok", payload={"n": n}) for n in range(4)]
        )
        with running_worker(database_url, registry, first.worker, "first"):
            wait_until(
                lambda: (
                    scrape(first.endpoint.url).value(
                        "jobforge_jobs_succeeded_total", job_type="obs.ok"
                    )
                    == 4
                ),
                DRAIN_SECONDS,
                "the first worker's jobs counted",
            )
        quiet = scrape(second.endpoint.url)
        assert quiet.value("jobforge_worker_info", worker_id="second") == 1
        assert quiet.by_label("jobforge_jobs_succeeded_total", "job_type") == {}
        assert quiet.by_label("jobforge_jobs_claimed_total", "job_type") == {}
    finally:
        first.close()
        second.close()
