"""The worker: claims jobs in batches, runs their handlers on threads, reports in batches.

Threads and what each owns:
- the caller's thread runs the claim loop (one connection), woken by notifications, by
  freed capacity, or by the poll interval;
- ``concurrency`` handler threads run handlers (sync ones directly, async ones on the
  thread's own event loop);
- the reporter writes outcomes with one complete and one fail statement per batch;
- the supervisor extends leases (heartbeat) and fails sync handlers past their timeout;
- the listener waits on LISTEN jobforge_jobs and reconnects when the connection drops.
"""

from __future__ import annotations

import json
import logging
import math
import queue
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import psycopg
from psycopg.rows import tuple_row

from jobforge.connectors.clock import Clock
from jobforge.connectors.policy import ConnectorPolicy
from jobforge.connectors.registry import ConnectorRegistry
from jobforge.connectors.runtime import ConnectorRuntime
from jobforge.db.connection import connect
from jobforge.db.errors import translate
from jobforge.db.queries import query
from jobforge.errors import ConfigurationError, DatabaseUnavailable
from jobforge.handlers import HandlerRegistry, default_registry
from jobforge.observability.tracing import JobTracer, job_tracer
from jobforge.worker.config import WorkerConfig
from jobforge.worker.contract_retry import hold_to_contract
from jobforge.worker.execution import (
    ClaimedJob,
    Failed,
    JobRunner,
    Outcome,
    Succeeded,
    failure,
)
from jobforge.worker.job_types import JobTypeContract
from jobforge.worker.listener import Listener
from jobforge.worker.outcome_writer import OutcomeWriter, WorkerReport
from jobforge.worker.presence import WorkerPresence
from jobforge.worker.reconnect import ReconnectDelay

if TYPE_CHECKING:  # prometheus_client costs a start 40 ms: imported only with metrics on
    from jobforge.observability.metrics import WorkerMetrics

_logger = logging.getLogger("jobforge.worker")
MAX_REPORT_BATCH = 1_000
# A worker gives up when the database stays away this long at start, or (a burst worker)
# later; a long-running worker that has reached it once waits however long it takes.
STARTUP_OUTAGE_SECONDS = 30.0
BURST_OUTAGE_SECONDS = 60.0
# After a second signal, how long shutdown waits for the reporter to write what it holds.
IMMEDIATE_JOIN_SECONDS = 5.0
_STOP = object()


@dataclass
class _Claimed:
    """A job this worker holds a lease on, from claim until its outcome is handed over."""

    job: ClaimedJob
    started_at: float | None = None
    deadline: float | None = None


