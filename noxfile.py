"""Developer and CI sessions: `nox -s tests`, `nox -s lint`, `nox -s bench`."""

from __future__ import annotations

import nox

nox.options.sessions = ["lint", "tests"]
nox.options.reuse_existing_virtualenvs = True
nox.options.error_on_missing_interpreters = True

PYTHON = "3.11"


@nox.session(python=PYTHON)
def tests(session: nox.Session) -> None:
    """The whole suite, on the embedded PostgreSQL and on $JOBFORGE_TEST_DATABASE_URL if set."""
    session.install("-e", ".[dev]")
    session.run("pytest", "-n", "2", "--dist", "loadgroup", *session.posargs)


@nox.session(python=PYTHON)
def tests_pg14(session: nox.Session) -> None:
    """The database tests on a stock PostgreSQL 14, the oldest supported server (started
    by .ci/postgres14 on port 5444; needs npm and x86-64 Linux)."""
    session.install("-e", ".[dev]")
    url = session.run(".ci/postgres14", external=True, silent=True)
    assert isinstance(url, str)
    session.env["JOBFORGE_TEST_DATABASE_URL"] = url.strip().splitlines()[-1]
    session.run("pytest", "-n", "2", "--dist", "loadgroup", "-k", "not embedded", *session.posargs)


@nox.session(python=PYTHON)
def lint(session: nox.Session) -> None:
    """ruff (lint and format check) and mypy strict on src/."""
    session.install("-e", ".[dev]")
    session.run("ruff", "check", "src", "tests", "benchmarks", "noxfile.py")
    session.run("ruff", "format", "--check", "src", "tests", "benchmarks", "noxfile.py")
    session.run("mypy")


@nox.session(python=PYTHON)
def bench(session: nox.Session) -> None:
    """Benchmarks: print figures, and write JSON to bench-results/ (never asserted)."""
    session.install("-e", ".[dev]")
    session.run("python", "-m", "benchmarks", *session.posargs)


@nox.session(python=PYTHON)
def contracts(session: nox.Session) -> None:
    """What CI runs on contracts: validate, schema and registry drift, breaking changes and
    golden replay (embedded PostgreSQL, or $JOBFORGE_REPLAY_DATABASE_URL), one summary."""
    session.install("-e", ".[dev]")
    session.run("jobforge-contracts", "check", *session.posargs)
