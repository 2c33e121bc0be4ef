"""Logging in with the operator token, and out."""

from __future__ import annotations

import time

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from jobforge.dashboard.context import dashboard_context
from jobforge.dashboard.guard import (
    SEE_OTHER,
    current_session,
    form_action,
    refused,
    same_site,
    to_login,
)
from jobforge.dashboard.rendering import base_path, render
from jobforge.dashboard.sessions import COOKIE_NAME, Session

UNAUTHORIZED = 401
# Longer than any token worth trying; a bigger field is refused unread.
MAX_TOKEN_CHARACTERS = 1024


async def login_page(request: Request) -> Response:
    if current_session(request) is not None:
        return RedirectResponse(f"{base_path(request)}/", status_code=SEE_OTHER)
    return render(request, "login.html", {"error": None})


async def log_in(request: Request) -> Response:
    """Check the token; on a match, set the session cookie and go to the queues page."""
    if not same_site(request):
        return refused(request)
    form = await request.form(max_files=0, max_fields=5)
    token = form.get("token")
    sessions = dashboard_context(request).sessions
    if (
        not isinstance(token, str)
        or len(token) > MAX_TOKEN_CHARACTERS
        or not sessions.token_matches(token)
    ):
        return render(
            request,
            "login.html",
            {"error": "That is not the operator token (JOBFORGE_UI_TOKEN of the server)."},
            status_code=UNAUTHORIZED,
        )
    _session, cookie = sessions.issue(time.time())
    response = RedirectResponse(f"{base_path(request)}/", status_code=SEE_OTHER)
    response.set_cookie(
        COOKIE_NAME,
        cookie,
        max_age=sessions.session_seconds,
        path=base_path(request) or "/",
        secure=request.url.scheme == "https",
        httponly=True,
        samesite="strict",
    )
    return response


async def _log_out(request: Request, session: Session, _form: FormData) -> Response:
    dashboard_context(request).sessions.end(session, time.time())
    response = to_login(request)
    response.delete_cookie(
        COOKIE_NAME,
        path=base_path(request) or "/",
        secure=request.url.scheme == "https",
        httponly=True,
        samesite="strict",
    )
    return response


log_out = form_action(_log_out)
