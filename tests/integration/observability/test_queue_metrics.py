"""Queue depth and lag gauges, read from the database at each scrape."""

from __future__ import annotations

import socket
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from jobforge.client import JobForgeClient, JobSpec
from jobforge.observability.endpoint import ServedWorkerMetrics
from jobforge.observability.queue_metrics import QUERY_TIMEOUT_SECONDS
from tests.conftest import TenantRole
from tests.integration.observability.support import scrape
from tests.integration.support import claim, connect

# The lag is now() at the scrape minus run_at: allow for the time between enqueue and scrape.
LAG_TOLERANCE_SECONDS = 10.0


@pytest.fixture
def served_for() -> Iterator[Callable[..., ServedWorkerMetrics]]:
    served: list[ServedWorkerMetrics] = []

    def serve(database_url: str, job_types: list[str]) -> ServedWorkerMetrics:
        metrics = ServedWorkerMetrics(database_url, "gauges", job_types=job_types, port=0)
        served.append(metrics)
        return metrics

    yield serve
    for metrics in served:
        metrics.close()


def database_lag_seconds(database_url: str, job_type: str) -> float:
    with connect(database_url) as conn:
        row = conn.execute(
            "SELECT extract(epoch FROM now() - min(run_at))::float8 AS lag "
            "FROM jobforge.jobforge_jobs "
            "WHERE type = %s AND state IN ('queued', 'awaiting_retry') AND run_at <= now()",
            (job_type,),
        ).fetchone()
    assert row is not None
    return float(row["lag"])


def test_depth_and_lag_per_type_follow_the_queue(
    database_url: str,
    client: JobForgeClient,
    tenant_id: uuid.UUID,
    served_for: Callable[..., ServedWorkerMetrics],
) -> None:
    now = datetime.now(UTC)
    ago = [now - timedelta(seconds=seconds) for seconds in (90, 30, 0)]
    client.enqueue_jobs(
        [JobSpec(tenant_id=tenant_id, type="gauge.a", payload={}, run_at=at) for at in ago]
        + [JobSpec(tenant_id=tenant_id, type="gauge.b", payload={"n": n}) for n in range(2)]
        # Scheduled for tomorrow: not runnable, so neither depth nor lag.
        + [JobSpec(tenant_id=tenant_id, type="gauge.b", payload={}, run_at=now + timedelta(1))]
        # A type no worker here runs is still shown: jobs waiting for a worker that can.
        + [JobSpec(tenant_id=tenant_id, type="gauge.orphan", payload={})]
    )
    metrics = served_for(database_url, ["gauge.a", "gauge.b", "gauge.idle"])

    first = scrape(metrics.endpoint.url)
    assert first.value("jobforge_queue_metrics_up") == 1
    assert first.by_label("jobforge_queue_depth", "job_type") == {
        "gauge.a": 3,
        "gauge.b": 2,
        "gauge.idle": 0,
        "gauge.orphan": 1,
    }
    lags = first.by_label("jobforge_queue_lag_seconds", "job_type")
    assert lags["gauge.idle"] == 0
    assert 90 <= lags["gauge.a"] <= 90 + LAG_TOLERANCE_SECONDS
    assert abs(lags["gauge.a"] - database_lag_seconds(database_url, "gauge.a")) < (
        LAG_TOLERANCE_SECONDS
    )
    assert 0 <= lags["gauge.b"] <= LAG_TOLERANCE_SECONDS

    # Claiming takes the oldest runnable job: depth falls by one, the lag to the next one.
    with connect(database_url) as conn:
        claimed = claim(conn, "someone", limit=1)
    assert len(claimed) == 1
    second = scrape(metrics.endpoint.url)
    assert second.value("jobforge_queue_depth", job_type="gauge.a") == 2
    lag = second.value("jobforge_queue_lag_seconds", job_type="gauge.a")
    assert lag is not None
    assert 30 <= lag <= 30 + LAG_TOLERANCE_SECONDS


def test_a_role_sees_only_its_tenants_and_a_scrape_answers_while_it_cannot_read(
    database_url: str,
    client: JobForgeClient,
    make_role: Callable[[], TenantRole],
    served_for: Callable[..., ServedWorkerMetrics],
) -> None:
    """The gauges run as the worker's role: before it is granted anything the query is
    refused, and the scrape still answers (up 0, no stale depth); once granted one tenant,
    another tenant's jobs stay out of its figures."""
    ours, theirs = uuid.uuid4(), uuid.uuid4()
    client.enqueue_jobs(
        [JobSpec(tenant_id=ours, type="gauge.shared", payload={"n": n}) for n in range(2)]
        + [JobSpec(tenant_id=theirs, type="gauge.shared", payload={"n": n}) for n in range(5)]
    )
    role = make_role()
    metrics = served_for(role.url, ["gauge.shared"])

    refused = scrape(metrics.endpoint.url)
    assert refused.value("jobforge_queue_metrics_up") == 0
    assert "jobforge_queue_depth" not in refused.names()
    assert refused.value("jobforge_worker_info", worker_id="gauges") == 1

    client.grant_tenant(role.name, ours, kind="worker")
    granted = scrape(metrics.endpoint.url)
    assert granted.value("jobforge_queue_metrics_up") == 1
    assert granted.by_label("jobforge_queue_depth", "job_type") == {"gauge.shared": 2}


def test_an_unreachable_database_costs_a_scrape_at_most_the_query_timeout(
    served_for: Callable[..., ServedWorkerMetrics],
) -> None:
    with socket.socket() as probe:  # a port nothing listens on once the probe closes
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    metrics = served_for(f"postgresql://nobody@127.0.0.1:{port}/nowhere", ["gauge.a"])
    started = time.monotonic()
    answer = scrape(metrics.endpoint.url)
    assert time.monotonic() - started < QUERY_TIMEOUT_SECONDS + 5
    assert answer.value("jobforge_queue_metrics_up") == 0
    assert "jobforge_queue_lag_seconds" not in answer.names()


def test_the_statement_timeout_bounds_a_blocked_query(
    database_url: str,
    client: JobForgeClient,
    tenant_id: uuid.UUID,
    served_for: Callable[..., ServedWorkerMetrics],
) -> None:
    """A table lock held elsewhere (a long migration) blocks the queue query: the scrape
    answers up 0 after the timeout instead of hanging, and recovers once it is released."""
    client.enqueue_job(tenant_id=tenant_id, type="gauge.a", payload={})
    metrics = served_for(database_url, ["gauge.a"])
    with psycopg.connect(database_url) as locker:
        locker.execute("LOCK TABLE jobforge.jobforge_jobs IN ACCESS EXCLUSIVE MODE")
        started = time.monotonic()
        blocked = scrape(metrics.endpoint.url)
        assert time.monotonic() - started < QUERY_TIMEOUT_SECONDS + 5
        assert blocked.value("jobforge_queue_metrics_up") == 0
        locker.rollback()
    recovered = scrape(metrics.endpoint.url)
    assert recovered.value("jobforge_queue_metrics_up") == 1
    assert recovered.value("jobforge_queue_depth", job_type="gauge.a") == 1
