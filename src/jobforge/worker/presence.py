"""Worker presence: the worker's row in ``jobforge.jobforge_workers``, kept current.

A worker records itself at start, every ``PRESENCE_INTERVAL_SECONDS`` and once more,
marked stopped, when it stops cleanly. Operators read the table (``jobforge doctor``) to
see which workers run and which job types nobody serves. Presence never stops a worker:
a call that fails is logged once per outage and the next one tries again.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any, LiteralString

import psycopg

from jobforge import __version__
from jobforge.db.connection import connect
from jobforge.db.errors import translate
from jobforge.db.queries import parse_named_queries
from jobforge.errors import JobForgeError

_logger = logging.getLogger("jobforge.worker")
# How often a running worker says it is alive. `jobforge doctor` calls a worker live when
# it was seen within its --worker-seen-seconds (60 by default): four intervals.
PRESENCE_INTERVAL_SECONDS = 15.0
# How long stop() waits for the last record (the worker has finished its jobs by then).
STOP_WAIT_SECONDS = 5.0
MAX_HOSTNAME_LENGTH = 255


@dataclass(frozen=True, slots=True)
class PresenceRecord:
    """What a worker says about itself; the database adds its role and the times."""

    worker_id: str
    job_types: tuple[str, ...] | None  # None: the worker claims every job type
    hostname: str
    pid: int
    version: str = __version__

    @classmethod
    def of_this_process(cls, worker_id: str, job_types: Sequence[str] | None) -> PresenceRecord:
        return cls(
            worker_id=worker_id,
            job_types=None if job_types is None else tuple(job_types),
            hostname=socket.gethostname()[:MAX_HOSTNAME_LENGTH] or "unknown",
            pid=os.getpid(),
        )


class WorkerPresence:
    """Keeps one worker's presence row current from a thread of its own."""

    def __init__(
        self,
        database_url: str,
        record: PresenceRecord,
        *,
        interval_seconds: float = PRESENCE_INTERVAL_SECONDS,
    ) -> None:
        self._database_url = database_url
        self._record = record
        self._interval_seconds = interval_seconds
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="jobforge-presence", daemon=True)
        self._failing = False

    @classmethod
    def started(
        cls, database_url: str, worker_id: str, job_types: Sequence[str] | None
    ) -> WorkerPresence:
        """A running presence for this process's worker ``worker_id``."""
        presence = cls(database_url, PresenceRecord.of_this_process(worker_id, job_types))
        presence.start()
        return presence

    def start(self) -> None:
        self._thread.start()

    def stop(self, *, wait_seconds: float = STOP_WAIT_SECONDS) -> None:
        """Record the worker as stopped (waiting at most ``wait_seconds``) and end the thread."""
        self._stopping.set()
        self._thread.join(timeout=wait_seconds)

    def _run(self) -> None:
        conn: psycopg.Connection[dict[str, Any]] | None = None
        try:
            while True:
                conn = self._send(conn, stopped=False)
                if self._stopping.wait(self._interval_seconds):
                    break
            conn = self._send(conn, stopped=True)
        finally:
            if conn is not None:
                conn.close()

    def _send(
        self, conn: psycopg.Connection[dict[str, Any]] | None, *, stopped: bool
    ) -> psycopg.Connection[dict[str, Any]] | None:
        """One presence record; the connection to reuse next time (None after an error)."""
        record = self._record
        try:
            conn = conn if conn is not None and not conn.closed else connect(self._database_url)
            try:
                conn.execute(
                    _query("record_worker_presence"),
                    {
                        "worker_id": record.worker_id,
                        "hostname": record.hostname,
                        "pid": record.pid,
                        "version": record.version,
                        "job_types": None if record.job_types is None else list(record.job_types),
                        "stopped": stopped,
                    },
                )
            except psycopg.Error as exc:
                raise translate(exc) from exc
        except JobForgeError as exc:
            if not self._failing:
                _logger.warning(
                    "worker presence not recorded (jobforge doctor will not see this worker "
                    "until it is): %s",
                    exc,
                    extra={"worker_id": record.worker_id},
                )
            self._failing = True
            if conn is not None:
                conn.close()
            return None
        if self._failing:
            _logger.info("worker presence recorded again", extra={"worker_id": record.worker_id})
        self._failing = False
        return conn


@cache
def _queries() -> dict[str, str]:
    text = resources.files("jobforge.worker").joinpath("presence.sql").read_text("utf-8")
    return parse_named_queries(text)


def _query(name: str) -> LiteralString:
    """The SQL of the named block in presence.sql (trusted text shipped with JobForge)."""
    return _queries()[name]
