"""The operator's listings and `top` on a table of 1,000,000 jobs.

Uses JOBFORGE_DATABASE_URL (or JOBFORGE_TEST_DATABASE_URL) when set, else an embedded
PostgreSQL. Bounded: one table of 1,000,000 jobs enqueued over 28 hours (100 tenants of 1%
each, 10 types of 10%, a rare type of 0.01%, 1% dead, 1,000 waiting), ids made as enqueue
makes them; each query runs 20 times after a warm-up, figures are medians.
"""

from __future__ import annotations

import os
import statistics
import time
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import psycopg

from jobforge.db.connection import connect
from jobforge.db.migrations import load_migrations
from jobforge.db.throwaway import DatabaseFactory, throwaway_server
from jobforge.operations import Cursor, JobFilter, list_jobs, queue_overview

JOBS = 1_000_000
RUNS = 20
DEEP_POSITION = 900_000  # the page after the 900,000th newest job
# n-th job: enqueued n/10 s ago (version 7 id of that millisecond), of tenant n % 100 + 1.
FILL = """
INSERT INTO jobforge.jobforge_jobs (
    id, tenant_id, type, payload, state, trace_id, attempts, run_at, created_at, started_at,
    finished_at)
SELECT encode(set_bit(set_bit(overlay(uuid_send(gen_random_uuid())
           PLACING substring(int8send(floor(extract(epoch FROM t.created_at) * 1000)::bigint)
                             FROM 3) FROM 1 FOR 6), 52, 1), 53, 1), 'hex')::uuid,
       ('00000000-0000-0000-0000-' || lpad((n %% 100 + 1)::text, 12, '0'))::uuid,
       CASE WHEN n %% 10000 = 5 THEN 'bench.rare' ELSE 'bench.type' || (n %% 10) END, '{}',
       CASE WHEN n %% 100 = 0 THEN 'dead' WHEN n <= 1000 THEN 'queued'
            ELSE 'succeeded' END::jobforge.jobforge_job_state,
       't', CASE WHEN n <= 1000 THEN 0 ELSE 1 END, t.created_at, t.created_at,
       CASE WHEN n > 1000 THEN t.created_at + interval '50 ms' END,
       CASE WHEN n > 1000 THEN t.created_at + interval '80 ms' END
FROM generate_series(1, %(jobs)s) AS n,
     LATERAL (SELECT now() - make_interval(secs => n * 0.1) AS created_at) AS t
"""


def _server_url() -> str | None:
    return os.environ.get("JOBFORGE_DATABASE_URL") or os.environ.get("JOBFORGE_TEST_DATABASE_URL")


def _median_ms(action: Callable[[], Any]) -> float:
    action()  # warm-up: caches and the plan's first parse
    samples = []
    for _ in range(RUNS):
        started = time.perf_counter()
        action()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples) * 1000


def _deep_cursor(conn: psycopg.Connection[Any], job_filter: JobFilter, position: int) -> Cursor:
    """The cursor a reader paging ``job_filter`` holds after ``position`` jobs (found with
    OFFSET once, as setup: the measured queries never count or skip)."""
    params = job_filter.params()
    row = conn.execute(
        "SELECT id FROM jobforge.jobforge_jobs j "
        "WHERE (%(tenant_id)s::uuid IS NULL OR j.tenant_id = %(tenant_id)s::uuid) "
        "AND (%(states)s::jobforge.jobforge_job_state[] IS NULL "
        "     OR j.state = ANY (%(states)s::jobforge.jobforge_job_state[])) "
        "ORDER BY id DESC OFFSET %(position)s LIMIT 1",
        {**params, "position": position},
    ).fetchone()
    assert row is not None
    return Cursor(row["id"])


def run() -> dict[str, float | str]:
    figures: dict[str, float | str] = {}
    with throwaway_server(_server_url()) as server_url:
        factory = DatabaseFactory(server_url)
        with factory.database() as url:
            conn = connect(url)
            try:
                started = time.perf_counter()
                conn.execute(FILL, {"jobs": JOBS})
                conn.execute("VACUUM ANALYZE jobforge.jobforge_jobs")
                figures["fill_1000000_jobs_and_analyse_s"] = time.perf_counter() - started
                figures.update(_listing_figures(conn))
                figures["build_the_dead_letter_index_on_1000000_jobs_s"] = _index_build(conn)
            finally:
                conn.close()
    return figures


def _index_build(conn: psycopg.Connection[Any]) -> float:
    """Seconds migration 0007 takes on this table (its index dropped first)."""
    migration = next(m for m in load_migrations() if m.name == "operator_indexes")
    conn.execute("DROP INDEX jobforge.jobforge_jobs_dead_idx")
    started = time.perf_counter()
    conn.execute(migration.sql)
    return time.perf_counter() - started


def _listing_figures(conn: psycopg.Connection[Any]) -> dict[str, float | str]:
    every = JobFilter()
    tenant = JobFilter(tenant_id=uuid.UUID(int=7))
    dead = JobFilter(states=("dead",))
    deep_every = _deep_cursor(conn, every, DEEP_POSITION)
    deep_tenant = _deep_cursor(conn, tenant, DEEP_POSITION // 100)
    deep_dead = _deep_cursor(conn, dead, DEEP_POSITION // 100)

    def listing(job_filter: JobFilter, after: Cursor | None = None) -> Callable[[], Any]:
        return lambda: list_jobs(conn, job_filter, after=after)

    return {
        "list_first_page_of_50_ms_median": _median_ms(listing(every)),
        "list_page_after_job_900000_ms_median": _median_ms(listing(every, deep_every)),
        "list_enqueued_in_the_last_hour_first_page_ms_median": _median_ms(
            listing(JobFilter(newer_than=timedelta(hours=1)))
        ),
        "list_enqueued_over_a_day_ago_first_page_ms_median": _median_ms(
            listing(JobFilter(older_than=timedelta(days=1)))
        ),
        "list_one_type_of_10_percent_first_page_ms_median": _median_ms(
            listing(JobFilter(job_type="bench.type3"))
        ),
        "list_one_tenant_of_1_percent_first_page_ms_median": _median_ms(listing(tenant)),
        "list_one_tenant_page_after_its_job_9000_ms_median": _median_ms(
            listing(tenant, deep_tenant)
        ),
        "list_rare_type_of_0.01_percent_first_page_ms_median": _median_ms(
            listing(JobFilter(job_type="bench.rare"))
        ),
        "dead_letters_first_page_ms_median": _median_ms(listing(dead)),
        "dead_letters_page_after_dead_job_9000_ms_median": _median_ms(listing(dead, deep_dead)),
        "top_frame_per_type_ms_median": _median_ms(lambda: queue_overview(conn)),
        "top_frame_per_tenant_and_type_ms_median": _median_ms(
            lambda: queue_overview(conn, per_tenant=True)
        ),
    }
