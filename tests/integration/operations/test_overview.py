"""`top`'s numbers: depth, lag, throughput and latency percentiles per type (and tenant)."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import psycopg
import pytest

from jobforge.errors import InvalidArgument
from jobforge.operations import queue_overview
from tests.integration.operations.support import ago, insert_job
from tests.integration.support import connect, enqueue


def finished(
    conn: psycopg.Connection[Any], tenant_id: uuid.UUID, job_type: str, state: str,
    *, run_at: float, started: float, ended: float,
) -> None:  # fmt: skip
    """A finished job whose times are the given numbers of seconds ago."""
    insert_job(
        conn, tenant_id, job_type=job_type, state=state, attempts=1, run_at=ago(conn, run_at),
        started_at=ago(conn, started), finished_at=ago(conn, ended),
    )  # fmt: skip


def test_depth_throughput_and_latency(database_url: str, tenant_id: uuid.UUID) -> None:
    other_tenant = uuid.uuid4()
    with connect(database_url) as conn:
        # One running; ready for 100 s and 10 s; one scheduled for later.
        enqueue(conn, tenant_id, "mail.send")
        conn.execute("SELECT * FROM jobforge.jobforge_claim_jobs('w', 1, 30)")
        insert_job(conn, tenant_id, job_type="mail.send", run_at=ago(conn, 100))
        insert_job(conn, other_tenant, job_type="mail.send", run_at=ago(conn, 10))
        insert_job(conn, tenant_id, job_type="mail.send", run_at=ago(conn, -3600))
        # Finished in the window: waits 1, 2, 3 s and run times 10, 20, 30 s.
        for wait, run in ((1, 10), (2, 20), (3, 30)):
            finished(conn, tenant_id, "mail.send", "succeeded",
                     run_at=5 + run + wait, started=5 + run, ended=5)  # fmt: skip
        finished(conn, tenant_id, "mail.send", "dead", run_at=30, started=29, ended=28)
        # Outside the last minute but within the window: latency only.
        finished(conn, tenant_id, "bill.run", "succeeded", run_at=200, started=200, ended=120)
        # Long finished: in no figure.
        finished(conn, tenant_id, "old.job", "succeeded", run_at=9000, started=9000, ended=8000)

        rows = queue_overview(conn, window=timedelta(minutes=5))
        per_tenant = queue_overview(conn, window=timedelta(minutes=5), per_tenant=True)
        with pytest.raises(InvalidArgument, match="window"):
            queue_overview(conn, window=timedelta(days=2))
    assert [row.type for row in rows] == ["bill.run", "mail.send"]
    bill, mail = rows
    assert (bill.ready, bill.succeeded_last_minute) == (0, 0)
    assert bill.run_p50_seconds == pytest.approx(80, abs=1)
    assert bill.tenant_id is None
    assert bill.lag_seconds is None
    assert (mail.ready, mail.scheduled, mail.running) == (2, 1, 1)
    assert mail.lag_seconds == pytest.approx(100, abs=5)
    assert (mail.succeeded_last_minute, mail.dead_last_minute) == (3, 1)
    # Four samples: waits 1, 2, 3 and the dead job's 1 s; runs 10, 20, 30 and 1 s.
    assert mail.wait_p50_seconds == pytest.approx(1.5, abs=0.01)
    assert mail.run_p50_seconds == pytest.approx(15, abs=0.01)
    assert mail.run_p95_seconds == pytest.approx(28.5, abs=0.01)
    assert [(row.type, row.tenant_id, row.ready) for row in per_tenant] == sorted(
        [("bill.run", tenant_id, 0), ("mail.send", tenant_id, 1),
         ("mail.send", other_tenant, 1)], key=lambda r: (r[0], str(r[1])),
    )  # fmt: skip
