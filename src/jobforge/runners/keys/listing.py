"""``jobforge.keys.list``: a tenant's keys, oldest first, with their status at ``ctx.now``.

Only keys valid at the job's time unless ``include_inactive``; at most ``limit``, and
``truncated`` says when there were more. Never any hash material: the store does not
return it.
"""

from __future__ import annotations

from typing import Any

from jobforge import JobContext
from jobforge.runners.keys.errors import InvalidStoreResponse
from jobforge.runners.keys.names import LIST_KEYS
from jobforge.runners.keys.requests import parse_list
from jobforge.runners.keys.store import call_store
from jobforge.runners.keys.views import STATUSES, key_view


def list_keys(payload: Any, ctx: JobContext) -> dict[str, Any]:
    request = parse_list(payload)
    listed_at = ctx.now.isoformat()
    response = call_store(
        ctx,
        LIST_KEYS,
        {
            "valid_at": None if request.include_inactive else listed_at,
            # One more than asked for: its presence says the list was cut.
            "limit": request.limit + 1,
        },
    )
    documents = response.get("keys")
    if not isinstance(documents, list):
        raise InvalidStoreResponse(f"{LIST_KEYS}: keys: expected a list")
    views = [key_view(document, ctx.now, f"keys[{i}]") for i, document in enumerate(documents)]
    truncated = len(views) > request.limit
    views = views[: request.limit]
    by_status = {status: sum(1 for v in views if v["status"] == status) for status in STATUSES}
    ctx.trace.decision("listed", keys=len(views), truncated=truncated, **by_status)
    return {
        "listed_at": listed_at,
        "include_inactive": request.include_inactive,
        "keys": views,
        "count": len(views),
        "by_status": by_status,
        "truncated": truncated,
    }
