"""Commands that make throwaway databases on a user's server leave nothing behind.

Version 2 left a template database (`jobforge_template_...`, which a plain DROP DATABASE
refuses to remove) after `jobforge demo` with JOBFORGE_DATABASE_URL and after replay with
JOBFORGE_REPLAY_DATABASE_URL, although the demo said the throwaway database was gone. Each
test here gets a server of its own, so what is left on it is what the command left.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from jobforge.db.throwaway import embedded_server

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
SERVER_DATABASES = {"postgres", "template0", "template1"}


@pytest.fixture(scope="module")
def own_server() -> Iterator[str]:
    with embedded_server() as url:
        yield url


def databases(server_url: str) -> set[str]:
    with psycopg.connect(server_url) as conn:
        return {row[0] for row in conn.execute("SELECT datname FROM pg_database")}


def run(*command: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    completed = subprocess.run(
        [str(BIN / command[0]), *command[1:]],
        capture_output=True, text=True, timeout=300, check=False, cwd=ROOT,
        env={**os.environ, **(env or {})},
    )  # fmt: skip
    assert "Traceback" not in completed.stderr, completed.stderr
    return completed


def test_the_demo_on_a_users_server(own_server: str) -> None:
    completed = run("jobforge", "demo", "--jobs", "200", "--database-url", own_server)
    assert completed.returncode == 0, completed.stderr
    assert "The throwaway database is gone." in completed.stdout
    assert databases(own_server) == SERVER_DATABASES


def test_replay_on_a_users_server(own_server: str) -> None:
    completed = run(
        "jobforge-contracts", "replay", "--jobs", "2",
        env={"JOBFORGE_REPLAY_DATABASE_URL": own_server},
    )  # fmt: skip
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert databases(own_server) == SERVER_DATABASES


def test_ctrl_c_during_the_demo(own_server: str) -> None:
    demo = subprocess.Popen(
        [str(BIN / "jobforge"), "demo", "--jobs", "50000", "--database-url", own_server],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
    )  # fmt: skip
    assert demo.stdout is not None
    for line in demo.stdout:  # the database exists once jobs are enqueued
        if line.startswith("Enqueued"):
            break
    demo.send_signal(signal.SIGINT)
    _, stderr = demo.communicate(timeout=120)
    assert demo.returncode == 130, stderr
    assert "Traceback" not in stderr
    assert databases(own_server) == SERVER_DATABASES
