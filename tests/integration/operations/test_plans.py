"""The listings' plans on a table of many jobs: walk an index in page order, never the table.

Migration 0007's indexes are judged by their effect: each listing's plan uses the index
meant for its filters, reads it in the listing's order (no Sort node) and never scans
the table; `top`'s query reads only the partial indexes of unfinished and recently
finished jobs.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import psycopg
import pytest

from jobforge.operations import Cursor, JobFilter
from jobforge.operations.filters import NO_CURSOR_PARAMS
from jobforge.operations.queries import operations_query
from tests.integration.support import connect

TENANTS = [uuid.UUID(int=n) for n in range(1, 21)]
DEAD_INDEX = "jobforge_jobs_dead_idx"
DEAD_DEFINITION = "USING btree (id) WHERE (state = 'dead'::jobforge.jobforge_job_state)"


@pytest.fixture
def busy(database_url: str) -> Iterator[psycopg.Connection[Any]]:
    """20,000 jobs over 20 tenants and 4 types, finished a day ago but for a few dead and
    queued ones, analysed."""
    with connect(database_url) as conn:
        conn.execute(
            "INSERT INTO jobforge.jobforge_jobs (id, tenant_id, type, payload, state, trace_id, "
            "attempts, created_at, started_at, finished_at) "
            "SELECT encode(overlay(uuid_send(gen_random_uuid()) PLACING substring(int8send(floor("
            "extract(epoch FROM now() - make_interval(days => 2, secs => n)) * 1000)::bigint) "
            "FROM 3) FROM 1 FOR 6), 'hex')::uuid, "
            "('00000000-0000-0000-0000-' || lpad((n % 20 + 1)::text, "
            "12, '0'))::uuid, 'type.' || (n % 4), '{}', "
            "CASE WHEN n % 500 = 0 THEN 'dead' ELSE 'succeeded' END::jobforge.jobforge_job_state,"
            " 't', 1, now() - make_interval(days => 2, secs => n), now() - interval '2 days', "
            "now() - interval '1 day' FROM generate_series(1, 20000) AS n"
        )
        conn.execute(
            "INSERT INTO jobforge.jobforge_jobs (id, tenant_id, type, payload, trace_id) "
            "SELECT gen_random_uuid(), %s, 'type.1', '{}', 't' FROM generate_series(1, 5)",
            (TENANTS[0],),
        )
        conn.execute("ANALYZE jobforge.jobforge_jobs")
        yield conn


def plan_of(conn: psycopg.Connection[Any], name: str, params: dict[str, Any]) -> Any:
    row = conn.execute("EXPLAIN (FORMAT JSON) " + operations_query(name), params).fetchone()
    assert row is not None
    value = next(iter(row.values()))
    return json.loads(value) if isinstance(value, str) else value


def nodes(plan: Any) -> Iterator[dict[str, Any]]:
    if isinstance(plan, dict):
        if "Node Type" in plan:
            yield plan
        for value in plan.values():
            yield from nodes(value)
    elif isinstance(plan, list):
        for item in plan:
            yield from nodes(item)


def list_params(job_filter: JobFilter, cursor: Cursor | None = None) -> dict[str, Any]:
    position = cursor.params() if cursor is not None else NO_CURSOR_PARAMS
    return {**job_filter.params(), **position, "limit": 51}


def test_the_dead_letter_index_is_defined(database_url: str) -> None:
    with connect(database_url) as conn:
        rows = conn.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'jobforge' "
            "AND tablename = 'jobforge_jobs' AND indexdef LIKE %s",
            ("%WHERE (state = 'dead'%",),
        ).fetchall()
    assert [row["indexname"] for row in rows] == [DEAD_INDEX]
    assert rows[0]["indexdef"].endswith(DEAD_DEFINITION), rows[0]["indexdef"]


def deep_cursor(conn: psycopg.Connection[Any]) -> Cursor:
    """The position of the 15,000th newest job: a deep page, with jobs on either side."""
    row = conn.execute(
        "SELECT id FROM jobforge.jobforge_jobs ORDER BY id DESC OFFSET 15000 LIMIT 1"
    ).fetchone()
    assert row is not None
    return Cursor(row["id"])


# (filter, the index its plan uses, whether that index holds every condition of the filter:
# then the plan reads it in page order and stops at the page's end, with no Sort).
LISTINGS = [
    (JobFilter(), "jobforge_jobs_pkey", True),
    (JobFilter(job_type="type.2"), "jobforge_jobs_pkey", False),
    (JobFilter(older_than=timedelta(days=2, hours=1)), "jobforge_jobs_pkey", True),
    (JobFilter(newer_than=timedelta(days=2, hours=1)), "jobforge_jobs_pkey", True),
    (JobFilter(tenant_id=TENANTS[3]), "jobforge_jobs_pkey", False),
    (JobFilter(tenant_id=TENANTS[3], job_type="type.3"), "jobforge_jobs_pkey", False),
    (JobFilter(states=("dead",)), DEAD_INDEX, True),
    (JobFilter(states=("dead",), job_type="type.0"), DEAD_INDEX, False),
]


@pytest.mark.parametrize(
    ("job_filter", "index", "covered"),
    LISTINGS,
    ids=["all", "type", "older", "newer", "tenant", "tenant-type", "dead", "dead-type"],
)
@pytest.mark.parametrize("page", ["first", "deep"])
def test_a_listing_walks_its_index(
    busy: psycopg.Connection[Any], job_filter: JobFilter, index: str, covered: bool, page: str
) -> None:
    cursor = deep_cursor(busy) if page == "deep" else None
    plan = plan_of(busy, "list_jobs", list_params(job_filter, cursor))
    kinds = [node["Node Type"] for node in nodes(plan)]
    used = {node.get("Index Name") for node in nodes(plan)}
    assert index in used, json.dumps(plan, indent=1)
    assert "Seq Scan" not in kinds, json.dumps(plan, indent=1)
    if covered:
        assert "Sort" not in kinds, json.dumps(plan, indent=1)
    if job_filter.older_than or job_filter.newer_than:  # the age bounds the walk
        walk = next(node for node in nodes(plan) if node.get("Index Name") == index)
        assert "id" in walk.get("Index Cond", ""), json.dumps(plan, indent=1)


def test_top_reads_only_the_partial_indexes(busy: psycopg.Connection[Any]) -> None:
    plan = plan_of(busy, "queue_overview", {"window": timedelta(minutes=5), "per_tenant": False})
    scans = [node for node in nodes(plan) if "Relation Name" in node]
    assert scans, json.dumps(plan, indent=1)
    assert all(node["Node Type"] != "Seq Scan" for node in scans), json.dumps(plan, indent=1)
    assert {node.get("Index Name") for node in scans} <= {
        "jobforge_jobs_runnable_idx", "jobforge_jobs_lease_idx", "jobforge_jobs_finished_idx"
    }, json.dumps(plan, indent=1)  # fmt: skip


def test_counting_dead_letters_reads_their_index(busy: psycopg.Connection[Any]) -> None:
    params = JobFilter(states=("dead",), tenant_id=TENANTS[0]).params()
    plan = plan_of(busy, "count_jobs", params)
    assert "Seq Scan" not in [node["Node Type"] for node in nodes(plan)]
