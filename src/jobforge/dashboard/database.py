"""The dashboard's connections: a few, as the operator's role, shared by request threads.

Each statement runs in its own transaction (autocommit), as the operations layer expects;
row-level security and the RPCs' grant checks judge every one as the operator's role.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg

from jobforge.db.connection import connect

Connection = psycopg.Connection[Any]


class OperatorDatabase:
    """Up to ``size`` connections to ``database_url``; a connection left in a transaction
    or broken is closed instead of being handed to the next request."""

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
            reusable = False
            try:
                yield conn
                reusable = True
            finally:
                idle = conn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
                if reusable and idle and not conn.closed and not self._closed:
                    self._idle.put(conn)
                else:
                    conn.close()

    def close(self) -> None:
        self._closed = True
        while True:
            try:
                self._idle.get_nowait().close()
            except queue.Empty:
                return
