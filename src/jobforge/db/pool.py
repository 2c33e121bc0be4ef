"""A few connections shared by the threads of one server process (ingress, dashboard).

Deliberately small rather than psycopg_pool: a request never waits for a background
reconnection loop. When the database is down, the request that needs a connection gets
the connect error at once (``DatabaseUnavailable``, naming the server), so the ingress
answers 503 and the dashboard says why straight away; the next request tries again.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg

from jobforge.db.connection import connect

Connection = psycopg.Connection[dict[str, Any]]


class ConnectionPool:
    """Up to ``size`` autocommit connections to ``database_url``.

    A connection goes back to the pool when it is idle (a statement the database refused
    leaves it idle, its transaction rolled back); one left in a transaction, broken or
    closed is closed instead of being handed to the next thread.
    """

    def __init__(self, database_url: str, *, size: int) -> None:
        self._url = database_url
        self._idle: queue.LifoQueue[Connection] = queue.LifoQueue()
        self._slots = threading.BoundedSemaphore(size)
        self._closed = False

    @contextmanager
    def connection(self) -> Iterator[Connection]:
        with self._slots:
            try:
                conn = self._idle.get_nowait()
            except queue.Empty:
                conn = connect(self._url)
            try:
                yield conn
            finally:
                idle = conn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
                if idle and not conn.closed and not self._closed:
                    self._idle.put(conn)
                else:
                    conn.close()

    def close(self) -> None:
        """Close the idle connections; those in use close when they are given back."""
        self._closed = True
        while True:
            try:
                self._idle.get_nowait().close()
            except queue.Empty:
                return
