"""Claim, leases and result guards, through the SQL RPCs called with psycopg."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest

from tests.integration.support import (
    claim,
    complete,
    connect,
    enqueue,
    fail,
    job,
    results,
    wait_until,
)

LEASE_WAIT_SECONDS = 10


@pytest.fixture
def conn(database_url: str) -> Iterator[psycopg.Connection[dict[str, Any]]]:
    with connect(database_url) as conn:
        yield conn


def claim_one(conn: psycopg.Connection[Any], worker: str = "w") -> uuid.UUID | None:
    claimed = claim(conn, worker, limit=1)
    return claimed[0]["id"] if claimed else None


def lease_has_expired(conn: psycopg.Connection[Any], job_id: uuid.UUID) -> bool:
    row = conn.execute(
        "SELECT now() > lease_expires_at AS expired FROM jobforge.jobforge_jobs WHERE id = %s",
        (job_id,),
    ).fetchone()
    assert row is not None
    return bool(row["expired"])


def test_claim_order_is_priority_then_run_at_then_enqueue_order(
    conn: psycopg.Connection[Any], tenant_id: uuid.UUID
) -> None:
    low = enqueue(conn, tenant_id, priority=-1)
    first_default = enqueue(conn, tenant_id)
    high = enqueue(conn, tenant_id, priority=5)
    second_default = enqueue(conn, tenant_id)
    earlier_run_at = enqueue(conn, tenant_id, run_at="2020-01-01T00:00:00Z")
    order = [claim_one(conn) for _ in range(5)]
    assert order == [high, earlier_run_at, first_default, second_default, low]
    assert claim_one(conn) is None


def test_claim_sets_lease_and_counts_the_attempt(
    conn: psycopg.Connection[Any], tenant_id: uuid.UUID
) -> None:
    job_id = enqueue(conn, tenant_id)
    [claimed] = claim(conn, "worker-1", lease_seconds=30)
    assert claimed["id"] == job_id
    assert claimed["attempts"] == 1
    row = job(conn, job_id)
    assert row["state"] == "running"
    assert row["lease_owner"] == "worker-1"
    assert row["started_at"] is not None
    now = conn.execute("SELECT now() AS now").fetchone()
    assert now is not None
    remaining = (row["lease_expires_at"] - now["now"]).total_seconds()
    assert 0 < remaining <= 30


def test_future_run_at_is_not_claimed(conn: psycopg.Connection[Any], tenant_id: uuid.UUID) -> None:
    enqueue(conn, tenant_id, run_at="2999-01-01T00:00:00Z")
    assert claim(conn, "w") == []


def test_batch_limit(conn: psycopg.Connection[Any], tenant_id: uuid.UUID) -> None:
    for _ in range(5):
        enqueue(conn, tenant_id)
    assert len(claim(conn, "w", limit=3)) == 3
    assert len(claim(conn, "w", limit=3)) == 2
    assert claim(conn, "w", limit=3) == []


@pytest.mark.parametrize(
    ("worker", "limit", "lease", "message"),
    [
        ("", 1, 30, "worker_id"),
        ("w", 0, 30, "limit"),
        ("w", 10_001, 30, "limit"),
        ("w", 1, 0, "lease_seconds"),
    ],
)
def test_bad_claim_arguments_raise_jf005(
    conn: psycopg.Connection[Any], worker: str, limit: int, lease: float, message: str
) -> None:
    with pytest.raises(psycopg.Error, match=message) as caught:
        claim(conn, worker, limit=limit, lease_seconds=lease)
    assert caught.value.sqlstate == "JF005"


def test_claim_filters_by_job_type(conn: psycopg.Connection[Any], tenant_id: uuid.UUID) -> None:
    wanted = enqueue(conn, tenant_id, "kind.a")
    enqueue(conn, tenant_id, "kind.b")
    rows = conn.execute(
        "SELECT id FROM jobforge.jobforge_claim_jobs('w', 10, 30, ARRAY['kind.a'])"
    ).fetchall()
    assert [row["id"] for row in rows] == [wanted]


def test_batch_holds_only_the_first_job_of_each_ordering_key(
    conn: psycopg.Connection[Any], tenant_id: uuid.UUID
) -> None:
    k1 = enqueue(conn, tenant_id, ordering_key="k")
    k2 = enqueue(conn, tenant_id, ordering_key="k", priority=10)  # priority does not jump FIFO
    k3 = enqueue(conn, tenant_id, ordering_key="k")
    m1 = enqueue(conn, tenant_id, ordering_key="m")
    m2 = enqueue(conn, tenant_id, ordering_key="m")
    free = enqueue(conn, tenant_id)
    other_tenant_k = enqueue(conn, uuid.uuid4(), ordering_key="k")
    claimed = {row["id"] for row in claim(conn, "w", limit=100)}
    assert claimed == {k1, m1, free, other_tenant_k}
    assert claim(conn, "w", limit=100) == []  # k2 waits while k1 runs

    assert complete(conn, "w", k1, 1)
    assert {row["id"] for row in claim(conn, "w")} == {k2}

    # A retry keeps the key blocked: the earlier job is unfinished.
    state = fail(conn, "w", k2, 1, retry_in_seconds=3600)
    assert state is not None
    assert state["state"] == "awaiting_retry"
    assert claim(conn, "w") == []

    # A dead first job unblocks the next one.
    conn.execute("UPDATE jobforge.jobforge_jobs SET run_at = now() WHERE id = %s", (k2,))
    [again] = claim(conn, "w")
    assert again["id"] == k2
    dead = fail(conn, "w", k2, 2, retryable=False)
    assert dead is not None
    assert dead["state"] == "dead"
    assert {row["id"] for row in claim(conn, "w")} == {k3}  # m2 still waits for m1
    assert job(conn, m2)["state"] == "queued"


def test_canceled_first_job_unblocks_the_next(
    conn: psycopg.Connection[Any], tenant_id: uuid.UUID
) -> None:
    first = enqueue(conn, tenant_id, ordering_key="k")
    second = enqueue(conn, tenant_id, ordering_key="k")
    conn.execute("SELECT * FROM jobforge.jobforge_cancel_job(%s)", (first,))
    assert [row["id"] for row in claim(conn, "w")] == [second]


def test_expired_lease_is_rescued_by_the_next_claim(
    conn: psycopg.Connection[Any], tenant_id: uuid.UUID
) -> None:
    job_id = enqueue(conn, tenant_id)
    [first] = claim(conn, "old-worker", limit=1, lease_seconds=1)
    assert first["attempts"] == 1
    assert claim(conn, "new-worker") == []  # still leased
    wait_until(lambda: lease_has_expired(conn, job_id), LEASE_WAIT_SECONDS, "the lease to expire")

    [second] = claim(conn, "new-worker")
    assert second["id"] == job_id
    assert second["attempts"] == 2
    [lost] = results(conn, job_id)
    assert lost["attempt"] == 1
    assert lost["outcome"] == "failed"
    assert lost["error"]["kind"] == "lease_expired"
    assert "old-worker" in lost["error"]["message"]
    assert job(conn, job_id)["lease_owner"] == "new-worker"

    # The old worker's late result is refused and writes nothing.
    assert not complete(conn, "old-worker", job_id, 1, {"late": True})
    assert fail(conn, "old-worker", job_id, 1) is None
    # Even with the new attempt number, another worker's id is refused.
    assert not complete(conn, "old-worker", job_id, 2)
    assert len(results(conn, job_id)) == 1
    assert job(conn, job_id)["state"] == "running"

    with pytest.raises(psycopg.Error, match="lease was lost") as caught:
        conn.execute("SELECT jobforge.jobforge_complete_job('old-worker', %s, 1, '{}')", (job_id,))
    assert caught.value.sqlstate == "JF002"
    with pytest.raises(psycopg.Error) as caught:
        conn.execute(
            "SELECT jobforge.jobforge_fail_job('old-worker', %s, 1, '{\"kind\": \"x\"}')", (job_id,)
        )
    assert caught.value.sqlstate == "JF002"

    # The new owner completes it.
    conn.execute(
        "SELECT jobforge.jobforge_complete_job('new-worker', %s, 2, '{\"ok\": 1}')", (job_id,)
    )
    outcomes = [(r["attempt"], r["outcome"]) for r in results(conn, job_id)]
    assert outcomes == [(1, "failed"), (2, "succeeded")]
    assert job(conn, job_id)["state"] == "succeeded"


def test_expired_lease_on_the_last_attempt_is_dead(
    conn: psycopg.Connection[Any], tenant_id: uuid.UUID
) -> None:
    job_id = enqueue(conn, tenant_id, max_attempts=1)
    claim(conn, "old-worker", lease_seconds=1)
    wait_until(lambda: lease_has_expired(conn, job_id), LEASE_WAIT_SECONDS, "the lease to expire")
    assert claim(conn, "new-worker") == []
    row = job(conn, job_id)
    assert row["state"] == "dead"
    assert row["last_error"]["kind"] == "lease_expired"
    assert row["finished_at"] is not None
    assert [(r["attempt"], r["outcome"]) for r in results(conn, job_id)] == [(1, "dead")]


def test_heartbeat_extends_only_the_owners_leases(
    conn: psycopg.Connection[Any], tenant_id: uuid.UUID
) -> None:
    mine = enqueue(conn, tenant_id)
    theirs = enqueue(conn, tenant_id)
    claim(conn, "me", limit=1, lease_seconds=5)
    claim(conn, "them", limit=1, lease_seconds=5)
    before = job(conn, mine)["lease_expires_at"]
    rows = conn.execute(
        "SELECT h FROM jobforge.jobforge_heartbeat('me', %s::uuid[], %s::integer[], 60) AS h",
        ([mine, theirs], [1, 1]),
    ).fetchall()
    assert [row["h"] for row in rows] == [mine]
    assert job(conn, mine)["lease_expires_at"] > before
    assert job(conn, theirs)["lease_owner"] == "them"


def test_heartbeat_of_a_stale_attempt_is_refused(
    conn: psycopg.Connection[Any], tenant_id: uuid.UUID
) -> None:
    """Attempt 1's lease lapsed and the job was claimed again by the same worker id (a
    restarted worker keeps its configured id): attempt 1's heartbeat must not keep attempt
    2's lease alive, or a hung attempt 1 would hold the job for ever."""
    job_id = enqueue(conn, tenant_id)
    claim(conn, "w", limit=1, lease_seconds=5)
    conn.execute(
        "UPDATE jobforge.jobforge_jobs SET lease_expires_at = now() - interval '1 second' "
        "WHERE id = %s",
        (job_id,),
    )
    [again] = claim(conn, "w", limit=1, lease_seconds=5)
    assert again["attempts"] == 2
    before = job(conn, job_id)["lease_expires_at"]
    beat = "SELECT h FROM jobforge.jobforge_heartbeat('w', %s::uuid[], %s::integer[], 600) AS h"
    assert conn.execute(beat, ([job_id], [1])).fetchall() == []
    assert job(conn, job_id)["lease_expires_at"] == before
    assert [row["h"] for row in conn.execute(beat, ([job_id], [2]))] == [job_id]
    assert job(conn, job_id)["lease_expires_at"] > before


