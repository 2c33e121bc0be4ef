"""Writing a worker's outcomes: one complete and one fail statement per batch."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import psycopg
from psycopg.rows import tuple_row

from jobforge.db.connection import connect
from jobforge.db.errors import translate
from jobforge.db.queries import query
from jobforge.determinism.canonical import json_string
from jobforge.determinism.reusable_encoder import ReusableEncoder
from jobforge.errors import DatabaseUnavailable, JobForgeError
from jobforge.follow_ups import documents_json
from jobforge.worker.execution import ClaimedJob, Failed, Outcome, Records, Succeeded, failure
from jobforge.worker.reconnect import ReconnectDelay

if TYPE_CHECKING:  # prometheus_client costs a start 40 ms: imported only with metrics on
    from jobforge.observability.metrics import WorkerMetrics

_logger = logging.getLogger("jobforge.worker")
_ERROR_ENCODER = ReusableEncoder(
    json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=str)
)


@dataclass
class WorkerReport:
    """What a worker did during one run() (counts of outcomes the database accepted)."""

    succeeded: int = 0
    retried: int = 0
    dead: int = 0
    refused: int = 0
    released: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def finished(self) -> int:
        return self.succeeded + self.dead


def _success_document(success: Succeeded) -> str:
    """One element of complete_jobs' JSON array. Every part is already JSON text (ids as
    hex, which uuid input accepts), so a batch is joined rather than encoded."""
    job = success.job
    return (
        f'{{"job_id":"{job.id.hex}","attempt":{job.attempt},'
        f'"artifact_sha256":"{success.artifact_sha256}",'
        f'"artifact_canonical":{json_string(success.output_json)}'
        f"{_records_members(success.records)}"
        f"{_follow_ups_member(success) if success.follow_ups else ''}}}"
    )


def _follow_ups_member(success: Succeeded) -> str:
    return ',"follow_ups":' + documents_json(success.follow_ups)


def _failure_document(failed: Failed) -> str:
    """One element of fail_jobs' JSON array."""
    job = failed.job
    return (
        f'{{"job_id":"{job.id.hex}","attempt":{job.attempt},'
        f'"retryable":{"true" if failed.retryable else "false"},'
        f"{_retry_in(failed.retry_in_seconds)}"
        f'"error":{_ERROR_ENCODER.encode(failed.error)}'
        f"{_records_members(failed.records)}}}"
    )


def _retry_in(seconds: float | None) -> str:
    # repr of a finite float is JSON (Failed only holds finite ones).
    return "" if seconds is None else f'"retry_in_seconds":{seconds!r},'


def _records_members(records: Records | None) -> str:
    return "" if records is None else "," + records.json_members


