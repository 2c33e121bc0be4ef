"""Fail, back off, retry, dead-letter: the retry schedule as the database applies it."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.integration.support import claim, connect, enqueue, fail, job, results

BASE_SECONDS = 10.0
CAP_SECONDS = 25.0
TOLERANCE_SECONDS = 0.001


@pytest.fixture
def conn(database_url: str) -> Iterator[psycopg.Connection[dict[str, Any]]]:
    with connect(database_url) as conn:
        yield conn


def expected_delay(attempt: int, base: float, cap: float) -> float:
    return min(cap, base * 2 ** (attempt - 1))


def make_runnable(conn: psycopg.Connection[Any], job_id: uuid.UUID) -> None:
    conn.execute("UPDATE jobforge.jobforge_jobs SET run_at = now() WHERE id = %s", (job_id,))


def test_failures_back_off_then_dead_letter(
    conn: psycopg.Connection[Any], tenant_id: uuid.UUID
) -> None:
    job_id = enqueue(
        conn,
        tenant_id,
        max_attempts=4,
        backoff_base_seconds=BASE_SECONDS,
        backoff_cap_seconds=CAP_SECONDS,
    )
    for attempt in (1, 2, 3):
        [claimed] = claim(conn, "w")
        assert claimed["attempts"] == attempt
        error = {"kind": "exception", "message": f"failure {attempt}"}
        outcome = fail(conn, "w", job_id, attempt, error=error)
        assert outcome is not None
        assert outcome["state"] == "awaiting_retry"
        delay = (outcome["run_at"] - outcome["now"]).total_seconds()
        d = expected_delay(attempt, BASE_SECONDS, CAP_SECONDS)
        assert d / 2 - TOLERANCE_SECONDS <= delay <= d + TOLERANCE_SECONDS, (attempt, delay)
        row = job(conn, job_id)
        assert row["state"] == "awaiting_retry"
        assert row["last_error"] == error
        assert row["finished_at"] is None
        assert claim(conn, "w") == []  # not before its run_at
        make_runnable(conn, job_id)

    [claimed] = claim(conn, "w")
    assert claimed["attempts"] == 4
    last_error = {"kind": "exception", "message": "the last straw"}
    outcome = fail(conn, "w", job_id, 4, error=last_error)
    assert outcome is not None
    assert outcome["state"] == "dead"
    row = job(conn, job_id)
    assert row["state"] == "dead"
    assert row["last_error"] == last_error
    assert row["finished_at"] is not None
    assert row["lease_owner"] is None
    recorded = results(conn, job_id)
    assert [(r["attempt"], r["outcome"]) for r in recorded] == [
        (1, "failed"),
        (2, "failed"),
        (3, "failed"),
        (4, "dead"),
    ]
    assert [r["error"]["message"] for r in recorded] == [
        "failure 1",
        "failure 2",
        "failure 3",
        "the last straw",
    ]
    assert claim(conn, "w") == []


def test_non_retryable_failure_is_dead_at_once(
    conn: psycopg.Connection[Any], tenant_id: uuid.UUID
) -> None:
    job_id = enqueue(conn, tenant_id, max_attempts=5)
    claim(conn, "w")
    outcome = fail(conn, "w", job_id, 1, retryable=False)
    assert outcome is not None
    assert outcome["state"] == "dead"
    assert job(conn, job_id)["attempts"] == 1
    assert [(r["attempt"], r["outcome"]) for r in results(conn, job_id)] == [(1, "dead")]


def test_retry_in_seconds_overrides_the_schedule(
    conn: psycopg.Connection[Any], tenant_id: uuid.UUID
) -> None:
    job_id = enqueue(conn, tenant_id)
    claim(conn, "w")
    outcome = fail(conn, "w", job_id, 1, retry_in_seconds=123)
    assert outcome is not None
    assert (outcome["run_at"] - outcome["now"]).total_seconds() == pytest.approx(123)


def test_fail_job_returns_the_new_state(
    conn: psycopg.Connection[Any], tenant_id: uuid.UUID
) -> None:
    job_id = enqueue(conn, tenant_id, max_attempts=2)
    claim(conn, "w")
    row = conn.execute(
        "SELECT jobforge.jobforge_fail_job('w', %s, 1, '{\"kind\": \"x\"}')::text AS state",
        (job_id,),
    ).fetchone()
    assert row is not None
    assert row["state"] == "awaiting_retry"


def test_requeue_runs_a_dead_job_again(conn: psycopg.Connection[Any], tenant_id: uuid.UUID) -> None:
    job_id = enqueue(conn, tenant_id, max_attempts=1)
    claim(conn, "w")
    fail(conn, "w", job_id, 1)
    assert job(conn, job_id)["state"] == "dead"
    conn.execute("SELECT * FROM jobforge.jobforge_requeue_job(%s, 2)", (job_id,))
    row = job(conn, job_id)
    assert row["state"] == "awaiting_retry"
    assert row["max_attempts"] == 3
    [claimed] = claim(conn, "w")
    assert claimed["attempts"] == 2


ATTEMPTS = st.integers(min_value=1, max_value=1000)
BASES = st.floats(min_value=0.001, max_value=1000)
# What random() returns: multiples of 2**-52 in [0, 1). (Subnormal values make the function
# raise an underflow error: see tests/integration/test_found_bugs.py.)
UNIT_RANDOM = st.integers(min_value=0, max_value=2**52 - 1).map(lambda k: k / 2**52)


def backoff(
    conn: psycopg.Connection[Any], attempt: int, base: float, cap: float, u: float
) -> float:
    row = conn.execute(
        "SELECT jobforge.jobforge_backoff_seconds(%s, %s, %s, %s) AS s", (attempt, base, cap, u)
    ).fetchone()
    assert row is not None
    return float(row["s"])


def test_backoff_stays_within_its_bounds(conn: psycopg.Connection[Any]) -> None:
    @settings(max_examples=200, deadline=None)
    @given(ATTEMPTS, BASES, st.floats(min_value=1, max_value=1e6), UNIT_RANDOM)
    def check(attempt: int, base: float, cap_factor: float, u: float) -> None:
        cap = base * cap_factor
        d = expected_delay(attempt, base, cap)
        seconds = backoff(conn, attempt, base, cap, u)
        assert d / 2 * (1 - 1e-12) <= seconds <= d * (1 + 1e-12)
        assert seconds <= cap * (1 + 1e-12)

    check()


def test_backoff_grows_with_the_attempt_until_the_cap(conn: psycopg.Connection[Any]) -> None:
    @settings(max_examples=100, deadline=None)
    @given(BASES, st.floats(min_value=1, max_value=1e4), UNIT_RANDOM)
    def check(base: float, cap_factor: float, u: float) -> None:
        cap = base * cap_factor
        delays = [backoff(conn, attempt, base, cap, u) for attempt in range(1, 21)]
        assert delays == sorted(delays)
        reached_cap = [attempt for attempt in range(1, 21) if base * 2 ** (attempt - 1) >= cap]
        for attempt in reached_cap:
            assert delays[attempt - 1] == pytest.approx(cap / 2 + cap / 2 * u)

    check()


def test_backoff_is_immutable_and_strict(conn: psycopg.Connection[Any]) -> None:
    row = conn.execute(
        "SELECT provolatile, proisstrict FROM pg_proc "
        "WHERE oid = 'jobforge.jobforge_backoff_seconds'::regproc"
    ).fetchone()
    assert row == {"provolatile": "i", "proisstrict": True}
    null = conn.execute("SELECT jobforge.jobforge_backoff_seconds(NULL, 1, 2, 0.5) AS s").fetchone()
    assert null == {"s": None}
