"""``jobforge.keys.issue``: store a new key's hash, made and shown by ``jobforge keys issue``.

The payload holds the key's id, display prefix, name, scopes, expiry and hash material,
never the key's text. Storing the same key again (a retried attempt) finds it:
``created`` is then false.
"""

from __future__ import annotations

from typing import Any

from jobforge import JobContext
from jobforge.runners.keys.errors import InvalidExpiry, InvalidStoreResponse
from jobforge.runners.keys.names import INSERT_KEY
from jobforge.runners.keys.requests import parse_issue
from jobforge.runners.keys.store import call_store
from jobforge.runners.keys.views import key_view


def issue_key(payload: Any, ctx: JobContext) -> dict[str, Any]:
    request = parse_issue(payload)
    if request.expires_at is not None and request.expires_at <= ctx.now:
        raise InvalidExpiry(
            f"payload.expires_at: {request.expires_at.isoformat()} is not after the job's "
            f"time {ctx.now.isoformat()}: a key must expire in the future"
        )
    expires_at = None if request.expires_at is None else request.expires_at.isoformat()
    ctx.trace.decision(
        "issue", key_id=request.key_id, scopes=list(request.scopes), expires_at=expires_at
    )
    response = call_store(
        ctx,
        INSERT_KEY,
        {
            "key_id": request.key_id,
            "name": request.name,
            "prefix": request.prefix,
            "scopes": list(request.scopes),
            "verifier": request.verifier.to_store(),
            "expires_at": expires_at,
        },
    )
    created = response.get("created")
    if not isinstance(created, bool):
        raise InvalidStoreResponse(f"{INSERT_KEY}: created: expected a boolean, got {created!r}")
    key = key_view(response.get("api_key"), ctx.now, "api_key")
    if key["key_id"] != request.key_id:
        raise InvalidStoreResponse(
            f"{INSERT_KEY}: api_key.key_id: expected {request.key_id}, got {key['key_id']}"
        )
    ctx.trace.decision("stored", key_id=request.key_id, created=created)
    return {"key": key, "created": created}