class Worker:
    """Runs the handlers of ``registry`` for jobs claimed from ``database_url``.

    ``run()`` blocks until ``stop()`` is called (from a signal handler or another thread)
    or, with ``config.burst``, until nothing is runnable and nothing is running.

    ``connector_policies`` (from the connectors' metadata) are enforced on live connector
    calls by every handler thread together: one rate limit and one circuit breaker per
    connector. ``connector_clock`` is what their waits use (a test passes one that does
    not sleep).

    ``metrics`` (see jobforge.observability) counts claims and outcomes per job type. Each
    attempt runs in an OpenTelemetry span when the application has configured a tracer
    provider before ``run()``.
    """

    def __init__(
        self,
        database_url: str,
        *,
        registry: HandlerRegistry | None = None,
        config: WorkerConfig | None = None,
        job_types: Mapping[str, JobTypeContract] | None = None,
        connectors: ConnectorRegistry | None = None,
        connector_policies: Mapping[str, ConnectorPolicy] | None = None,
        connector_clock: Clock | None = None,
        metrics: WorkerMetrics | None = None,
    ) -> None:
        self._database_url = database_url
        self._registry = registry if registry is not None else default_registry
        self._config = config if config is not None else WorkerConfig()
        self._job_types = dict(job_types or {})
        self._connectors = connectors
        self._connector_runtime = (
            ConnectorRuntime(connector_policies, clock=connector_clock)
            if connector_policies
            else None
        )
        # Guards the fields below. Hot paths hold ``_lock`` directly (a C context manager);
        # ``_changed`` is the condition on the same lock, notified when capacity frees or
        # work may have arrived.
        self._lock = threading.RLock()
        self._changed = threading.Condition(self._lock)
        # Keyed by (job id as an int, attempt): an abandoned attempt's thread that returns
        # late must not find the entry of the job's next attempt. (UUID hashing runs
        # Python code; hashing a pair of ints does not.)
        self._claimed: dict[tuple[int, int], _Claimed] = {}
        # Per job type: (timeout in seconds, whether the handler is sync), looked up once.
        self._type_plans: dict[str, tuple[float | None, bool]] = {}
        self._waiting_to_start = 0
        # While the claim loop waits: whether it waits for room (True) or for work (False).
        self._claimer_waits_for_more: bool | None = None
        # Jobs whose outcome waits for the reporter: their leases are still theirs to keep
        # (heartbeats cover them), so outcomes reached while the reporter cannot reach the
        # database are written when it can, not refused after the lease lapsed.
        self._reporting: dict[tuple[int, int], ClaimedJob] = {}
        # Set while the reporter waits to reconnect (see _room).
        self._reporter_blocked = threading.Event()
        self._notified = False
        self._stopping = threading.Event()
        self._immediate = threading.Event()
        self._work: queue.SimpleQueue[ClaimedJob | object] = queue.SimpleQueue()
        self._outcomes: queue.SimpleQueue[Outcome | object] = queue.SimpleQueue()
        self._report = WorkerReport()
        self._threads: list[threading.Thread] = []
        # Wakes the supervisor early: a new handler deadline, or shutdown.
        self._supervisor_wake = threading.Event()
        self._connected_once = False
        self._claim_types: list[str] | None = None
        self._metrics = metrics
        self._tracer: JobTracer | None = None

    @property
    def worker_id(self) -> str:
        return self._config.worker_id

    def stop(self, *, immediate: bool = False) -> None:
        """Stop claiming; let running jobs finish within the grace period (or not, if
        ``immediate``), then give unfinished jobs back to the queue."""
        self._stopping.set()
        if immediate:
            self._immediate.set()
        self._supervisor_wake.set()
        with self._changed:
            self._changed.notify_all()

    def run(self) -> WorkerReport:
        self._claim_types = self._claimed_types()
        self._tracer = job_tracer(self.worker_id)
        _logger.info(
            "worker started",
            extra={"worker_id": self.worker_id, "concurrency": self._config.concurrency},
        )
        service_threads = [self._start_thread("reporter", self._report_loop)]
        service_threads.append(self._start_thread("supervisor", self._supervise))
        if self._config.listen and not self._config.burst:
            listener = Listener(self._database_url, self._on_notification, self._stopping)
            service_threads.append(self._start_thread("listener", listener.run))
        for index in range(self._config.concurrency):
            self._start_handler_thread(index)
        presence = WorkerPresence.started(self._database_url, self.worker_id, self._claim_types)
        try:
            self._claim_loop()
        finally:
            self._shut_down(service_threads)
            presence.stop()
        _logger.info("worker stopped", extra={"worker_id": self.worker_id, **vars(self._report)})
        return self._report

    # -- claiming -------------------------------------------------------------------------

    def _claim_loop(self) -> None:
        conn: psycopg.Connection[dict[str, Any]] | None = None
        reconnect = ReconnectDelay()
        outage_since: float | None = None
        try:
            while not self._stopping.is_set():
                with self._changed:
                    capacity = self._room()
                    idle = not self._claimed and not self._reporting
                    self._notified = False
                wanted = min(capacity, self._config.batch_size)
                jobs: list[ClaimedJob] = []
                if wanted > 0:
                    try:
                        conn = conn if conn is not None and not conn.closed else self._connect()
                        jobs = self._claim(conn, wanted)
                    except DatabaseUnavailable as exc:
                        now = time.monotonic()
                        outage_since = outage_since if outage_since is not None else now
                        if now - outage_since > self._outage_limit_seconds():
                            raise
                        self._log_database_error("claim", exc)
                        if conn is not None:
                            conn.close()
                        conn = None
                        self._stopping.wait(reconnect.next_seconds())
                        continue
                    if outage_since is not None:
                        _logger.warning(
                            "database reachable again after %.1f s",
                            time.monotonic() - outage_since,
                            extra={"worker_id": self.worker_id},
                        )
                    reconnect.succeeded()
                    outage_since = None
                    self._dispatch(jobs)
                if self._config.burst and idle and wanted > 0 and not jobs:
                    return
                self._wait_for_work(maybe_more=wanted > 0 and len(jobs) == wanted)
        finally:
            if conn is not None:
                conn.close()

    def _outage_limit_seconds(self) -> float:
        """How long the claim loop waits for the database before it gives up: a worker
        that never reached it (a server still starting, or a wrong URL, whose error each
        retry logs) or a burst worker, not for ever; a running worker rides out any outage."""
        if not self._connected_once:
            return STARTUP_OUTAGE_SECONDS
        if self._config.burst:
            return BURST_OUTAGE_SECONDS
        return math.inf

    def _claimed_types(self) -> list[str] | None:
        """The job types this worker claims (None: every type). By default only those it
        has handlers for: a job of another type waits for a worker that can run it rather
        than being dead-lettered by one started with the wrong modules."""
        config = self._config
        if config.claim_all_types:
            return None
        handled = set(self._registry.job_types())
        if config.job_types:
            unhandled = sorted(set(config.job_types) - handled)
            if unhandled:
                raise ConfigurationError(
                    f"job type(s) {', '.join(unhandled)}: no handler registered on this "
                    "worker; import the module that registers them (-m MODULE)"
                )
            return sorted(config.job_types)
        if not handled:
            _logger.warning(
                "no handlers registered: this worker claims nothing (-m MODULE imports a "
                "module that registers handlers)",
                extra={"worker_id": self.worker_id},
            )
        return sorted(handled)

    def _claim(self, conn: psycopg.Connection[dict[str, Any]], limit: int) -> list[ClaimedJob]:
        params = {
            "worker_id": self.worker_id,
            "limit": limit,
            "lease_seconds": self._config.lease_seconds,
            "job_types": self._claim_types,
        }
        try:
            rows = (
                conn.cursor(row_factory=tuple_row).execute(query("claim_jobs"), params).fetchall()
            )
        except psycopg.Error as exc:
            raise translate(exc) from exc
        return [ClaimedJob.from_claim_row(row) for row in rows]

    def _dispatch(self, jobs: list[ClaimedJob]) -> None:
        if not jobs:
            return
        if self._metrics is not None:
            self._metrics.jobs_claimed(jobs)
        with self._lock:
            for job in jobs:
                self._claimed[job.key] = _Claimed(job=job)
            self._waiting_to_start += len(jobs)
        for job in jobs:
            self._work.put(job)

    def _wait_for_work(self, *, maybe_more: bool) -> None:
        """Sleep until there may be something to claim and room to run it."""
        with self._changed:
            self._claimer_waits_for_more = maybe_more
            try:
                self._changed.wait_for(
                    lambda: self._claim_ready(maybe_more=maybe_more),
                    timeout=self._config.poll_interval_seconds,
                )
            finally:
                self._claimer_waits_for_more = None

    def _room(self) -> int:
        """How many more jobs to claim (call with ``_changed`` held): up to the held-jobs
        limit, and none while the reporter cannot reach the database with more outcomes
        than that waiting (claiming more would only pile them up)."""
        limit = self._config.held_jobs_limit
        if self._reporter_blocked.is_set() and len(self._reporting) > limit:
            return 0
        return limit - len(self._claimed)

    def _claim_ready(self, *, maybe_more: bool) -> bool:
        """Whether the claim loop should claim now (call with ``_changed`` held)."""
        if self._stopping.is_set():
            return True
        limit = self._config.held_jobs_limit
        room = self._room()
        if maybe_more:
            # Claim again once half a batch fits, or sooner if handlers would go idle.
            refill_at = max(1, min(self._config.batch_size, limit) // 2)
            return room >= refill_at or (room > 0 and self._waiting_to_start == 0)
        if self._config.burst:
            return self._notified or (not self._claimed and not self._reporting)
        return self._notified and room > 0

    def _nudge_claimer(self) -> None:
        """Wake the claim loop if it waits and may now claim (call with ``_changed`` held).

        Waking it only when it will act saves a thread switch per finished job.
        """
        waits_for_more = self._claimer_waits_for_more
        if self._stopping.is_set() or (
            waits_for_more is not None and self._claim_ready(maybe_more=waits_for_more)
        ):
            self._changed.notify_all()

    def _on_notification(self) -> None:
        with self._changed:
            self._notified = True
            self._changed.notify_all()

    # -- running --------------------------------------------------------------------------

    def _start_thread(self, name: str, target: Callable[[], None]) -> threading.Thread:
        thread = threading.Thread(target=target, name=f"jobforge-{name}", daemon=True)
        thread.start()
        self._threads.append(thread)
        return thread

    def _start_handler_thread(self, index: int) -> None:
        self._start_thread(f"handler-{index}", self._handler_loop)

    def _handler_loop(self) -> None:
        runner = JobRunner(
            self._registry,
            self.worker_id,
            self._config.default_timeout_seconds,
            job_types=self._job_types,
            connectors=self._connectors,
            connector_runtime=self._connector_runtime,
        )
        try:
            while True:
                item = self._work.get()
                if item is _STOP or not isinstance(item, ClaimedJob):
                    return
                if self._stopping.is_set():
                    continue  # not started: given back at shutdown
                if not self._run_one(runner, item):
                    return  # timed out and replaced by a fresh thread
        finally:
            runner.close()

    def _run_one(self, runner: JobRunner, job: ClaimedJob) -> bool:
        """Run one job; False when the supervisor gave up on it (this thread must end)."""
        plan = self._type_plans.get(job.type)
        if plan is None:
            is_sync = job.type in self._registry and not self._registry.get(job.type).is_async
            plan = self._type_plans[job.type] = (runner.timeout_for(job.type), is_sync)
        timeout, is_sync = plan
        with self._lock:
            entry = self._claimed.get(job.key)
            if entry is None:
                return True
            self._waiting_to_start -= 1
            started_at = entry.started_at = time.monotonic()
            if timeout is not None and is_sync:
                entry.deadline = entry.started_at + timeout
                self._supervisor_wake.set()
            if self._waiting_to_start == 0:
                self._nudge_claimer()  # the claim loop refills before handlers idle
        outcome = runner.run(job) if self._tracer is None else self._tracer.run(job, runner.run)
        outcome.duration_seconds = time.monotonic() - started_at
        with self._lock:
            if self._claimed.pop(job.key, None) is None:
                return False
            self._reporting[job.key] = job
            self._outcomes.put(outcome)
            self._nudge_claimer()
        return True

    # -- reporting ------------------------------------------------------------------------

    def _report_loop(self) -> None:
        writer = OutcomeWriter(
            self._database_url,
            self.worker_id,
            self._report,
            self._immediate,
            blocked=self._reporter_blocked,
            metrics=self._metrics,
        )
        try:
            while True:
                first = self._outcomes.get()
                if first is _STOP:
                    return
                batch = [first]
                while len(batch) < MAX_REPORT_BATCH:
                    try:
                        item = self._outcomes.get_nowait()
                    except queue.Empty:
                        break
                    if item is _STOP:
                        self._outcomes.put(_STOP)
                        break
                    batch.append(item)
                outcomes = [item for item in batch if isinstance(item, Succeeded | Failed)]
                for outcome in outcomes:
                    if type(outcome) is Failed and outcome.retryable:
                        hold_to_contract(outcome, self._job_types.get(outcome.job.type))
                writer.write(outcomes)
                with self._lock:
                    reported = self._reporting.pop
                    for outcome in outcomes:
                        reported(outcome.job.key, None)
                    if any(outcome.job.ordering_key for outcome in outcomes):
                        self._notified = True  # the next job of that key may be runnable now
                    self._nudge_claimer()
        finally:
            writer.close()

    # -- supervising ----------------------------------------------------------------------

    def _supervise(self) -> None:
        conn: psycopg.Connection[dict[str, Any]] | None = None
        next_heartbeat = time.monotonic() + self._config.heartbeat_interval_seconds
        try:
            while not self._immediate.is_set():
                now = time.monotonic()
                self._expire_timed_out(now)
                if now >= next_heartbeat:
                    conn = self._heartbeat(conn)
                    next_heartbeat = now + self._config.heartbeat_interval_seconds
                with self._changed:
                    deadlines = [e.deadline for e in self._claimed.values() if e.deadline]
                    if self._stopping.is_set() and not self._claimed and not self._reporting:
                        return
                wake_at = min([next_heartbeat, *deadlines])
                self._supervisor_wake.wait(timeout=max(0.0, wake_at - time.monotonic()))
                self._supervisor_wake.clear()
        finally:
            if conn is not None:
                conn.close()

    def _expire_timed_out(self, now: float) -> None:
        expired: list[_Claimed] = []
        with self._changed:
            for entry in list(self._claimed.values()):
                if entry.deadline is not None and entry.deadline <= now:
                    del self._claimed[entry.job.key]
                    expired.append(entry)
                    self._reporting[entry.job.key] = entry.job
            for entry in expired:
                started = entry.started_at or now
                timed_out = failure(
                    entry.job,
                    "timeout",
                    f"handler exceeded its timeout of {entry.deadline - started:.3f} s"
                    if entry.deadline is not None
                    else "handler exceeded its timeout",
                    retryable=True,
                )
                timed_out.duration_seconds = now - started
                self._outcomes.put(timed_out)
            self._changed.notify_all()
        for index, _ in enumerate(expired):
            # A sync handler cannot be interrupted: its thread is abandoned (its result will
            # be ignored) and a fresh thread keeps the worker at full concurrency.
            self._start_handler_thread(len(self._threads) + index)

    def _heartbeat(
        self, conn: psycopg.Connection[dict[str, Any]] | None
    ) -> psycopg.Connection[dict[str, Any]] | None:
        with self._changed:
            held_jobs = [entry.job for entry in self._claimed.values()]
            held_jobs += self._reporting.values()
        if not held_jobs:
            return conn
        job_ids = [job.id for job in held_jobs]
        try:
            conn = conn if conn is not None and not conn.closed else self._connect()
            rows = conn.execute(
                query("heartbeat"),
                {
                    "worker_id": self.worker_id,
                    "job_ids": job_ids,
                    # A heartbeat names the attempt: a lease on a newer attempt of the same
                    # job (claimed after this one's lease expired) is never extended by it.
                    "attempts": [job.attempt for job in held_jobs],
                    "lease_seconds": self._config.lease_seconds,
                },
            ).fetchall()
        except (DatabaseUnavailable, psycopg.Error) as exc:
            self._log_database_error("heartbeat", exc)
            return None
        held = {row["job_id"] for row in rows}
        for job in held_jobs:
            if job.id not in held:
                with self._changed:
                    entry = self._claimed.get(job.key)
                if entry is not None:
                    _logger.warning(
                        "lease lost while the job runs; its result will be refused",
                        extra=entry.job.log_fields(self.worker_id),
                    )
        return conn

    # -- shutting down --------------------------------------------------------------------

    def _shut_down(self, service_threads: list[threading.Thread]) -> None:
        self._stopping.set()
        self._supervisor_wake.set()
        self._release(started=False)
        grace_ends = time.monotonic() + self._config.shutdown_grace_seconds
        with self._changed:
            self._changed.wait_for(
                lambda: not self._claimed or self._immediate.is_set(),
                timeout=max(0.0, grace_ends - time.monotonic()),
            )
        self._release(started=True)
        for _ in range(len(self._threads)):
            self._work.put(_STOP)
        self._outcomes.put(_STOP)
        self._supervisor_wake.set()
        with self._changed:
            self._changed.notify_all()
        for thread in service_threads:
            thread.join(timeout=None if not self._immediate.is_set() else IMMEDIATE_JOIN_SECONDS)

    def _release(self, *, started: bool) -> None:
        """Give back claimed jobs: those not started yet, or (after the grace period) all."""
        with self._changed:
            entries = [e for e in self._claimed.values() if started or e.started_at is None]
            for entry in entries:
                del self._claimed[entry.job.key]
                if entry.started_at is None:
                    self._waiting_to_start -= 1
            self._changed.notify_all()
        if not entries:
            return
        documents = [{"job_id": str(e.job.id), "attempt": e.job.attempt} for e in entries]
        try:
            with self._connect() as conn:
                rows = conn.execute(
                    query("release_jobs"),
                    {"worker_id": self.worker_id, "jobs": json.dumps(documents)},
                ).fetchall()
        except (DatabaseUnavailable, psycopg.Error) as exc:
            self._log_database_error("release", exc)
            return  # the leases lapse and claim rescues the jobs
        self._report.released += len(rows)
        for entry in entries:
            _logger.warning(
                "job given back to the queue"
                + (" unfinished after the grace period" if entry.started_at else ""),
                extra=entry.job.log_fields(self.worker_id),
            )

    # -- helpers --------------------------------------------------------------------------

    def _connect(self) -> psycopg.Connection[dict[str, Any]]:
        conn = connect(self._database_url)  # decodes each row on its own (json_loading)
        self._connected_once = True
        return conn

    def _log_database_error(self, operation: str, exc: BaseException) -> None:
        _logger.error(
            "database error during %s: %s", operation, exc, extra={"worker_id": self.worker_id}
        )
