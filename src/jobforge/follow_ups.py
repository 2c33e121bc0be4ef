"""Follow-up jobs: what ``ctx.follow_up(...)`` records, checked when the handler asks.

Nothing is enqueued while the handler runs. The worker sends an attempt's follow-ups with
its result, and the database enqueues them in the transaction that completes the attempt
(``jobforge.jobforge_complete_jobs_with_follow_ups``): a failed attempt enqueues none, a
completed one all of them. Each follow-up has the parent's tenant and trace id and an
idempotency key, so a completion sent twice never makes a job twice.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from jobforge.determinism.canonical import canonical_json, json_string, sha256_hex
from jobforge.determinism.json_limits import MAX_JSON_BYTES, json_limit_problem
from jobforge.errors import InvalidArgument, InvalidFollowUp

MAX_FOLLOW_UPS = 1000
# All payloads of one attempt's follow-ups together; each alone is held to MAX_JSON_BYTES.
MAX_FOLLOW_UP_BYTES = 8 * MAX_JSON_BYTES
MAX_IDEMPOTENCY_KEY_LENGTH = 512
MIN_PRIORITY, MAX_PRIORITY = -32768, 32767
MIN_MAX_ATTEMPTS, MAX_MAX_ATTEMPTS = 1, 1000
# The database's run_at range (jobforge_jobs_run_at_range).
RUN_AT_MIN = datetime(1900, 1, 1, tzinfo=UTC)
RUN_AT_END = datetime(9000, 1, 1, tzinfo=UTC)
TRACE_DECISION = "follow_up"


def default_idempotency_key(parent_job_id: UUID, index: int) -> str:
    """The key of a follow-up the handler gave none: one job per parent and position."""
    return f"follow-up:{parent_job_id}:{index}"


@dataclass(frozen=True, slots=True)
class FollowUp:
    """One follow-up job an attempt asked for, as it will be enqueued."""

    index: int
    job_type: str
    payload_canonical: str
    payload_sha256: str
    idempotency_key: str
    run_at: datetime | None
    priority: int | None
    max_attempts: int | None

    @property
    def document(self) -> str:
        """The JSON object sent to the database with the attempt's result (a checked job
        type needs no escaping)."""
        members = [
            f'"type":"{self.job_type}"',
            f'"payload":{self.payload_canonical}',
            f'"payload_sha256":"{self.payload_sha256}"',
            f'"idempotency_key":{json_string(self.idempotency_key)}',
        ]
        if self.run_at is not None:
            members.append(f'"run_at":"{self.run_at.isoformat()}"')
        if self.priority is not None:
            members.append(f'"priority":{self.priority}')
        if self.max_attempts is not None:
            members.append(f'"max_attempts":{self.max_attempts}')
        return "{" + ",".join(members) + "}"

    @property
    def payload(self) -> Any:
        """The payload as it was when the handler asked (a copy)."""
        return json.loads(self.payload_canonical)

    def trace_fields(self) -> dict[str, Any]:
        """The fields of the ``follow_up`` event in the parent's decision trace."""
        return {
            "index": self.index,
            "job_type": self.job_type,
            "idempotency_key": self.idempotency_key,
            "run_at": None if self.run_at is None else self.run_at.isoformat(),
            "payload_sha256": self.payload_sha256,
        }


class FollowUpRequests:
    """The follow-ups one attempt has asked for so far, in order."""

    __slots__ = ("_follow_ups", "_now", "_parent_job_id", "_payload_bytes")

    def __init__(self, parent_job_id: UUID, now: datetime) -> None:
        self._parent_job_id = parent_job_id
        self._now = now
        self._follow_ups: list[FollowUp] = []
        self._payload_bytes = 0

    def __len__(self) -> int:
        return len(self._follow_ups)

    def as_tuple(self) -> tuple[FollowUp, ...]:
        return tuple(self._follow_ups)

    def add(
        self,
        job_type: str,
        payload: Any,
        *,
        idempotency_key: str | None,
        run_at: datetime | None,
        delay_seconds: float | None,
        priority: int | None,
        max_attempts: int | None,
    ) -> FollowUp:
        """Check one follow-up and keep it; InvalidFollowUp names it and what is wrong."""
        index = len(self._follow_ups)
        label = f"follow_ups[{index}]"
        if index >= MAX_FOLLOW_UPS:
            raise InvalidFollowUp(f"{label}: an attempt may ask for at most {MAX_FOLLOW_UPS}")
        _check_job_type(job_type, label)
        label = f"{label} ({job_type})"
        encoded = _payload_bytes(payload, label)
        if self._payload_bytes + len(encoded) > MAX_FOLLOW_UP_BYTES:
            raise InvalidFollowUp(
                f"{label}.payload: the follow-ups of one attempt hold at most "
                f"{MAX_FOLLOW_UP_BYTES} bytes of JSON together"
            )
        key = (
            default_idempotency_key(self._parent_job_id, index)
            if idempotency_key is None
            else _checked_key(idempotency_key, label)
        )
        when = _run_at(run_at, delay_seconds, self._now, label)
        _check_integer(priority, MIN_PRIORITY, MAX_PRIORITY, f"{label}.priority")
        _check_integer(max_attempts, MIN_MAX_ATTEMPTS, MAX_MAX_ATTEMPTS, f"{label}.max_attempts")
        follow_up = FollowUp(
            index=index,
            job_type=job_type,
            payload_canonical=encoded.decode("utf-8"),
            payload_sha256=sha256_hex(encoded),
            idempotency_key=key,
            run_at=when,
            priority=priority,
            max_attempts=max_attempts,
        )
        self._follow_ups.append(follow_up)
        self._payload_bytes += len(encoded)
        return follow_up


