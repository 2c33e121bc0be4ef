"""What a handler knows about the job it runs, and the only doors it may use."""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID

from jobforge.connectors.session import ConnectorClient, ConnectorSession
from jobforge.determinism.trace import DecisionTrace


@dataclass(frozen=True, slots=True)
class JobContext:
    """Handed to every handler next to its payload.

    ``now`` is fixed for the attempt and ``random`` is seeded from it, and both are
    recorded in the input snapshot, so a replay sees the same values. The outside world
    is reached through ``connector(...)`` only; decisions go to ``trace``.
    """

    job_id: UUID
    tenant_id: UUID
    job_type: str
    attempt: int
    max_attempts: int
    trace_id: str
    worker_id: str
    now: datetime
    seed: int = field(repr=False, compare=False)
    trace: DecisionTrace = field(repr=False, compare=False)
    runner_id: str | None = None
    connectors: ConnectorSession | None = field(default=None, repr=False, compare=False)
    _random: random.Random | None = field(default=None, init=False, repr=False, compare=False)
    _logger: logging.LoggerAdapter[logging.Logger] | None = field(
        default=None, init=False, repr=False, compare=False
    )

    @property
    def logger(self) -> logging.LoggerAdapter[logging.Logger]:
        """The ``jobforge.handler`` logger, adding the job's ids to every line."""
        if self._logger is None:
            fields = {
                "trace_id": self.trace_id,
                "job_id": str(self.job_id),
                "tenant_id": str(self.tenant_id),
                "type": self.job_type,
                "attempt": self.attempt,
                "worker_id": self.worker_id,
            }
            adapter = logging.LoggerAdapter(logging.getLogger("jobforge.handler"), fields)
            object.__setattr__(self, "_logger", adapter)
            return adapter
        return self._logger

    @property
    def random(self) -> random.Random:
        """A generator seeded for this attempt (the seed is in the input snapshot)."""
        if self._random is None:
            generator = random.Random(self.seed)  # noqa: S311 - reproducibility, not secrecy
            object.__setattr__(self, "_random", generator)
            return generator
        return self._random

    @property
    def is_last_attempt(self) -> bool:
        """True when a failure of this attempt sends the job to the dead-letter state."""
        return self.attempt >= self.max_attempts

    def connector(self, connector_id: str) -> ConnectorClient:
        """The client for ``connector_id``: live and recorded, or answered from recordings."""
        if self.connectors is None:
            raise RuntimeError("this context has no connectors")
        return self.connectors.client(connector_id)