class OutcomeWriter:
    """Writes batches of outcomes on a connection of its own, counting them in ``report``.

    A batch is written in one transaction (successes and failures together, so a retry
    never sends a success twice). Lost connections are retried until ``immediate`` is
    set; a row the database refuses is written alone so it cannot sink its batch.
    """

    def __init__(
        self,
        database_url: str,
        worker_id: str,
        report: WorkerReport,
        immediate: threading.Event,
        *,
        blocked: threading.Event | None = None,
        metrics: WorkerMetrics | None = None,
    ) -> None:
        self._database_url = database_url
        # Set while writing waits for the database to come back.
        self._blocked = blocked if blocked is not None else threading.Event()
        self.worker_id = worker_id
        self._report = report
        self._immediate = immediate
        self._conn: psycopg.Connection[dict[str, Any]] | None = None
        self._reconnect = ReconnectDelay()
        self._metrics = metrics

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def write(self, outcomes: list[Outcome]) -> None:
        """Write outcomes, retrying through connection failures; a batch is dropped only
        when the worker stops at once (then the leases lapse and claim rescues the jobs)."""
        while True:
            try:
                if self._conn is None or self._conn.closed:
                    self._conn = connect(self._database_url)
                self._write_outcomes(self._conn, outcomes)
            except DatabaseUnavailable as exc:
                _logger.error(  # noqa: TRY400 - a lost connection needs no traceback
                    "database error while reporting: %s", exc, extra={"worker_id": self.worker_id}
                )
                if self._conn is not None:
                    self._conn.close()
                self._conn = None
                self._blocked.set()
                if self._immediate.wait(self._reconnect.next_seconds()):
                    return
            except JobForgeError as exc:
                self._write_refused(outcomes, exc)
                return
            else:
                self._reconnect.succeeded()
                self._blocked.clear()
                return

    def _write_refused(self, outcomes: list[Outcome], exc: JobForgeError) -> None:
        if len(outcomes) > 1:
            for outcome in outcomes:  # one bad row must not sink the batch
                self.write([outcome])
            return
        outcome = outcomes[0]
        if isinstance(outcome, Succeeded):
            # The database refused this result: record the refusal as the failure.
            self.write([failure(outcome.job, "result_rejected", str(exc), retryable=False)])
            return
        self._report.errors.append(str(exc))
        _logger.exception(
            "could not record the outcome", extra=outcome.job.log_fields(self.worker_id)
        )

    def _write_outcomes(
        self, conn: psycopg.Connection[dict[str, Any]], outcomes: list[Outcome]
    ) -> None:
        successes = [outcome for outcome in outcomes if isinstance(outcome, Succeeded)]
        failures = [outcome for outcome in outcomes if isinstance(outcome, Failed)]
        # Counted and logged once the database has them: a batch rolled back and written
        # again row by row is counted once.
        written: list[Callable[[], None]] = []
        try:
            if successes and failures:
                with conn.transaction():  # both or neither: a retry never re-sends a success
                    written += self._write_successes(conn, successes)
                    written += self._write_failures(conn, failures)
            elif successes:  # one statement is atomic on its own: no BEGIN and COMMIT
                written += self._write_successes(conn, successes)
            elif failures:
                written += self._write_failures(conn, failures)
        except psycopg.OperationalError as exc:
            raise DatabaseUnavailable(str(exc)) from exc
        except psycopg.Error as exc:
            raise translate(exc) from exc
        for report in written:
            report()

    def _write_successes(
        self, conn: psycopg.Connection[dict[str, Any]], successes: list[Succeeded]
    ) -> list[Callable[[], None]]:
        """Send the successes; what to count and log once they are committed."""
        # Only the canonical text of each output is sent; the database parses it once.
        documents = "[" + ",".join([_success_document(s) for s in successes]) + "]"
        params = {"worker_id": self.worker_id, "results": documents}
        # Follow-ups are enqueued by another function, so completing attempts that ask for
        # none runs exactly what it ran before follow-ups existed.
        name = (
            "complete_jobs_with_follow_ups"
            if any(success.follow_ups for success in successes)
            else "complete_jobs"
        )
        cursor = conn.cursor(row_factory=tuple_row).execute(query(name), params)
        accepted = {row[0].int for row in cursor}  # ints: UUID hashes in Python
        return [lambda: self._report_successes(successes, accepted)]

    def _report_successes(self, successes: list[Succeeded], accepted: set[int]) -> None:
        log_each = _logger.isEnabledFor(logging.INFO)
        for success in successes:
            if success.job.id.int in accepted:
                self._report.succeeded += 1
                if log_each:
                    _logger.info("job succeeded", extra=success.job.log_fields(self.worker_id))
            else:
                self._refused(success.job)
        if self._metrics is not None:
            self._metrics.successes_written(successes, accepted)

    def _write_failures(
        self, conn: psycopg.Connection[dict[str, Any]], failures: list[Failed]
    ) -> list[Callable[[], None]]:
        """Send the failures; what to count and log once they are committed."""
        documents = "[" + ",".join([_failure_document(f) for f in failures]) + "]"
        params = {"worker_id": self.worker_id, "failures": documents}
        rows = {row["job_id"]: row for row in conn.execute(query("fail_jobs"), params)}
        return [lambda: self._report_failures(failures, rows)]

    def _report_failures(self, failures: list[Failed], rows: dict[Any, dict[str, Any]]) -> None:
        if self._metrics is not None:
            self._metrics.failures_written(
                failures, {job_id: row["state"] for job_id, row in rows.items()}
            )
        for failed in failures:
            row = rows.get(failed.job.id)
            fields = failed.job.log_fields(self.worker_id)
            if row is None:
                self._refused(failed.job)
            elif row["state"] == "dead":
                self._report.dead += 1
                _logger.error(
                    "job dead: %s",
                    failed.error.get("message"),
                    extra={**fields, "error": failed.error},
                )
            else:
                self._report.retried += 1
                _logger.warning(
                    "job failed, retry at %s: %s",
                    row["run_at"].isoformat(),
                    failed.error.get("message"),
                    extra={**fields, "error": failed.error},
                )

    def _refused(self, job: ClaimedJob) -> None:
        self._report.refused += 1
        _logger.warning(
            "result refused: the lease was lost (rescued, canceled or claimed by a newer attempt)",
            extra=job.log_fields(self.worker_id),
        )
