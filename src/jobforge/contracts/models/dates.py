"""Calendar dates and RFC 3339 timestamps, refused when no calendar has them.

The patterns refuse what a pattern can (month 13, day 32, hour 24, year 0000) and go into
the exported JSON Schema with a ``format``, so editors flag the same values; the validators
then refuse what only a calendar knows (30 February, 29 February outside leap years).
Digits are ``[0-9]``: ``\\d`` would admit other scripts' digits in Python and Rust regexes.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Annotated

from pydantic import AfterValidator, Field

_YEAR = r"(?:[1-9][0-9]{3}|0[1-9][0-9]{2}|00[1-9][0-9]|000[1-9])"
_MONTH = r"(?:0[1-9]|1[0-2])"
_DAY = r"(?:0[1-9]|[12][0-9]|3[01])"
_TIME = r"(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](?:\.[0-9]+)?"
_OFFSET = r"(?:Z|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])"
ISO_DATE_PATTERN = rf"^{_YEAR}-{_MONTH}-{_DAY}$"
RFC3339_PATTERN = rf"^{_YEAR}-{_MONTH}-{_DAY}T{_TIME}{_OFFSET}$"
DATE_EXAMPLE = "2027-01-31"
TIMESTAMP_EXAMPLE = "2000-01-01T00:00:00Z"


def _check_date(text: str) -> str:
    try:
        date.fromisoformat(text)
    except ValueError as exc:
        raise ValueError(
            f"{json.dumps(text)} is not a date such as {json.dumps(DATE_EXAMPLE)}: {exc}"
        ) from None
    return text


def _check_timestamp(text: str) -> str:
    try:
        datetime.fromisoformat(text)
    except ValueError as exc:
        raise ValueError(
            f"{json.dumps(text)} is not an RFC 3339 timestamp such as "
            f"{json.dumps(TIMESTAMP_EXAMPLE)}: {exc}"
        ) from None
    return text


CalendarDate = Annotated[
    str,
    Field(pattern=ISO_DATE_PATTERN, json_schema_extra={"format": "date"}),
    AfterValidator(_check_date),
]
"""``YYYY-MM-DD``, a day that exists; kept as written."""

Timestamp = Annotated[
    str,
    Field(pattern=RFC3339_PATTERN, json_schema_extra={"format": "date-time"}),
    AfterValidator(_check_timestamp),
]
"""An RFC 3339 date and time with an offset (``Z`` or ``+01:00``); kept as written."""
