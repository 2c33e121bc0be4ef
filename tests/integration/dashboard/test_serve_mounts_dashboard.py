"""`jobforge serve` as an operator types it mounts the dashboard under /ui when
JOBFORGE_UI_TOKEN is set, and not otherwise; a bad setting stops it at start, saying why."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx

from tests.integration.dashboard.support import TOKEN, dead_job
from tests.integration.support import connect, wait_until

PROGRAM = str(Path(sys.executable).parent / "jobforge")
DEADLINE_SECONDS = 60


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def environment(**variables: str) -> dict[str, str]:
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("JOBFORGE_UI_")}
    return {**inherited, **variables}


def healthy(url: str) -> bool:
    try:
        return httpx.get(f"{url}/healthz", timeout=5).status_code == 200
    except httpx.TransportError:
        return False


@contextlib.contextmanager
def serving(database_url: str, env: dict[str, str]) -> Iterator[str]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [PROGRAM, "serve", "--database-url", database_url, "--port", str(port),
         "--log-level", "warning"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        wait_until(lambda: healthy(url) or server.poll() is not None, DEADLINE_SECONDS, "serve")
        assert server.poll() is None, server.communicate()
        yield url
    finally:
        server.send_signal(signal.SIGINT)
        _, stderr = server.communicate(timeout=DEADLINE_SECONDS)
    assert server.returncode == 0, stderr
    assert "Traceback" not in stderr


def test_serve_mounts_the_dashboard_when_a_token_is_set(database_url: str) -> None:
    with connect(database_url) as conn:
        dead = dead_job(conn, uuid.uuid4())
    env = environment(JOBFORGE_UI_TOKEN=TOKEN, JOBFORGE_UI_DATABASE_URL=database_url)
    with serving(database_url, env) as url, httpx.Client(base_url=url, timeout=30) as client:
        assert client.get("/ui/").headers["location"] == "/ui/login"
        assert client.post("/ui/login", data={"token": TOKEN}).status_code == 303
        page = client.get("/ui/dead-letters")
        assert page.status_code == 200
        assert f'data-job-id="{dead}"' in page.text


def test_no_token_no_dashboard(database_url: str) -> None:
    with serving(database_url, environment()) as url:
        assert httpx.get(f"{url}/ui/login", timeout=30).status_code == 404


def test_a_short_token_stops_serve_at_start(database_url: str) -> None:
    completed = subprocess.run(
        [PROGRAM, "serve", "--database-url", database_url, "--port", str(free_port())],
        env=environment(JOBFORGE_UI_TOKEN="short"), capture_output=True, text=True,
        timeout=DEADLINE_SECONDS, check=False,
    )  # fmt: skip
    assert completed.returncode == 1
    assert "Traceback" not in completed.stderr
    assert "JOBFORGE_UI_TOKEN: expected at least 32 characters, got 5" in completed.stderr
