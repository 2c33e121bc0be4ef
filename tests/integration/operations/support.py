"""Writing jobs in given states straight into the table (as the owner) for the read models."""

from __future__ import annotations

import json
import os
import uuid
from datetime import datetime
from typing import Any

import psycopg

from tests.integration.support import complete, enqueue, fail

INSERT_JOB = """
INSERT INTO jobforge.jobforge_jobs (
    id, tenant_id, type, payload, state, trace_id, attempts, max_attempts, run_at,
    created_at, started_at, finished_at, last_error)
VALUES (%(id)s, %(tenant_id)s, %(type)s, '{}', %(state)s, %(trace_id)s, %(attempts)s,
        %(max_attempts)s, %(run_at)s, %(created_at)s, %(started_at)s, %(finished_at)s,
        %(last_error)s)
"""


def v7_id(moment: datetime) -> uuid.UUID:
    """A version 7 UUID of ``moment``, as enqueue makes them: 48 bits of Unix milliseconds,
    the version and variant bits, random bits."""
    milliseconds = int(moment.timestamp() * 1000)
    raw = bytearray(milliseconds.to_bytes(6, "big") + os.urandom(10))
    raw[6] = 0x70 | (raw[6] & 0x0F)
    raw[8] = 0x80 | (raw[8] & 0x3F)
    return uuid.UUID(bytes=bytes(raw))


def insert_job(
    conn: psycopg.Connection[Any],
    tenant_id: uuid.UUID,
    *,
    job_type: str = "ops.job",
    state: str = "queued",
    created_at: datetime | None = None,
    run_at: datetime | None = None,
    started_at: datetime | None = None,
    finished_at: datetime | None = None,
    attempts: int = 0,
    last_error: Any = None,
) -> uuid.UUID:
    """A job row in ``state`` (not running: that state needs a lease) with the times given;
    the times default to the server's clock, and the id is of its creation time."""
    now = conn.execute("SELECT clock_timestamp() AS now").fetchone()
    assert now is not None
    moment: datetime = now["now"]
    job_id = v7_id(created_at or moment)
    conn.execute(
        INSERT_JOB,
        {
            "id": job_id, "tenant_id": tenant_id, "type": job_type, "state": state,
            "trace_id": job_id.hex, "attempts": attempts, "max_attempts": max(attempts, 5),
            "run_at": run_at or moment, "created_at": created_at or moment,
            "started_at": started_at, "finished_at": finished_at,
            "last_error": json.dumps(last_error) if last_error is not None else None,
        },
    )  # fmt: skip
    return job_id


def dead_job(
    conn: psycopg.Connection[Any], tenant_id: uuid.UUID, job_type: str = "ops.job"
) -> uuid.UUID:
    """A job that failed its only attempt through the worker RPCs (so it has a result)."""
    job_id = enqueue(conn, tenant_id, job_type, max_attempts=1)
    claimed = claim_one(conn, job_id)
    fail(conn, "ops-worker", job_id, claimed["attempts"], retryable=False,
         error={"kind": "exception", "message": "card declined"})  # fmt: skip
    return job_id


def succeeded_job(
    conn: psycopg.Connection[Any], tenant_id: uuid.UUID, job_type: str = "ops.job"
) -> uuid.UUID:
    job_id = enqueue(conn, tenant_id, job_type)
    claimed = claim_one(conn, job_id)
    assert complete(conn, "ops-worker", job_id, claimed["attempts"], {"ok": True})
    return job_id


def claim_one(conn: psycopg.Connection[Any], job_id: uuid.UUID) -> dict[str, Any]:
    """Claim ``job_id`` (and any other runnable job of its type: make those afterwards)."""
    rows = conn.execute(
        "SELECT c.id, c.attempts FROM jobforge.jobforge_claim_jobs('ops-worker', 1000, 30, "
        "ARRAY[(SELECT type FROM jobforge.jobforge_jobs WHERE id = %s)]) c",
        (job_id,),
    ).fetchall()
    for row in rows:
        if row["id"] == job_id:
            return dict(row)
    raise AssertionError(f"job {job_id} was not claimable")


def ago(conn: psycopg.Connection[Any], seconds: float) -> datetime:
    row = conn.execute("SELECT now() - make_interval(secs => %s) AS t", (seconds,)).fetchone()
    assert row is not None
    moment: datetime = row["t"]
    return moment
