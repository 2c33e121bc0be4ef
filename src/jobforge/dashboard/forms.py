"""Reading the listing pages' query strings: filters, page size and position (no I/O).

Every value goes through the operations layer's own parsers, so the dashboard accepts
exactly what `jobforge jobs list` accepts; a bad value is reported next to its field.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from jobforge.errors import InvalidArgument
from jobforge.operations import Cursor, JobFilter, parse_duration
from jobforge.operations.filters import parse_job_type, parse_state, parse_tenant

PAGE_SIZES = (25, 50, 100, 200)
DEFAULT_PAGE_SIZE = 50
WINDOWS = ("1m", "5m", "15m", "1h")
DEFAULT_WINDOW = "5m"
FILTER_FIELDS = ("tenant", "type", "state", "older_than", "newer_than")


@dataclass(frozen=True, slots=True)
class ListingQuery:
    """A listing page's request: the filter, the page size and where the page starts."""

    job_filter: JobFilter
    limit: int
    after: Cursor | None
    before: Cursor | None
    # The filter fields as typed (echoed into the form and the paging links).
    values: dict[str, str]
    # Field name -> what is wrong with its value.
    errors: dict[str, str] = field(default_factory=dict)

    def link_params(self) -> dict[str, str]:
        """The filter and page size of this query, for the links to other pages."""
        params = {name: value for name, value in self.values.items() if value}
        if self.limit != DEFAULT_PAGE_SIZE:
            params["limit"] = str(self.limit)
        return params


def listing_query(params: Mapping[str, str], *, dead_only: bool = False) -> ListingQuery:
    """The listing ``params`` ask for; fields that do not parse are left out of the filter
    and named in ``errors``."""
    values = {name: params.get(name, "").strip() for name in FILTER_FIELDS}
    if dead_only:
        values["state"] = ""
    errors: dict[str, str] = {}

    def parsed(name: str, parse: Callable[[str], Any]) -> Any:
        if not values[name]:
            return None
        try:
            return parse(values[name])
        except InvalidArgument as exc:
            errors[name] = str(exc)
            return None

    state = parsed("state", parse_state)
    job_filter = JobFilter(
        tenant_id=parsed("tenant", parse_tenant),
        job_type=parsed("type", parse_job_type),
        states=("dead",) if dead_only else ((state,) if state else ()),
        older_than=parsed("older_than", parse_duration),
        newer_than=parsed("newer_than", parse_duration),
    )
    limit = _page_size(params.get("limit", ""), errors)
    after = _cursor(params.get("after", ""), "after", errors)
    before = _cursor(params.get("before", ""), "before", errors)
    if after is not None and before is not None:
        errors["before"] = "a page starts either after or before a position, not both"
        before = None
    return ListingQuery(job_filter, limit, after, before, values, errors)


def window_of(params: Mapping[str, str]) -> tuple[str, timedelta]:
    """The overview's latency window: one of WINDOWS (anything else: the default)."""
    text = params.get("window", DEFAULT_WINDOW)
    if text not in WINDOWS:
        text = DEFAULT_WINDOW
    return text, parse_duration(text)


def _page_size(text: str, errors: dict[str, str]) -> int:
    if not text:
        return DEFAULT_PAGE_SIZE
    if text.isdigit() and int(text) in PAGE_SIZES:
        return int(text)
    errors["limit"] = f"expected one of {', '.join(map(str, PAGE_SIZES))}, got {text!r}"
    return DEFAULT_PAGE_SIZE


def _cursor(text: str, name: str, errors: dict[str, str]) -> Cursor | None:
    if not text:
        return None
    try:
        return Cursor.decode(text)
    except InvalidArgument as exc:
        errors[name] = str(exc)
        return None