@pytest.mark.parametrize("lease_seconds", ["NaN", "Infinity", "-1", "0", "86401", "1e300"])
def test_leases_outside_a_moment_to_a_day_are_refused(
    conn: psycopg.Connection[Any], tenant_id: uuid.UUID, lease_seconds: str
) -> None:
    """A lease of infinity (or one so long it might as well be) is never rescued."""
    job_id = enqueue(conn, tenant_id)
    for statement, params in (
        ("SELECT * FROM jobforge.jobforge_claim_jobs('w', 1, %s::float8)", (lease_seconds,)),
        (
            "SELECT * FROM jobforge.jobforge_heartbeat('w', %s::uuid[], '{1}', %s::float8)",
            ([job_id], lease_seconds),
        ),
    ):
        with pytest.raises(psycopg.Error) as caught:
            conn.execute(statement, params)
        assert caught.value.sqlstate == "JF005"
    assert job(conn, job_id)["state"] == "queued"


def test_complete_writes_one_result(conn: psycopg.Connection[Any], tenant_id: uuid.UUID) -> None:
    job_id = enqueue(conn, tenant_id)
    claim(conn, "w")
    assert complete(conn, "w", job_id, 1, {"answer": 42})
    assert not complete(conn, "w", job_id, 1, {"answer": 43})  # a result is written once
    [result] = results(conn, job_id)
    assert result["output"] == {"answer": 42}
    assert result["worker_id"] == "w"
    row = job(conn, job_id)
    assert row["state"] == "succeeded"
    assert row["lease_owner"] is None
    assert row["finished_at"] is not None


def test_release_gives_the_job_back_without_counting_the_attempt(
    conn: psycopg.Connection[Any], tenant_id: uuid.UUID
) -> None:
    job_id = enqueue(conn, tenant_id)
    claim(conn, "w")
    rows = conn.execute(
        "SELECT * FROM jobforge.jobforge_release_jobs('w', %s::jsonb) AS r(id)",
        (f'[{{"job_id": "{job_id}", "attempt": 1}}]',),
    ).fetchall()
    assert len(rows) == 1
    row = job(conn, job_id)
    assert row["state"] == "queued"
    assert row["attempts"] == 0
    assert results(conn, job_id) == []


def test_canceled_running_job_refuses_its_result(
    conn: psycopg.Connection[Any], tenant_id: uuid.UUID
) -> None:
    job_id = enqueue(conn, tenant_id)
    claim(conn, "w")
    conn.execute("SELECT * FROM jobforge.jobforge_cancel_job(%s)", (job_id,))
    assert not complete(conn, "w", job_id, 1)
    assert job(conn, job_id)["state"] == "canceled"
    assert results(conn, job_id) == []
