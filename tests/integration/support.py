"""Helpers shared by the integration tests: waiting on conditions and talking SQL directly."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

import psycopg
from psycopg.rows import dict_row

POLL_SECONDS = 0.02


def wait_until(predicate: Callable[[], Any], timeout: float, message: str = "condition") -> Any:
    """Poll ``predicate`` until it returns something truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    pause = threading.Event()
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {message}")
        pause.wait(POLL_SECONDS)


def connect(url: str) -> psycopg.Connection[dict[str, Any]]:
    """An autocommit connection returning dict rows (each statement its own transaction)."""
    return psycopg.connect(url, autocommit=True, row_factory=dict_row)


def enqueue(
    conn: psycopg.Connection[Any], tenant_id: uuid.UUID, job_type: str = "t.job", **fields: Any
) -> uuid.UUID:
    """Enqueue one job through jobforge.jobforge_enqueue_jobs; ``fields`` are its optional keys."""
    document = {"tenant_id": str(tenant_id), "type": job_type, "payload": {}, **fields}
    row = conn.execute(
        "SELECT job_id FROM jobforge.jobforge_enqueue_jobs(%s::jsonb)", (json.dumps([document]),)
    ).fetchone()
    assert row is not None
    return row["job_id"] if isinstance(row, dict) else row[0]


def claim(
    conn: psycopg.Connection[Any], worker_id: str, limit: int = 100, lease_seconds: float = 30
) -> list[dict[str, Any]]:
    rows = conn.execute(
        "SELECT id, attempts, lease_expires_at FROM jobforge.jobforge_claim_jobs(%s, %s, %s)",
        (worker_id, limit, lease_seconds),
    ).fetchall()
    return [dict(row) for row in rows]


def complete(
    conn: psycopg.Connection[Any],
    worker_id: str,
    job_id: uuid.UUID,
    attempt: int,
    output: Any = None,
) -> bool:
    document = [{"job_id": str(job_id), "attempt": attempt, "output": output}]
    rows = conn.execute(
        "SELECT * FROM jobforge.jobforge_complete_jobs(%s, %s::jsonb)",
        (worker_id, json.dumps(document)),
    ).fetchall()
    return len(rows) == 1


def fail(
    conn: psycopg.Connection[Any],
    worker_id: str,
    job_id: uuid.UUID,
    attempt: int,
    *,
    retryable: bool = True,
    error: Any = None,
    retry_in_seconds: float | None = None,
) -> dict[str, Any] | None:
    document: dict[str, Any] = {
        "job_id": str(job_id),
        "attempt": attempt,
        "retryable": retryable,
        "error": error if error is not None else {"kind": "exception", "message": "boom"},
    }
    if retry_in_seconds is not None:
        document["retry_in_seconds"] = retry_in_seconds
    row = conn.execute(
        "SELECT f.job_id, f.state::text AS state, f.run_at, now() AS now "
        "FROM jobforge.jobforge_fail_jobs(%s, %s::jsonb) f",
        (worker_id, json.dumps([document])),
    ).fetchone()
    return dict(row) if row is not None else None


def job(conn: psycopg.Connection[Any], job_id: uuid.UUID) -> dict[str, Any]:
    row = conn.execute(
        "SELECT *, state::text AS state FROM jobforge.jobforge_jobs WHERE id = %s", (job_id,)
    ).fetchone()
    assert row is not None, f"job {job_id} not found"
    return dict(row)


def results(conn: psycopg.Connection[Any], job_id: uuid.UUID) -> list[dict[str, Any]]:
    rows = conn.execute(
        "SELECT * FROM jobforge.jobforge_job_results WHERE job_id = %s ORDER BY attempt", (job_id,)
    ).fetchall()
    return [dict(row) for row in rows]
