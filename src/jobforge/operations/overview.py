"""The queue at a glance: depth, throughput and latency per job type (and tenant)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import psycopg

from jobforge.errors import InvalidArgument
from jobforge.operations.models import QueueRow
from jobforge.operations.queries import fetch_rows

DEFAULT_WINDOW = timedelta(minutes=5)
MAX_WINDOW = timedelta(days=1)


def queue_overview(
    conn: psycopg.Connection[Any],
    *,
    window: timedelta = DEFAULT_WINDOW,
    per_tenant: bool = False,
) -> list[QueueRow]:
    """One row per job type (per tenant and type with ``per_tenant``), ordered by type.

    Depth and lag are read from the unfinished jobs; throughput counts jobs finished in
    the last minute; latency percentiles cover the jobs finished within ``window`` (the
    queue wait and run time of each one's last attempt).
    """
    if not timedelta(seconds=1) <= window <= MAX_WINDOW:
        raise InvalidArgument(f"window: expected 1s to 1d, got {window}")
    rows = fetch_rows(conn, "queue_overview", {"window": window, "per_tenant": per_tenant})
    return [QueueRow.from_row(row) for row in rows]
