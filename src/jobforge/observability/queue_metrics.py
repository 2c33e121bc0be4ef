"""Queue depth and lag per job type, read from the database when Prometheus scrapes.

One query per scrape on a connection of its own, bounded by a short statement timeout. A
scrape always answers: when the database cannot be read, ``jobforge_queue_metrics_up`` is
0 and the depth and lag series are left out (a stale figure would look current).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable, Iterator
from typing import Any

import psycopg
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from psycopg.rows import tuple_row

from jobforge.db.connection import redact
from jobforge.observability.queries import metrics_query

_logger = logging.getLogger("jobforge.observability")
# libpq's shortest connect timeout is 2 s; the query gets as long. A scrape stays well
# inside Prometheus' default 10 s scrape timeout even when the database is away.
QUERY_TIMEOUT_SECONDS = 2
APPLICATION_NAME = "jobforge-metrics"


class QueueMetrics(Collector):
    """Gauges of the queue as the worker's role sees it (its tenants, by row-level
    security). ``job_types`` are always exported, at 0 when none is runnable, so a type's
    series does not vanish when its queue empties."""

    def __init__(self, database_url: str, *, job_types: Iterable[str] = ()) -> None:
        self._database_url = database_url
        self._job_types = sorted(set(job_types))
        self._lock = threading.Lock()  # scrapes may arrive on several threads at once
        self._conn: psycopg.Connection[Any] | None = None
        self._was_up = True

    def close(self) -> None:
        with self._lock:
            self._disconnect()

    def collect(self) -> Iterator[GaugeMetricFamily]:
        started = time.perf_counter()
        with self._lock:
            rows = self._read()
        up = GaugeMetricFamily(
            "jobforge_queue_metrics_up",
            "1 if the last scrape read the queue from the database, else 0.",
        )
        up.add_metric([], 1.0 if rows is not None else 0.0)
        yield up
        duration = GaugeMetricFamily(
            "jobforge_queue_metrics_scrape_duration_seconds",
            "How long the last scrape's queue query took.",
        )
        duration.add_metric([], time.perf_counter() - started)
        yield duration
        if rows is None:
            return
        figures = dict.fromkeys(self._job_types, (0, 0.0))
        figures.update({job_type: (depth, lag) for job_type, depth, lag in rows})
        depth_family = GaugeMetricFamily(
            "jobforge_queue_depth",
            "Jobs runnable now (queued or awaiting a retry whose time has come).",
            labels=["job_type"],
        )
        lag_family = GaugeMetricFamily(
            "jobforge_queue_lag_seconds",
            "Age of the oldest runnable job: now minus its run_at (0 when none).",
            labels=["job_type"],
        )
        for job_type in sorted(figures):
            depth, lag = figures[job_type]
            depth_family.add_metric([job_type], float(depth))
            lag_family.add_metric([job_type], max(0.0, float(lag)))
        yield depth_family
        yield lag_family

    def _read(self) -> list[tuple[str, int, float]] | None:
        """The rows of queue_depth_and_lag, or None when the database could not answer
        (call with the lock held)."""
        try:
            if self._conn is None or self._conn.closed:
                self._conn = self._connect()
            cursor = self._conn.cursor(row_factory=tuple_row)
            rows: list[tuple[str, int, float]] = cursor.execute(
                metrics_query("queue_depth_and_lag")
            ).fetchall()
        except psycopg.Error as exc:
            self._disconnect()
            if self._was_up:
                _logger.warning(
                    "queue metrics: cannot read the queue from %s: %s",
                    redact(self._database_url),
                    str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__,
                )
            self._was_up = False
            return None
        if not self._was_up:
            _logger.info("queue metrics: reading the queue again")
        self._was_up = True
        return rows

    def _connect(self) -> psycopg.Connection[Any]:
        conn = psycopg.connect(
            self._database_url,
            autocommit=True,
            connect_timeout=QUERY_TIMEOUT_SECONDS,
            application_name=APPLICATION_NAME,
        )
        try:
            conn.execute(
                metrics_query("limit_statement_time"),
                {"milliseconds": str(QUERY_TIMEOUT_SECONDS * 1000)},
            )
        except psycopg.Error:
            conn.close()
            raise
        return conn

    def _disconnect(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
