"""Listing jobs newest first, a page at a time, by keyset: deep pages cost what the first does."""

from __future__ import annotations

from typing import Any

import psycopg

from jobforge.operations.filters import NO_CURSOR_PARAMS, Cursor, JobFilter, page_size
from jobforge.operations.models import JobPage, JobSummary
from jobforge.operations.queries import fetch_rows

DEAD_LETTER_FILTER_STATES = ("dead",)


def list_jobs(
    conn: psycopg.Connection[Any],
    job_filter: JobFilter,
    *,
    limit: int = 50,
    after: Cursor | None = None,
) -> JobPage:
    """The page of jobs matching ``job_filter`` that follows ``after`` (the first without).

    Newest first: by id descending (ids begin with their enqueue time, to the
    millisecond). One row more than the page is read to learn whether another page
    follows; nothing is counted.
    """
    size = page_size(limit)
    params: dict[str, Any] = {
        **job_filter.params(),
        **(after.params() if after is not None else NO_CURSOR_PARAMS),
        "limit": size + 1,
    }
    rows = fetch_rows(conn, "list_jobs", params)
    jobs = tuple(JobSummary.from_row(row) for row in rows[:size])
    next_cursor = Cursor(jobs[-1].id) if len(rows) > size else None
    return JobPage(jobs, next_cursor)


def list_jobs_newer(
    conn: psycopg.Connection[Any],
    job_filter: JobFilter,
    *,
    before: Cursor,
    limit: int = 50,
) -> JobPage:
    """The page of jobs matching ``job_filter`` just newer than ``before`` (a "previous"
    page), newest first; ``next_cursor`` is set when still newer jobs exist (it is the
    ``before`` of the page preceding this one)."""
    size = page_size(limit)
    params = {**job_filter.params(), "before_id": before.job_id, "limit": size + 1}
    rows = fetch_rows(conn, "list_jobs_newer", params)
    jobs = tuple(JobSummary.from_row(row) for row in reversed(rows[:size]))
    return JobPage(jobs, Cursor(jobs[0].id) if len(rows) > size else None)


def list_dead_letters(
    conn: psycopg.Connection[Any],
    job_filter: JobFilter,
    *,
    limit: int = 50,
    after: Cursor | None = None,
) -> JobPage:
    """The dead-lettered jobs (state dead) matching the rest of ``job_filter``."""
    return list_jobs(conn, _dead_only(job_filter), limit=limit, after=after)


def count_jobs(conn: psycopg.Connection[Any], job_filter: JobFilter) -> int:
    """How many jobs match ``job_filter``: for confirming bulk actions on narrow filters."""
    return int(fetch_rows(conn, "count_jobs", job_filter.params())[0]["jobs"])


def dead_letter_ids(conn: psycopg.Connection[Any], job_filter: JobFilter) -> list[Any]:
    """Every dead job matching ``job_filter``, newest first, read page by page."""
    ids: list[Any] = []
    after: Cursor | None = None
    dead = _dead_only(job_filter)
    while True:
        page = list_jobs(conn, dead, limit=1000, after=after)
        ids.extend(job.id for job in page.jobs)
        if page.next_cursor is None:
            return ids
        after = page.next_cursor


def _dead_only(job_filter: JobFilter) -> JobFilter:
    return JobFilter(
        tenant_id=job_filter.tenant_id,
        job_type=job_filter.job_type,
        states=DEAD_LETTER_FILTER_STATES,
        older_than=job_filter.older_than,
        newer_than=job_filter.newer_than,
    )
