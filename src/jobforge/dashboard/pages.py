"""The read-only pages: queues, the job list, dead letters and one job."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from starlette.requests import Request
from starlette.responses import Response

from jobforge.dashboard.context import dashboard_context
from jobforge.dashboard.forms import PAGE_SIZES, WINDOWS, ListingQuery, listing_query, window_of
from jobforge.dashboard.guard import signed_in
from jobforge.dashboard.reads import ListingPage, read_page, read_queues
from jobforge.dashboard.rendering import render
from jobforge.dashboard.sessions import Session
from jobforge.db.pool import Connection
from jobforge.operations import JOB_STATES, get_impact, get_job_detail
from jobforge.operations.filters import DISCARDABLE_STATES, RETRYABLE_STATES, UNFINISHED_STATES

BAD_REQUEST = 400
# What a finished action says on the job page it leads to (a fixed set: never echoed input).
NOTICES = {
    "requeued": "Requeued: the job will run again.",
    "canceled": "Canceled: the job will not run again.",
    "discarded": "Canceled: the dead letter is discarded and will not run again.",
}


async def _overview(request: Request, _session: Session) -> Response:
    window_text, window = window_of(request.query_params)
    lines = await dashboard_context(request).read(lambda conn: read_queues(conn, window=window))
    return render(
        request,
        "overview.html",
        {"lines": lines, "window": window_text, "windows": WINDOWS, "page": "queues"},
    )


async def _jobs(request: Request, _session: Session) -> Response:
    return await _listing(request, dead_only=False)


async def _dead_letters(request: Request, _session: Session) -> Response:
    return await _listing(request, dead_only=True)


async def _listing(request: Request, *, dead_only: bool) -> Response:
    query = listing_query(request.query_params, dead_only=dead_only)
    listing = ListingPage((), None, None)
    if not query.errors:
        listing = await dashboard_context(request).read(lambda conn: _read(conn, query))
    return render(
        request,
        "dead_letters.html" if dead_only else "jobs.html",
        {
            "query": query,
            "listing": listing,
            "links": query.link_params(),
            "states": JOB_STATES,
            "page_sizes": PAGE_SIZES,
            "page": "dead" if dead_only else "jobs",
        },
        status_code=BAD_REQUEST if query.errors else 200,
    )


def _read(conn: Connection, query: ListingQuery) -> ListingPage:
    return read_page(
        conn, query.job_filter, limit=query.limit, after=query.after, before=query.before
    )


async def _job(request: Request, _session: Session) -> Response:
    job_id: UUID = request.path_params["job_id"]

    def read(conn: Connection) -> dict[str, Any]:
        detail = get_job_detail(conn, job_id)
        return {"detail": detail, "impact": get_impact(conn, job_id)}

    found = await dashboard_context(request).read(read)
    detail = found["detail"]
    attempts = detail.attempts
    return render(
        request,
        "job.html",
        {
            **found,
            "job": detail.job,
            "result": detail.result,
            "last_attempt": attempts[-1] if attempts else None,
            "replay_command": replay_command(job_id, attempts[-1].attempt) if attempts else None,
            "can_requeue": detail.job.state in RETRYABLE_STATES,
            "can_cancel": detail.job.state in UNFINISHED_STATES,
            "can_discard": detail.job.state in DISCARDABLE_STATES,
            "notice": NOTICES.get(request.query_params.get("done", "")),
            "page": "jobs",
        },
    )


def replay_command(job_id: UUID, attempt: int) -> str:
    """The command that re-runs ``attempt`` of the job (docs/replay.md)."""
    return f"jobforge replay --job {job_id} --attempt {attempt}"


overview = signed_in(_overview)
jobs = signed_in(_jobs)
dead_letters = signed_in(_dead_letters)
job = signed_in(_job)
