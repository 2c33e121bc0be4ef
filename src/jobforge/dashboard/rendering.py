"""The dashboard's HTML: Jinja2 templates with autoescaping on for every one, and the
filters they format times, durations and JSON with."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from functools import cache
from typing import Any
from urllib.parse import urlencode

import jinja2
from starlette.requests import Request
from starlette.responses import HTMLResponse

from jobforge.operations import to_document

DASH = "\u2014"


@cache
def environment() -> jinja2.Environment:
    # autoescape=True for every template whatever its name: a payload's "<script>" is text.
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("jobforge.dashboard", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        when=when, age=age, seconds=seconds, pretty_json=pretty_json, short_id=short_id
    )
    env.globals["qs"] = query_string
    return env


def render(
    request: Request, template: str, context: Mapping[str, Any], *, status_code: int = 200
) -> HTMLResponse:
    """``template`` rendered with ``context`` and what every page uses: the mount path,
    the session's CSRF token (empty when signed out) and the time the page was made."""
    page = (
        environment()
        .get_template(template)
        .render(
            base=base_path(request),
            csrf_token=getattr(request.state, "csrf_token", ""),
            now=datetime.now(UTC),
            **context,
        )
    )
    return HTMLResponse(page, status_code=status_code)


def base_path(request: Request) -> str:
    """Where the dashboard is mounted ("/ui"), empty when it is served at the root."""
    return str(request.scope.get("root_path", "")).rstrip("/")


def query_string(params: Mapping[str, str], **changes: str | None) -> str:
    """``?a=1&b=2`` from ``params`` with ``changes`` applied (None removes a key); keys in
    sorted order so a page's links are the same every time."""
    merged = {**params, **changes}
    pairs = sorted((key, value) for key, value in merged.items() if value)
    return "?" + urlencode(pairs) if pairs else ""


def when(moment: datetime | None) -> str:
    """A moment in UTC to the second: ``2026-11-30 13:12:12Z``."""
    if moment is None:
        return DASH
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%SZ")


def age(moment: datetime | None, now: datetime) -> str:
    """How long before ``now`` ``moment`` was, as 45s, 3m12s, 2h05m or 3d04h."""
    if moment is None:
        return DASH
    return duration_text(max((now - moment).total_seconds(), 0.0))


def duration_text(total_seconds: float) -> str:
    whole = int(total_seconds)
    days, rest = divmod(whole, 86_400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days}d{hours:02d}h"
    if hours:
        return f"{hours}h{minutes:02d}m"
    if minutes:
        return f"{minutes}m{secs:02d}s"
    return f"{secs}s"


def seconds(value: float | None) -> str:
    """A duration in seconds for a table cell: ``0.042 s``, ``12.5 s``, ``3m05s``."""
    if value is None:
        return DASH
    if value < 10:
        return f"{value:.3f} s"
    if value < 60:
        return f"{value:.1f} s"
    return duration_text(value)


def pretty_json(value: Any) -> str:
    """JSON indented, keys sorted (escaped by the template like any text)."""
    return json.dumps(to_document(value), indent=2, sort_keys=True, ensure_ascii=False)


def short_id(value: object) -> str:
    """The first 8 characters of an id: enough to tell jobs apart on one page."""
    return str(value)[:8]