def documents_json(follow_ups: Sequence[FollowUp]) -> str:
    """The ``follow_ups`` array of an attempt's result document."""
    return "[" + ",".join([follow_up.document for follow_up in follow_ups]) + "]"


def _check_job_type(job_type: Any, label: str) -> None:
    # Imported here: handlers imports the context, which imports this module.
    from jobforge.handlers import validate_job_type  # noqa: PLC0415

    try:
        validate_job_type(job_type)
    except InvalidArgument as exc:
        raise InvalidFollowUp(f"{label}: {exc}") from None


def _payload_bytes(payload: Any, label: str) -> bytes:
    """The payload's canonical JSON, held to the limits every enqueued payload keeps."""
    try:
        encoded = canonical_json(payload, label=f"{label}.payload")
    except InvalidArgument as exc:
        raise InvalidFollowUp(str(exc)) from None
    if len(encoded) > MAX_JSON_BYTES:
        raise InvalidFollowUp(
            f"{label}.payload: {len(encoded)} bytes of JSON, above the {MAX_JSON_BYTES}-byte limit"
        )
    problem = json_limit_problem(payload, encoded.decode("utf-8"), f"{label}.payload")
    if problem:
        raise InvalidFollowUp(problem)
    return encoded


def _checked_key(key: Any, label: str) -> str:
    if not isinstance(key, str) or not 1 <= len(key) <= MAX_IDEMPOTENCY_KEY_LENGTH:
        raise InvalidFollowUp(
            f"{label}.idempotency_key: expected a string of 1 to {MAX_IDEMPOTENCY_KEY_LENGTH} "
            f"characters, got {_shown(key)}"
        )
    if "\x00" in key:
        raise InvalidFollowUp(
            f"{label}.idempotency_key: contains U+0000, which PostgreSQL cannot store"
        )
    return key


def _run_at(run_at: Any, delay_seconds: Any, now: datetime, label: str) -> datetime | None:
    """When the follow-up may run: ``run_at``, or ``delay_seconds`` after the attempt's
    clock (``ctx.now``), or None for at once. Never before ``ctx.now``."""
    if run_at is not None and delay_seconds is not None:
        raise InvalidFollowUp(f"{label}: give run_at or delay_seconds, not both")
    if delay_seconds is not None:
        if (
            isinstance(delay_seconds, bool)
            or not isinstance(delay_seconds, int | float)
            or not math.isfinite(delay_seconds)
            or delay_seconds < 0
        ):
            raise InvalidFollowUp(
                f"{label}.delay_seconds: expected a finite number of seconds from 0, "
                f"got {_shown(delay_seconds)}"
            )
        try:
            when = now + timedelta(seconds=delay_seconds)
        except OverflowError:  # beyond datetime's range: later still
            when = RUN_AT_END
        if when >= RUN_AT_END:
            raise InvalidFollowUp(
                f"{label}.delay_seconds: {delay_seconds!r} s after ctx.now is past "
                f"{RUN_AT_END.year}, the latest time a job may run"
            )
        return when
    if run_at is None:
        return None
    if not isinstance(run_at, datetime) or run_at.tzinfo is None:
        raise InvalidFollowUp(
            f"{label}.run_at: expected a datetime with a time zone, got {_shown(run_at)}"
        )
    if run_at < now:
        raise InvalidFollowUp(
            f"{label}.run_at: {run_at.isoformat()} is before ctx.now ({now.isoformat()}); "
            "omit run_at to run it at once"
        )
    if not RUN_AT_MIN <= run_at < RUN_AT_END:
        raise InvalidFollowUp(
            f"{label}.run_at: expected a time before {RUN_AT_END.year}, got {run_at.isoformat()}"
        )
    return run_at


def _check_integer(value: Any, low: int, high: int, label: str) -> None:
    if value is not None and (
        isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high
    ):
        raise InvalidFollowUp(
            f"{label}: expected an integer from {low} to {high}, got {_shown(value)}"
        )


def _shown(value: Any) -> str:
    """``value`` for a message, cut short (it may be anything a handler passed)."""
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
