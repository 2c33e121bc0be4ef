"""LISTEN jobforge_jobs on a connection of its own, reconnecting when it drops."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

import psycopg

from jobforge.db.connection import connect
from jobforge.db.queries import query
from jobforge.errors import DatabaseUnavailable
from jobforge.worker.reconnect import ReconnectDelay

_logger = logging.getLogger("jobforge.worker")
# How often the listener looks up from its connection to see whether the worker stops.
STOP_CHECK_SECONDS = 0.25


class Listener:
    """Calls ``on_notification`` for every notification, until ``stopping`` is set.

    After a dropped connection it also calls ``on_notification`` once, because jobs may
    have arrived unseen; the worker's polling covers the gap until it is back.
    """

    def __init__(
        self, database_url: str, on_notification: Callable[[], None], stopping: threading.Event
    ) -> None:
        self._database_url = database_url
        self._on_notification = on_notification
        self._stopping = stopping

    def run(self) -> None:
        reconnect = ReconnectDelay()
        while not self._stopping.is_set():
            try:
                with connect(self._database_url) as conn:
                    conn.execute(query("listen_jobs"))
                    reconnect.succeeded()
                    self._on_notification()  # anything enqueued before LISTEN took effect
                    while not self._stopping.is_set():
                        for _ in conn.notifies(timeout=STOP_CHECK_SECONDS):
                            self._on_notification()
            except (DatabaseUnavailable, psycopg.Error) as exc:
                _logger.warning("listener lost its connection, reconnecting: %s", exc)
                self._on_notification()
                self._stopping.wait(reconnect.next_seconds())
