"""``jobforge.keys.revoke``: make a key unusable at once, in its grace period too.

Revoking a revoked key changes nothing and says so (``already_revoked``): the first
revocation's time and reason stay.
"""

from __future__ import annotations

from typing import Any

from jobforge import JobContext
from jobforge.runners.keys.errors import KeyNotFound
from jobforge.runners.keys.names import REVOKE_KEY
from jobforge.runners.keys.requests import parse_revoke
from jobforge.runners.keys.store import call_store, outcome_of
from jobforge.runners.keys.views import key_view


def revoke_key(payload: Any, ctx: JobContext) -> dict[str, Any]:
    request = parse_revoke(payload)
    ctx.trace.decision("revoke", key_id=request.key_id, reason_given=request.reason is not None)
    response = call_store(ctx, REVOKE_KEY, {"key_id": request.key_id, "reason": request.reason})
    outcome = outcome_of(response, REVOKE_KEY, ("revoked", "already_revoked", "not_found"))
    ctx.trace.decision("outcome", key_id=request.key_id, outcome=outcome)
    if outcome == "not_found":
        raise KeyNotFound(f"payload.key_id: {request.key_id} is not a key of this tenant")
    return {
        "key": key_view(response.get("api_key"), ctx.now, "api_key"),
        "already_revoked": outcome == "already_revoked",
    }
