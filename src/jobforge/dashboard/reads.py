"""What the dashboard's pages read: the operations read models, plus pages in both
directions and the dead-letter queue's size per queue (the dashboard's own SQL)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from uuid import UUID

import psycopg

from jobforge.dashboard.queries import fetch_rows
from jobforge.operations import (
    Cursor,
    JobFilter,
    JobSummary,
    QueueRow,
    list_jobs,
    list_jobs_newer,
    queue_overview,
)

# Queue lines with dead jobs read at most: a runaway number of job types must not make one
# page read without bound.
MAX_DEAD_QUEUES = 500


@dataclass(frozen=True, slots=True)
class ListingPage:
    """One page of a newest-first listing and the positions of its neighbours.

    ``newer`` starts the page before this one (the "previous" link: jobs newer than its
    first), ``older`` the page after it (jobs older than its last); None: there is none.
    """

    jobs: tuple[JobSummary, ...]
    newer: Cursor | None
    older: Cursor | None


def read_page(
    conn: psycopg.Connection[Any],
    job_filter: JobFilter,
    *,
    limit: int,
    after: Cursor | None = None,
    before: Cursor | None = None,
) -> ListingPage:
    """The page of jobs matching ``job_filter`` just older than ``after``, just newer than
    ``before``, or the newest without either. Nothing is counted: one row more than the
    page is read to learn whether a page follows in the direction read."""
    if before is None:
        page = list_jobs(conn, job_filter, limit=limit, after=after)
        newer = _cursor(page.jobs[0]) if after is not None and page.jobs else None
        return ListingPage(page.jobs, newer=newer, older=page.next_cursor)
    page = list_jobs_newer(conn, job_filter, before=before, limit=limit)
    # The job at ``before`` (or another older one) follows this page.
    older = _cursor(page.jobs[-1]) if page.jobs else None
    return ListingPage(page.jobs, newer=page.next_cursor, older=older)


def _cursor(job: JobSummary) -> Cursor:
    return Cursor(job.id)


@dataclass(frozen=True, slots=True)
class QueueLine:
    """One queue (a tenant's job type): its live figures, and its dead-letter count."""

    tenant_id: UUID | None
    job_type: str
    live: QueueRow | None  # None: nothing queued, running or finished within the window
    dead: int


def read_queues(conn: psycopg.Connection[Any], *, window: timedelta) -> list[QueueLine]:
    """Every queue with jobs waiting, running, finished within ``window`` or dead, by job
    type then tenant."""
    live = {
        (row.tenant_id, row.type): row
        for row in queue_overview(conn, window=window, per_tenant=True)
    }
    dead = {
        (row["tenant_id"], row["type"]): int(row["dead"])
        for row in fetch_rows(conn, "dead_by_queue", {"max_queues": MAX_DEAD_QUEUES})
    }
    keys = sorted(set(live) | set(dead), key=lambda key: (key[1], str(key[0])))
    return [QueueLine(key[0], key[1], live.get(key), dead.get(key, 0)) for key in keys]
