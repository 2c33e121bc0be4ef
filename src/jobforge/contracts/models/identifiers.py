"""Dotted lower-case identifiers for runners, connectors, job types and runner types."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StringConstraints

# The same shape jobforge.handlers accepts for job types, so every id can be a job type prefix.
DOTTED_ID_PATTERN = r"^[a-z0-9][a-z0-9_\-]*(\.[a-z0-9][a-z0-9_\-]*)*$"
MAX_ID_LENGTH = 200

DottedId = Annotated[
    str, StringConstraints(pattern=DOTTED_ID_PATTERN, min_length=1, max_length=MAX_ID_LENGTH)
]
"""A dotted lower-case name such as ``autopilot.ops.scan``."""

JOBFORGE_RUNNER_TYPES = ("ops", "cdn", "contracts", "agents", "data", "keys", "billing", "notify")
"""The domains JobForge's own runners are filed under; examples, not a closed set."""

RunnerType = Annotated[
    DottedId,
    Field(
        description=(
            "The domain the runner belongs to: a dotted lower-case name, one of JobForge's "
            "(ops, data, billing...) or the project's own (acme.payments)."
        ),
        examples=[*JOBFORGE_RUNNER_TYPES, "acme.payments"],
    ),
]
"""A runner's domain. Open: a project files its runners under its own names."""
