"""What an operator narrows a job listing with, and the keyset cursor of its pages (no I/O)."""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from datetime import timedelta
from uuid import UUID

from jobforge.errors import InvalidArgument
from jobforge.handlers import validate_job_type

# The values of jobforge.jobforge_job_state, in lifecycle order.
JOB_STATES = ("queued", "running", "awaiting_retry", "succeeded", "dead", "canceled")
# Jobs an operator may run again (jobforge_requeue_job moves only these).
RETRYABLE_STATES = frozenset({"dead", "canceled"})
UNFINISHED_STATES = frozenset({"queued", "running", "awaiting_retry"})
# Jobs an operator may discard (jobforge_discard_job moves only these, to canceled).
DISCARDABLE_STATES = frozenset({"dead"})
MAX_PAGE_SIZE = 1000

_DURATION = re.compile(r"(\d+)(s|m|h|d|w)")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86_400, "w": 604_800}
# Larger durations go beyond what a timestamptz subtraction can represent usefully.
MAX_DURATION = timedelta(days=36_500)
_CURSOR_PREFIX = "c1."
_CURSOR_BYTES = 16  # the last listed job's id
_CURSOR_CHARACTERS = 22  # its unpadded base64


def parse_duration(text: str) -> timedelta:
    """``90s``, ``10m``, ``1h30m``, ``7d``, ``2w`` as a timedelta; InvalidArgument otherwise."""
    cleaned = text.strip().lower()
    position = 0
    total = timedelta()
    for match in _DURATION.finditer(cleaned):
        if match.start() != position:
            break
        total += timedelta(seconds=int(match.group(1)) * _UNIT_SECONDS[match.group(2)])
        position = match.end()
    if not cleaned or position != len(cleaned):
        raise InvalidArgument(
            f"expected a duration such as 90s, 10m, 1h30m, 7d or 2w, got {text!r}"
        )
    if total > MAX_DURATION:
        raise InvalidArgument(f"expected a duration of at most 36500d, got {text!r}")
    return total


def duration_text(duration: timedelta) -> str:
    """A duration as parse_duration reads it: 5m, 1h30m, 45s."""
    remaining = int(duration.total_seconds())
    parts = []
    for unit in ("w", "d", "h", "m", "s"):
        count, remaining = divmod(remaining, _UNIT_SECONDS[unit])
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts) or "0s"


def parse_state(text: str) -> str:
    """A job state by name; InvalidArgument listing the states otherwise."""
    if text not in JOB_STATES:
        raise InvalidArgument(f"expected one of {', '.join(JOB_STATES)}, got {text!r}")
    return text


def parse_tenant(text: str) -> UUID:
    try:
        return UUID(text)
    except ValueError:
        raise InvalidArgument(f"expected a tenant id (a UUID), got {text!r}") from None


def parse_job_type(text: str) -> str:
    return validate_job_type(text)


@dataclass(frozen=True, slots=True)
class JobFilter:
    """Which jobs a listing holds; every field left empty matches every job."""

    tenant_id: UUID | None = None
    job_type: str | None = None
    states: tuple[str, ...] = ()
    # Enqueued at least / at most this long ago (the time in the job's id, to the ms).
    older_than: timedelta | None = None
    newer_than: timedelta | None = None

    def params(self) -> dict[str, object]:
        return {
            "tenant_id": self.tenant_id,
            "job_type": self.job_type,
            "states": sorted(set(self.states)) or None,
            "older_than": self.older_than,
            "newer_than": self.newer_than,
        }


@dataclass(frozen=True, slots=True)
class Cursor:
    """A position in the newest-first listing: the last job of the page before.

    Printed as opaque text (versioned, URL-safe base64) so its format may change.
    """

    job_id: UUID

    def encode(self) -> str:
        text = base64.urlsafe_b64encode(self.job_id.bytes).decode("ascii").rstrip("=")
        return _CURSOR_PREFIX + text

    @classmethod
    def decode(cls, text: str) -> Cursor:
        body = text.removeprefix(_CURSOR_PREFIX)
        try:
            raw = base64.b64decode(body.encode("ascii") + b"==", altchars=b"-_", validate=True)
        except (binascii.Error, UnicodeEncodeError, ValueError):
            raw = b""
        if body == text or len(body) != _CURSOR_CHARACTERS or len(raw) != _CURSOR_BYTES:
            raise InvalidArgument(f"not a cursor printed by a job listing: {text!r}")
        cursor = cls(UUID(bytes=raw))
        if cursor.encode() != text:  # one text per cursor: no stray bits in the last character
            raise InvalidArgument(f"not a cursor printed by a job listing: {text!r}")
        return cursor

    def params(self) -> dict[str, object]:
        return {"after_id": self.job_id}


NO_CURSOR_PARAMS: dict[str, object] = {"after_id": None}


def page_size(limit: int) -> int:
    if not 1 <= limit <= MAX_PAGE_SIZE:
        raise InvalidArgument(f"expected a page size from 1 to {MAX_PAGE_SIZE}, got {limit}")
    return limit
