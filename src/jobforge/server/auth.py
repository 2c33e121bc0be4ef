"""Who is calling: ``Authorization: Bearer jf_...`` checked against the stored keys.

A key is verified (``jobforge.keys``, cached for a short while), then charged one token
of its rate limit, then its scopes are checked for the operation. A refused key learns
only "invalid API key": which keys exist, and why one failed, goes to the log.
"""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from jobforge.keys import ApiKeyRejected, AuthenticatedKey, ScopeAction
from jobforge.server.context import IngressContext, ingress
from jobforge.server.problems import ProblemError

_log = logging.getLogger("jobforge.server")
bearer = HTTPBearer(
    auto_error=False,
    scheme_name="ApiKey",
    description="A JobForge API key (`jf_<key id>_<secret>`), from `jobforge keys issue`",
)
_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="jobforge"'}


def authenticated_key(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    context: Annotated[IngressContext, Depends(ingress)],
) -> AuthenticatedKey:
    """The request's key, within its rate limit (a FastAPI dependency)."""
    if credentials is None:
        raise ProblemError(
            401,
            "invalid-api-key",
            "send an API key: Authorization: Bearer jf_...",
            headers=_CHALLENGE,
        )
    try:
        key = context.key_cache.verify(credentials.credentials, context.database.lookup_key)
    except ApiKeyRejected as exc:
        _log.info("API key refused: %s", exc.reason)
        raise ProblemError(401, "invalid-api-key", "invalid API key", headers=_CHALLENGE) from None
    retry_after = context.limiter.take(("key", key.key_id))
    if retry_after:
        raise ProblemError(
            429,
            "rate-limited",
            f"this key's rate limit is exhausted; retry in {retry_after} s",
            headers={"Retry-After": str(retry_after)},
        )
    return key


Key = Annotated[AuthenticatedKey, Depends(authenticated_key)]


def require_scope(key: AuthenticatedKey, action: ScopeAction, job_type: str | None = None) -> None:
    """ProblemError 403 unless ``key`` may do ``action`` (to a job of ``job_type``)."""
    if key.allows(action, job_type):
        return
    needed = f"enqueue:{job_type}" if action is ScopeAction.ENQUEUE else action.value
    raise ProblemError(
        403,
        "scope-missing",
        f"this key's scopes do not allow that (it needs a scope covering {needed!r})",
    )
