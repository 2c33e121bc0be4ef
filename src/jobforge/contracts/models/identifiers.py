"""Dotted lower-case identifiers for runners, connectors and job types."""

from __future__ import annotations

from typing import Annotated

from pydantic import StringConstraints

# The same shape jobforge.handlers accepts for job types, so every id can be a job type prefix.
DOTTED_ID_PATTERN = r"^[a-z0-9][a-z0-9_\-]*(\.[a-z0-9][a-z0-9_\-]*)*$"
MAX_ID_LENGTH = 200

DottedId = Annotated[
    str, StringConstraints(pattern=DOTTED_ID_PATTERN, min_length=1, max_length=MAX_ID_LENGTH)
]
"""A dotted lower-case name such as ``autopilot.ops.scan``."""
