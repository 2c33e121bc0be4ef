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
