"""Workers record their presence: at start, while they run, and when they stop cleanly."""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable
from typing import Any

import pytest

from jobforge import HandlerRegistry, __version__
from jobforge.worker import Worker, WorkerConfig
from jobforge.worker.presence import PresenceRecord, WorkerPresence
from tests.conftest import TenantRole
from tests.integration.support import connect, wait_until


def presence_row(url: str, worker_id: str) -> dict[str, Any] | None:
    with connect(url) as conn:
        return conn.execute(
            "SELECT * FROM jobforge.jobforge_workers WHERE worker_id = %s", (worker_id,)
        ).fetchone()


def test_a_worker_is_present_while_it_runs_and_stopped_after(
    database_url: str, make_role: Callable[[], TenantRole]
) -> None:
    role = make_role()
    with connect(database_url) as conn:
        conn.execute(
            "SELECT jobforge.jobforge_grant_tenant(%s, %s, 'worker')", (role.name, uuid.uuid4())
        )
    registry = HandlerRegistry()
    registry.register("mail.send", lambda payload, ctx: {})
    registry.register("mail.bounce", lambda payload, ctx: {})
    worker = Worker(role.url, registry=registry, config=WorkerConfig(poll_interval_seconds=0.05))
    thread = threading.Thread(target=worker.run)
    thread.start()
    try:
        row = wait_until(
            lambda: presence_row(database_url, worker.worker_id), 10, "the worker's presence"
        )
        assert row["role_name"] == role.name
        assert (row["hostname"], row["pid"], row["version"]) == (
            socket.gethostname()[:255], os.getpid(), __version__
        )  # fmt: skip
        assert row["job_types"] == ["mail.bounce", "mail.send"]
        assert row["stopped_at"] is None
    finally:
        worker.stop()
        thread.join(timeout=30)
    assert not thread.is_alive()
    stopped = presence_row(database_url, worker.worker_id)
    assert stopped is not None
    assert stopped["stopped_at"] is not None
    assert stopped["stopped_at"] == stopped["last_seen_at"] >= row["last_seen_at"]


def test_a_claim_all_types_worker_records_every_type(database_url: str) -> None:
    worker = Worker(
        database_url,
        registry=HandlerRegistry(),
        config=WorkerConfig(burst=True, claim_all_types=True, poll_interval_seconds=0.05),
    )
    worker.run()
    row = presence_row(database_url, worker.worker_id)
    assert row is not None
    assert row["job_types"] is None
    assert row["stopped_at"] is not None


def test_presence_is_renewed_every_interval(database_url: str) -> None:
    record = PresenceRecord.of_this_process("renewing", ["a.b"])
    presence = WorkerPresence(database_url, record, interval_seconds=0.05)
    presence.start()
    try:
        first = wait_until(lambda: presence_row(database_url, "renewing"), 10, "a first record")
        wait_until(
            lambda: (
                presence_row(database_url, "renewing")["last_seen_at"]  # type: ignore[index]
                > first["last_seen_at"]
            ),
            10,
            "a later record",
        )
        row = presence_row(database_url, "renewing")
        assert row is not None
        assert row["started_at"] == first["started_at"]
        assert row["stopped_at"] is None
    finally:
        presence.stop()
    assert presence_row(database_url, "renewing")["stopped_at"] is not None  # type: ignore[index]


def test_a_restart_under_the_same_id_starts_again(database_url: str) -> None:
    record = PresenceRecord.of_this_process("restarted", None)
    for _ in range(2):
        presence = WorkerPresence(database_url, record, interval_seconds=60)
        presence.start()
        presence.stop()
    with connect(database_url) as conn:
        conn.execute(
            "UPDATE jobforge.jobforge_workers SET started_at = started_at - interval '1 hour', "
            "last_seen_at = last_seen_at - interval '1 hour', "
            "stopped_at = stopped_at - interval '1 hour'"
        )
    presence = WorkerPresence(database_url, record, interval_seconds=60)
    presence.start()
    row = wait_until(
        lambda: (r := presence_row(database_url, "restarted")) and r["stopped_at"] is None and r,
        10,
        "the restart recorded",
    )
    presence.stop()
    assert row["started_at"] == row["last_seen_at"]


def test_an_unreachable_database_is_logged_once_and_never_stops_the_worker(
    caplog: pytest.LogCaptureFixture,
) -> None:
    record = PresenceRecord.of_this_process("lost", None)
    unreachable = "postgresql://nobody@127.0.0.1:1/none?connect_timeout=1"
    presence = WorkerPresence(unreachable, record, interval_seconds=0.01)
    with caplog.at_level(logging.WARNING, logger="jobforge.worker"):
        presence.start()
        wait_until(lambda: caplog.records, 10, "the warning")
        presence.stop(wait_seconds=10)
    warnings = [r for r in caplog.records if "presence not recorded" in r.getMessage()]
    assert len(warnings) == 1


def test_rows_unseen_for_the_retention_are_pruned(database_url: str) -> None:
    with connect(database_url) as conn:
        for worker_id in ("old", "recent"):
            conn.execute(
                "SELECT jobforge.jobforge_record_worker_presence(%s, 'h', 1, 'v', NULL)",
                (worker_id,),
            )
        conn.execute(
            "UPDATE jobforge.jobforge_workers SET started_at = now() - interval '8 days', "
            "last_seen_at = now() - interval '8 days' WHERE worker_id = 'old'"
        )
        conn.execute("SELECT jobforge.jobforge_record_worker_presence('new', 'h', 1, 'v', NULL)")
        rows = conn.execute("SELECT worker_id FROM jobforge.jobforge_workers ORDER BY 1").fetchall()
    assert [row["worker_id"] for row in rows] == ["new", "recent"]
