"""A worker's job counters and histograms, exported to Prometheus at scrape time.

The worker counts a batch at a time: the claim loop once per claim, the reporter once per
written batch, each under one lock, into plain integers. A scrape copies them under the
same lock and renders them as metric families. prometheus_client's own Counter and
Histogram would take a lock per increment and per observation on the worker's hot path.

Labels: ``job_type`` only. Tenants are unbounded (every tenant multiplies every series,
and each histogram is 22 series per label set), so per-tenant figures come from the
database (``jobforge stats``), not from the metrics.
"""

from __future__ import annotations

import threading
from bisect import bisect_left
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import Protocol
from uuid import UUID

from prometheus_client.core import CounterMetricFamily, HistogramMetricFamily, InfoMetricFamily
from prometheus_client.registry import Collector

# Upper bounds (seconds) of both histograms' buckets: jobs run from milliseconds to an hour.
BUCKET_BOUNDS_SECONDS: tuple[float, ...] = (
    0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0,
    120.0, 300.0, 900.0, 1800.0, 3600.0,
)  # fmt: skip


class CountedJob(Protocol):
    """What the counters read from a claimed job."""

    @property
    def id(self) -> UUID: ...
    @property
    def type(self) -> str: ...
    @property
    def started_at(self) -> datetime: ...
    @property
    def run_at(self) -> datetime | None: ...


class CountedOutcome(Protocol):
    """What the counters read from a finished attempt."""

    @property
    def job(self) -> CountedJob: ...
    @property
    def duration_seconds(self) -> float: ...


class _Histogram:
    """Bucket counts (not cumulative), sum and count of one label set."""

    __slots__ = ("counts", "total")

    def __init__(self) -> None:
        self.counts = [0] * (len(BUCKET_BOUNDS_SECONDS) + 1)
        self.total = 0.0

    def buckets(self) -> list[tuple[str, float]]:
        cumulative = 0
        rendered: list[tuple[str, float]] = []
        for bound, count in zip((*BUCKET_BOUNDS_SECONDS, None), self.counts, strict=True):
            cumulative += count
            rendered.append(("+Inf" if bound is None else repr(bound), float(cumulative)))
        return rendered


# (metric name without _total, help text) of each counter, in the order they are exported.
_COUNTERS: tuple[tuple[str, str], ...] = (
    ("jobforge_jobs_claimed", "Attempts this worker claimed."),
    ("jobforge_jobs_succeeded", "Attempts that succeeded (result written)."),
    ("jobforge_jobs_failed", "Attempts that failed with a retry scheduled."),
    ("jobforge_jobs_dead_lettered", "Attempts that failed for good: the job is dead."),
    (
        "jobforge_job_results_refused",
        "Outcomes the database refused because the lease was lost (rescued, canceled or "
        "claimed by a newer attempt).",
    ),
)
_HISTOGRAMS: tuple[tuple[str, str], ...] = (
    ("jobforge_job_duration_seconds", "Handler run time of an attempt."),
    (
        "jobforge_job_queue_wait_seconds",
        "Time from when an attempt became runnable (run_at) to its claim.",
    ),
)


class WorkerMetrics(Collector):
    """The counters and histograms of one worker; register it with a CollectorRegistry."""

    def __init__(self, worker_id: str) -> None:
        self._worker_id = worker_id
        self._lock = threading.Lock()
        self._counters: dict[str, dict[str, int]] = {name: {} for name, _ in _COUNTERS}
        self._histograms: dict[str, dict[str, _Histogram]] = {name: {} for name, _ in _HISTOGRAMS}

    def jobs_claimed(self, jobs: Sequence[CountedJob]) -> None:
        """Count one claim's jobs and how long each waited to be claimed."""
        bounds = BUCKET_BOUNDS_SECONDS
        with self._lock:
            claimed = self._counters["jobforge_jobs_claimed"]
            waits = self._histograms["jobforge_job_queue_wait_seconds"]
            for job in jobs:
                job_type = job.type
                claimed[job_type] = claimed.get(job_type, 0) + 1
                run_at = job.run_at
                if run_at is not None:
                    # Both times are the database's; claim takes only jobs whose run_at
                    # has come, so the wait is never negative.
                    wait = (job.started_at - run_at).total_seconds()
                    histogram = waits.get(job_type) or _histogram(waits, job_type)
                    histogram.counts[bisect_left(bounds, wait)] += 1
                    histogram.total += wait

    def successes_written(
        self, successes: Sequence[CountedOutcome], accepted_ids: Iterable[int]
    ) -> None:
        """Count a written batch of successes; ``accepted_ids`` (as ints) are those the
        database accepted, the others were refused."""
        accepted = accepted_ids if isinstance(accepted_ids, set | frozenset) else set(accepted_ids)
        with self._lock:
            for success in successes:
                name = "jobforge_jobs_succeeded"
                if success.job.id.int not in accepted:
                    name = "jobforge_job_results_refused"
                self._count(name, success)

    def failures_written(
        self, failures: Sequence[CountedOutcome], states: Mapping[UUID, str]
    ) -> None:
        """Count a written batch of failures; ``states`` holds the new state of each job
        the database accepted ('dead' or awaiting a retry)."""
        with self._lock:
            for failed in failures:
                state = states.get(failed.job.id)
                if state is None:
                    name = "jobforge_job_results_refused"
                elif state == "dead":
                    name = "jobforge_jobs_dead_lettered"
                else:
                    name = "jobforge_jobs_failed"
                self._count(name, failed)

    def _count(self, name: str, outcome: CountedOutcome) -> None:
        """Count ``outcome`` under ``name`` and observe its duration (call with the lock)."""
        job_type = outcome.job.type
        counter = self._counters[name]
        counter[job_type] = counter.get(job_type, 0) + 1
        durations = self._histograms["jobforge_job_duration_seconds"]
        histogram = durations.get(job_type) or _histogram(durations, job_type)
        duration = outcome.duration_seconds
        histogram.counts[bisect_left(BUCKET_BOUNDS_SECONDS, duration)] += 1
        histogram.total += duration

    def collect(self) -> Iterator[InfoMetricFamily | CounterMetricFamily | HistogramMetricFamily]:
        with self._lock:
            counters = {name: sorted(values.items()) for name, values in self._counters.items()}
            histograms = {
                name: sorted((job_type, h.buckets(), h.total) for job_type, h in values.items())
                for name, values in self._histograms.items()
            }
        info = InfoMetricFamily("jobforge_worker", "This worker's lease owner name.")
        info.add_metric([], {"worker_id": self._worker_id})
        yield info
        for name, help_text in _COUNTERS:
            counter = CounterMetricFamily(name, help_text, labels=["job_type"])
            for job_type, count in counters[name]:
                counter.add_metric([job_type], count)
            yield counter
        for name, help_text in _HISTOGRAMS:
            histogram = HistogramMetricFamily(name, help_text, labels=["job_type"])
            for job_type, buckets, total in histograms[name]:
                histogram.add_metric([job_type], buckets, total)
            yield histogram


def _histogram(histograms: dict[str, _Histogram], job_type: str) -> _Histogram:
    histogram = histograms.get(job_type)
    if histogram is None:
        histogram = histograms[job_type] = _Histogram()
    return histogram
