"""A contract's terms and the times in them: read, checked and written one way.

Times are RFC 3339 with a time zone. The runner writes every time it stores or returns in
UTC with a ``Z`` (``2026-03-31T00:00:00Z``), so two spellings of one instant are one
value: terms compare equal, and a reminder's idempotency key is the same, whichever offset
the payload used.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

DEFAULT_RENEWAL_NOTICE_DAYS = 30
MAX_RENEWAL_NOTICE_DAYS = 3650
# The times a job may be scheduled at lie in [1900, 9000): so must a contract's.
EARLIEST_TIME = datetime(1900, 1, 1, tzinfo=UTC)
TIME_END = datetime(9000, 1, 1, tzinfo=UTC)


class TermsProblem(ValueError):
    """Terms or a time that cannot be used; the message names the field."""


def parse_time(value: Any, label: str) -> datetime:
    """``value``, an RFC 3339 time with a zone, as an aware datetime in UTC."""
    if not isinstance(value, str):
        raise TermsProblem(f"{label}: expected an RFC 3339 time, got {_shown(value)}")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise TermsProblem(f"{label}: {value!r} is not a valid RFC 3339 time") from None
    if moment.tzinfo is None:
        raise TermsProblem(f"{label}: {value!r} has no time zone (add Z or an offset)")
    try:
        in_range = EARLIEST_TIME <= moment < TIME_END
    except OverflowError:  # year 1 or 9999 shifted by its offset leaves datetime's range
        in_range = False
    if not in_range:
        raise TermsProblem(f"{label}: {value!r} is not between the years 1900 and 8999")
    return moment.astimezone(UTC)


def format_time(moment: datetime) -> str:
    """``moment`` in UTC, as RFC 3339 with a ``Z``."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


@dataclass(frozen=True, slots=True)
class Terms:
    """The terms the lifecycle acts on, and the whole document as the runner stores it."""

    start: datetime
    end: datetime | None  # None: open-ended, never expires
    renewal_notice_days: int
    document: Mapping[str, Any]

    @property
    def renewal_due(self) -> datetime | None:
        """When the renewal reminder is due: none without an end or a notice period."""
        if self.end is None or self.renewal_notice_days == 0:
            return None
        return self.end - timedelta(days=self.renewal_notice_days)


def parse_terms(document: Any, label: str) -> Terms:
    """Terms from ``document`` (``start``, ``end`` or null, ``renewal_notice_days``, and
    any other fields, kept as they are). The stored document has its times in UTC and the
    notice period filled in."""
    if not isinstance(document, Mapping):
        raise TermsProblem(f"{label}: expected an object, got {_shown(document)}")
    for required in ("start", "end"):
        if required not in document:
            raise TermsProblem(f"{label}.{required}: missing (end may be null: open-ended)")
    start = parse_time(document["start"], f"{label}.start")
    end_value = document["end"]
    end = None if end_value is None else parse_time(end_value, f"{label}.end")
    if end is not None and end <= start:
        raise TermsProblem(
            f"{label}.end: {format_time(end)} is not after start {format_time(start)}"
        )
    notice = document.get("renewal_notice_days", DEFAULT_RENEWAL_NOTICE_DAYS)
    if (
        isinstance(notice, bool)
        or not isinstance(notice, int)
        or not 0 <= notice <= MAX_RENEWAL_NOTICE_DAYS
    ):
        raise TermsProblem(
            f"{label}.renewal_notice_days: expected an integer from 0 to "
            f"{MAX_RENEWAL_NOTICE_DAYS}, got {_shown(notice)}"
        )
    normalized = {
        **document,
        "start": format_time(start),
        "end": None if end is None else format_time(end),
        "renewal_notice_days": notice,
    }
    return Terms(start=start, end=end, renewal_notice_days=notice, document=normalized)


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
