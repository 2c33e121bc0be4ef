"""Who may see a page and send a form: a signed-in operator, and for forms the CSRF token
of that operator's session, from a page of this site.

Every page is wrapped by ``signed_in``; every state change is a POST wrapped by
``form_action``. Nothing changes state on GET.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from jobforge.dashboard.context import dashboard_context
from jobforge.dashboard.rendering import base_path, render
from jobforge.dashboard.sessions import COOKIE_NAME, Session

Endpoint = Callable[[Request], Awaitable[Response]]
PageHandler = Callable[[Request, Session], Awaitable[Response]]
FormHandler = Callable[[Request, Session, FormData], Awaitable[Response]]

CSRF_FIELD = "csrf_token"
# A dashboard form has a handful of short fields; anything bigger is not one of ours.
MAX_FORM_FIELDS = 20
FORBIDDEN = 403
SEE_OTHER = 303


def current_session(request: Request) -> Session | None:
    """The operator session of ``request``'s cookie (and its CSRF token on request.state)."""
    sessions = dashboard_context(request).sessions
    session = sessions.read(request.cookies.get(COOKIE_NAME), time.time())
    if session is not None:
        request.state.csrf_token = sessions.csrf_token(session)
    return session


def to_login(request: Request) -> Response:
    return RedirectResponse(f"{base_path(request)}/login", status_code=SEE_OTHER)


def signed_in(handler: PageHandler) -> Endpoint:
    """A page for signed-in operators; anyone else is sent to the login page."""

    async def endpoint(request: Request) -> Response:
        session = current_session(request)
        if session is None:
            return to_login(request)
        return await handler(request, session)

    return endpoint


def form_action(handler: FormHandler) -> Endpoint:
    """A POST that changes state: from this site, by a signed-in operator, carrying the
    session's CSRF token; refused with 403 (and nothing done) otherwise."""

    async def endpoint(request: Request) -> Response:
        if not same_site(request):
            return refused(request)
        session = current_session(request)
        if session is None:
            return to_login(request)
        form = await request.form(max_files=0, max_fields=MAX_FORM_FIELDS)
        token = form.get(CSRF_FIELD)
        if not isinstance(token, str) or not dashboard_context(request).sessions.csrf_matches(
            session, token
        ):
            return refused(request)
        return await handler(request, session, form)

    return endpoint


def same_site(request: Request) -> bool:
    """False when the browser says the request comes from another site: an Origin naming
    another host, or Sec-Fetch-Site cross-site. Requests without either header (not from a
    browser, or an old one) pass on to the CSRF token check, which every form needs anyway."""
    if request.headers.get("sec-fetch-site") == "cross-site":
        return False
    origin = request.headers.get("origin")
    if origin is None:
        return True
    return origin != "null" and urlsplit(origin).netloc == request.headers.get("host")


def refused(request: Request) -> Response:
    return render(
        request,
        "error.html",
        {
            "title": "Form refused",
            "message": "This form did not come from a page of this dashboard in your current "
            "session (it may be from before you logged in again). Reload the page and try "
            "again.",
        },
        status_code=FORBIDDEN,
    )
