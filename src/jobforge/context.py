"""What a handler knows about the job it runs: ids, attempt and trace id."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID


@dataclass(frozen=True, slots=True)
class JobContext:
    """Handed to every handler next to its payload.

    ``now`` is fixed when the attempt starts, so a handler that needs the time
    gets the same value every time the attempt is replayed.
    """

    job_id: UUID
    tenant_id: UUID
    job_type: str
    attempt: int
    max_attempts: int
    trace_id: str
    worker_id: str
    now: datetime
    logger: logging.LoggerAdapter[logging.Logger] = field(repr=False, compare=False)

    @property
    def is_last_attempt(self) -> bool:
        """True when a failure of this attempt sends the job to the dead-letter state."""
        return self.attempt >= self.max_attempts
