"""The dashboard's ASGI app: ``create_dashboard_app(settings)``, mounted under /ui by
`jobforge serve` (``create_app(settings, mounts={"/ui": dashboard})``)."""

from __future__ import annotations

import logging
from collections.abc import Mapping

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp

from jobforge.dashboard import actions, login, pages
from jobforge.dashboard.context import DashboardContext
from jobforge.dashboard.headers import SecurityHeadersMiddleware
from jobforge.dashboard.rendering import render
from jobforge.dashboard.settings import DashboardSettings
from jobforge.errors import (
    DatabaseUnavailable,
    InvalidArgument,
    JobForgeError,
    JobNotFound,
    TenantAccessDenied,
)

MOUNT_PATH = "/ui"
_log = logging.getLogger("jobforge.dashboard")


def create_dashboard_app(settings: DashboardSettings) -> Starlette:
    """The dashboard for ``settings``: pages for signed-in operators, reading and acting
    through jobforge.operations as ``settings.database_url``'s role."""
    routes = [
        Route("/", pages.overview, name="overview"),
        Route("/login", login.login_page, methods=["GET"], name="login"),
        Route("/login", login.log_in, methods=["POST"]),
        Route("/logout", login.log_out, methods=["POST"], name="logout"),
        Route("/jobs", pages.jobs, name="jobs"),
        Route("/dead-letters", pages.dead_letters, name="dead_letters"),
        Route("/jobs/{job_id:uuid}", pages.job, name="job"),
        Route("/jobs/{job_id:uuid}/requeue", actions.confirm_requeue, methods=["GET"]),
        Route("/jobs/{job_id:uuid}/requeue", actions.requeue, methods=["POST"]),
        Route("/jobs/{job_id:uuid}/cancel", actions.confirm_cancel, methods=["GET"]),
        Route("/jobs/{job_id:uuid}/cancel", actions.cancel, methods=["POST"]),
        Route("/jobs/{job_id:uuid}/discard", actions.confirm_discard, methods=["GET"]),
        Route("/jobs/{job_id:uuid}/discard", actions.discard, methods=["POST"]),
        Mount("/static", StaticFiles(packages=[("jobforge.dashboard", "static")]), name="static"),
    ]
    app = Starlette(
        routes=routes,
        middleware=[Middleware(SecurityHeadersMiddleware)],
        exception_handlers={JobForgeError: _error_page},
    )
    app.state.dashboard = DashboardContext.build(settings)
    return app


def dashboard_mounts(default_database_url: str) -> Mapping[str, ASGIApp]:
    """``{"/ui": dashboard}`` when JOBFORGE_UI_TOKEN is set (the database URL defaulting to
    ``default_database_url``), else nothing: no token, no dashboard."""
    settings = DashboardSettings.from_environment(default_database_url)
    if settings is None:
        return {}
    return {MOUNT_PATH: create_dashboard_app(settings)}


_STATUS = (
    (JobNotFound, 404, "Not found"),
    (InvalidArgument, 400, "Bad request"),
    (TenantAccessDenied, 403, "Not allowed"),
    (DatabaseUnavailable, 503, "Database unavailable"),
)


async def _error_page(request: Request, exc: Exception) -> Response:
    """A JobForge error as a page saying what happened (its message is meant for users)."""
    status_code, title = next(
        ((code, text) for kind, code, text in _STATUS if isinstance(exc, kind)), (500, "Error")
    )
    if status_code == 500:
        _log.error("dashboard request failed: %s", exc)
    return render(request, "error.html", {"title": title, "message": str(exc)},
                  status_code=status_code)  # fmt: skip
