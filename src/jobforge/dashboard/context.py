"""What the dashboard's request handlers share, kept on ``app.state.dashboard``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from jobforge.dashboard.sessions import Sessions
from jobforge.dashboard.settings import DashboardSettings
from jobforge.db.pool import Connection, ConnectionPool

T = TypeVar("T")


@dataclass
class DashboardContext:
    settings: DashboardSettings
    sessions: Sessions
    database: ConnectionPool  # as the operator's role; every statement autocommits

    @classmethod
    def build(cls, settings: DashboardSettings) -> DashboardContext:
        return cls(
            settings=settings,
            sessions=Sessions(
                token=settings.token,
                secret=settings.secret,
                session_seconds=settings.session_seconds,
            ),
            database=ConnectionPool(settings.database_url, size=settings.database_connections),
        )

    async def read(self, work: Callable[[Connection], T]) -> T:
        """``work`` run with a connection, in a worker thread (psycopg here is blocking)."""

        def run() -> T:
            with self.database.connection() as conn:
                return work(conn)

        return await run_in_threadpool(run)


def dashboard_context(request: Request) -> DashboardContext:
    context = request.app.state.dashboard
    assert isinstance(context, DashboardContext)
    return context
