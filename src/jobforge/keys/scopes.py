"""What an API key may do: its scopes, and the one function that judges them.

A scope is one of:

* ``enqueue:<job type pattern>``: enqueue jobs whose type matches the pattern. A pattern
  is dotted segments like a job type's; a ``*`` segment stands for any one segment, and
  a ``*`` as the *last* segment for one or more (``enqueue:acme.billing.*`` covers
  ``acme.billing.charge`` and ``acme.billing.invoice.send``, not ``acme.billing``;
  ``enqueue:*`` covers every job type);
* ``read:jobs``: read the tenant's jobs and results;
* ``cancel:jobs``: cancel the tenant's jobs;
* ``events:fire``: fire the tenant's events.

The pattern below is also the runner contract's, the keys runner's and the database's
(``jobforge_api_key_scopes_valid``); a test keeps the four equal.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable

from jobforge.keys.errors import InvalidScope

SCOPE_PATTERN = (
    r"^(enqueue:([*]|[a-z0-9][a-z0-9_-]*)([.]([*]|[a-z0-9][a-z0-9_-]*))*"
    r"|read:jobs|cancel:jobs|events:fire)$"
)
MAX_SCOPE_LENGTH = 208  # "enqueue:" and a pattern as long as the longest job type
MAX_SCOPES = 50
WILDCARD = "*"
ENQUEUE_PREFIX = "enqueue:"

_SCOPE = re.compile(SCOPE_PATTERN)


class ScopeAction(enum.Enum):
    """What a request asks to do; ``ENQUEUE`` needs the job type too."""

    ENQUEUE = "enqueue"
    READ_JOBS = "read:jobs"
    CANCEL_JOBS = "cancel:jobs"
    FIRE_EVENTS = "events:fire"


def is_scope(text: object) -> bool:
    return isinstance(text, str) and len(text) <= MAX_SCOPE_LENGTH and bool(_SCOPE.fullmatch(text))


def validate_scopes(scopes: Iterable[str]) -> tuple[str, ...]:
    """``scopes`` as a tuple, if it is 1 to 50 distinct scopes; InvalidScope otherwise."""
    listed = list(scopes)
    if not 1 <= len(listed) <= MAX_SCOPES:
        raise InvalidScope(f"scopes: expected 1 to {MAX_SCOPES} scopes, got {len(listed)}")
    for index, scope in enumerate(listed):
        if not is_scope(scope):
            raise InvalidScope(
                f"scopes[{index}]: expected enqueue:<job type pattern> (dotted lower-case "
                f"segments, any of them *, such as enqueue:acme.billing.*), read:jobs, "
                f"cancel:jobs or events:fire, got {str(scope)[:MAX_SCOPE_LENGTH]!r}"
            )
    duplicates = sorted({scope for scope in listed if listed.count(scope) > 1})
    if duplicates:
        raise InvalidScope(f"scopes: {duplicates[0]!r} is given more than once")
    return tuple(listed)


def pattern_matches(pattern: str, job_type: str) -> bool:
    """Whether an ``enqueue:`` pattern covers ``job_type`` (see the module docstring)."""
    wanted = pattern.split(".")
    segments = job_type.split(".")
    if wanted[-1] == WILDCARD:
        if len(segments) < len(wanted):
            return False
        segments = [*segments[: len(wanted) - 1], WILDCARD]
    elif len(segments) != len(wanted):
        return False
    return all(w in (WILDCARD, s) for w, s in zip(wanted, segments, strict=True))


def scope_allows(scopes: Iterable[str], action: ScopeAction, job_type: str | None = None) -> bool:
    """Whether a key with ``scopes`` may do ``action`` (to a job of ``job_type``, for
    ``ENQUEUE``). A text that is not a scope allows nothing; so does enqueueing without
    a job type, or with one that is not a job type's dotted lower-case name."""
    if action is ScopeAction.ENQUEUE:
        if job_type is None or not is_scope(ENQUEUE_PREFIX + job_type) or WILDCARD in job_type:
            return False
        return any(
            pattern_matches(scope[len(ENQUEUE_PREFIX) :], job_type)
            for scope in scopes
            if scope.startswith(ENQUEUE_PREFIX) and is_scope(scope)
        )
    return action.value in scopes
