"""``jobforge.keys.rotate``: replace a key with a new one; the old one stays valid a while.

The new key (made and shown by ``jobforge keys rotate``) gets the old key's name and
scopes, and the old key's expiry unless the payload gives one. The old key expires
``grace_seconds`` after the job's time (or sooner, if it was to expire sooner anyway).
Doing the same rotation again (a retried attempt) reports it as ``already_rotated``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from jobforge import JobContext
from jobforge.runners.keys.errors import InvalidExpiry, KeyNotFound, KeyNotRotatable
from jobforge.runners.keys.names import ROTATE_KEY
from jobforge.runners.keys.requests import parse_rotate
from jobforge.runners.keys.store import call_store, outcome_of
from jobforge.runners.keys.views import key_view

DONE = ("rotated", "already_rotated")
REFUSED = ("not_found", "revoked", "expired", "replaced")


def rotate_key(payload: Any, ctx: JobContext) -> dict[str, Any]:
    request = parse_rotate(payload)
    if request.expires_at is not None and request.expires_at <= ctx.now:
        raise InvalidExpiry(
            f"payload.expires_at: {request.expires_at.isoformat()} is not after the job's "
            f"time {ctx.now.isoformat()}: a key must expire in the future"
        )
    old_valid_until = (ctx.now + timedelta(seconds=request.grace_seconds)).isoformat()
    ctx.trace.decision(
        "rotate",
        key_id=request.key_id,
        new_key_id=request.new_key_id,
        grace_seconds=request.grace_seconds,
        old_key_valid_until=old_valid_until,
    )
    response = call_store(
        ctx,
        ROTATE_KEY,
        {
            "key_id": request.key_id,
            "new_key_id": request.new_key_id,
            "new_prefix": request.new_prefix,
            "verifier": request.verifier.to_store(),
            "old_expires_at": old_valid_until,
            "new_expires_at": None
            if request.expires_at is None
            else request.expires_at.isoformat(),
        },
    )
    outcome = outcome_of(response, ROTATE_KEY, DONE + REFUSED)
    ctx.trace.decision("outcome", key_id=request.key_id, outcome=outcome)
    if outcome == "not_found":
        raise KeyNotFound(f"payload.key_id: {request.key_id} is not a key of this tenant")
    old_key = key_view(response.get("old_key"), ctx.now, "old_key")
    if outcome in REFUSED:
        raise KeyNotRotatable(_refusal(request.key_id, outcome, old_key))
    return {
        "outcome": outcome,
        "old_key": old_key,
        "new_key": key_view(response.get("new_key"), ctx.now, "new_key"),
    }


def _refusal(key_id: str, outcome: str, old_key: Mapping[str, Any]) -> str:
    if outcome == "revoked":
        why = f"it was revoked at {old_key['revoked_at']}"
    elif outcome == "expired":
        why = f"it expired at {old_key['expires_at']}"
    else:
        why = f"it was already rotated to key {old_key['replaced_by']} (rotate that one)"
    return f"payload.key_id: key {key_id} cannot be rotated: {why}"
