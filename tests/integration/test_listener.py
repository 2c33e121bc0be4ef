"""LISTEN/NOTIFY wakes workers, and the listener comes back after its connection drops."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator

import psycopg
import pytest

from jobforge.client import JobForgeClient
from jobforge.handlers import HandlerRegistry
from jobforge.worker import Worker, WorkerConfig

# Far longer than any wait below: a job that runs in time was woken by a notification.
POLL_SECONDS = 120.0
DEADLINE_SECONDS = 15.0


def wait_until(predicate: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + DEADLINE_SECONDS
    pause = threading.Event()
    while time.monotonic() < deadline:
        if predicate():
            return
        pause.wait(0.02)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def running_worker(database_url: str) -> Iterator[tuple[Worker, list[str]]]:
    seen: list[str] = []
    registry = HandlerRegistry()
    registry.register("test.echo", lambda payload, ctx: seen.append(payload["tag"]))
    worker = Worker(
        database_url,
        registry=registry,
        config=WorkerConfig(concurrency=1, poll_interval_seconds=POLL_SECONDS),
    )
    thread = threading.Thread(target=worker.run)
    thread.start()
    try:
        yield worker, seen
    finally:
        worker.stop()
        thread.join(timeout=DEADLINE_SECONDS)
        assert not thread.is_alive()


def listener_pids(database_url: str) -> list[int]:
    with psycopg.connect(database_url, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND query LIKE 'LISTEN jobforge_jobs%' AND pid <> pg_backend_pid()"
        ).fetchall()
    return [row[0] for row in rows]


def test_a_notification_wakes_an_idle_worker(
    database_url: str, running_worker: tuple[Worker, list[str]]
) -> None:
    _, seen = running_worker
    wait_until(lambda: len(listener_pids(database_url)) == 1, "the listener")
    with JobForgeClient(database_url) as client:
        client.enqueue_job(tenant_id=uuid.uuid4(), type="test.echo", payload={"tag": "first"})
    wait_until(lambda: seen == ["first"], "the job to run")


def test_the_listener_reconnects_after_its_connection_is_killed(
    database_url: str, running_worker: tuple[Worker, list[str]]
) -> None:
    _, seen = running_worker
    wait_until(lambda: len(listener_pids(database_url)) == 1, "the listener")
    [old_pid] = listener_pids(database_url)
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("SELECT pg_terminate_backend(%s)", (old_pid,))
    wait_until(
        lambda: len(pids := listener_pids(database_url)) == 1 and pids[0] != old_pid,
        "a new listener connection",
    )
    with JobForgeClient(database_url) as client:
        client.enqueue_job(tenant_id=uuid.uuid4(), type="test.echo", payload={"tag": "after"})
    wait_until(lambda: seen == ["after"], "the job enqueued after the reconnect")
