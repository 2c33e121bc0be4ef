"""Requeue, cancel and discard (cancel a dead letter): a confirmation page (GET, changes
nothing), then the action (POST with the session's CSRF token), done through the RPCs as
the operator's role."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from uuid import UUID

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from jobforge.dashboard.context import dashboard_context
from jobforge.dashboard.guard import SEE_OTHER, form_action, signed_in
from jobforge.dashboard.rendering import base_path, render
from jobforge.dashboard.sessions import Session
from jobforge.db.pool import Connection
from jobforge.errors import InvalidArgument
from jobforge.operations import ActionRefused, cancel_job, discard_job, get_job_detail, retry_job
from jobforge.operations.actions import MAX_EXTRA_ATTEMPTS
from jobforge.operations.filters import DISCARDABLE_STATES, RETRYABLE_STATES, UNFINISHED_STATES

CONFLICT = 409
BAD_REQUEST = 400


@dataclass(frozen=True, slots=True)
class Action:
    name: str  # the URL segment and the button's style
    label: str  # the verb the pages show
    done: str  # the notice shown on the job page afterwards
    allowed_states: frozenset[str]
    refusal: str  # why a job in another state cannot have it


REQUEUE = Action(
    "requeue", "requeue", "requeued", RETRYABLE_STATES,
    "only dead or canceled jobs can be requeued",
)  # fmt: skip
CANCEL = Action(
    "cancel", "cancel", "canceled", UNFINISHED_STATES,
    "only queued, running or retrying jobs can be canceled",
)  # fmt: skip
# Cancelling a dead letter: operators see "Cancel", the RPC is jobforge_discard_job.
DISCARD = Action(
    "discard", "cancel", "discarded", DISCARDABLE_STATES,
    "only dead letters are canceled this way (a job that has not finished has its own Cancel)",
)  # fmt: skip


async def _confirm(
    request: Request, action: Action, *, error: str | None = None, status_code: int = 200
) -> Response:
    job_id: UUID = request.path_params["job_id"]
    detail = await dashboard_context(request).read(lambda conn: get_job_detail(conn, job_id))
    return render(
        request,
        "confirm.html",
        {
            "action": action,
            "detail": detail,
            "job": detail.job,
            "allowed": detail.job.state in action.allowed_states,
            "error": error,
            "max_extra_attempts": MAX_EXTRA_ATTEMPTS,
            "page": "dead" if detail.job.state == "dead" else "jobs",
        },
        status_code=status_code,
    )


async def _confirm_requeue(request: Request, _session: Session) -> Response:
    return await _confirm(request, REQUEUE)


async def _confirm_cancel(request: Request, _session: Session) -> Response:
    return await _confirm(request, CANCEL)


async def _confirm_discard(request: Request, _session: Session) -> Response:
    return await _confirm(request, DISCARD)


async def _requeue(request: Request, _session: Session, form: FormData) -> Response:
    job_id: UUID = request.path_params["job_id"]
    extra_text = form.get("extra_attempts", "1")
    digits = extra_text.strip() if isinstance(extra_text, str) else ""
    # Four digits hold every allowed count; a longer number is refused before int() reads it.
    if not (digits.isascii() and digits.isdigit()) or len(digits) > len(str(MAX_EXTRA_ATTEMPTS)):
        return await _confirm(
            request, REQUEUE, error=f"extra attempts: expected 1 to {MAX_EXTRA_ATTEMPTS}",
            status_code=BAD_REQUEST,
        )  # fmt: skip
    extra_attempts = int(digits)
    return await _act(
        request, REQUEUE, lambda conn: retry_job(conn, job_id, extra_attempts=extra_attempts)
    )


async def _cancel(request: Request, _session: Session, _form: FormData) -> Response:
    job_id: UUID = request.path_params["job_id"]
    return await _act(request, CANCEL, lambda conn: cancel_job(conn, job_id))


async def _discard(request: Request, _session: Session, _form: FormData) -> Response:
    job_id: UUID = request.path_params["job_id"]
    return await _act(request, DISCARD, lambda conn: discard_job(conn, job_id))


async def _act(request: Request, action: Action, work: Callable[[Connection], object]) -> Response:
    job_id: UUID = request.path_params["job_id"]
    try:
        await dashboard_context(request).read(work)
    except ActionRefused as exc:
        return await _confirm(request, action, error=str(exc), status_code=CONFLICT)
    except InvalidArgument as exc:
        return await _confirm(request, action, error=str(exc), status_code=BAD_REQUEST)
    return RedirectResponse(
        f"{base_path(request)}/jobs/{job_id}?done={action.done}", status_code=SEE_OTHER
    )


confirm_requeue = signed_in(_confirm_requeue)
confirm_cancel = signed_in(_confirm_cancel)
confirm_discard = signed_in(_confirm_discard)
requeue = form_action(_requeue)
cancel = form_action(_cancel)
discard = form_action(_discard)
