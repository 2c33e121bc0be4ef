"""What a handler knows about the job it runs, and the only doors it may use."""

from __future__ import annotations

import logging
import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from jobforge.connectors.session import ConnectorClient, ConnectorSession
from jobforge.determinism.trace import DecisionTrace
from jobforge.follow_ups import TRACE_DECISION, FollowUp, FollowUpRequests


@dataclass(frozen=True, slots=True)
class JobContext:
    """Handed to every handler next to its payload.

    ``now`` is fixed for the attempt and ``random`` is seeded from it, and both are
    recorded in the input snapshot, so a replay sees the same values. The outside world
    is reached through ``connector(...)`` only; decisions go to ``trace``; jobs to run
    after this one go to ``follow_up(...)``.
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
    # Made by the first follow_up(): attempts that ask for none pay nothing.
    _follow_ups: FollowUpRequests | None = field(
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

    def follow_up(
        self,
        job_type: str,
        payload: Mapping[str, Any],
        *,
        idempotency_key: str | None = None,
        run_at: datetime | None = None,
        delay_seconds: float | None = None,
        priority: int | None = None,
        max_attempts: int | None = None,
    ) -> None:
        """Enqueue a ``job_type`` job with ``payload`` once this attempt succeeds.

        Nothing is written now: the follow-up is enqueued in the transaction that completes
        this attempt, for this job's tenant and with its trace id (and not at all if the
        attempt fails, or on a replay). It runs at ``run_at`` or ``delay_seconds`` after
        ``ctx.now`` (never before ``ctx.now``), else at once. Without an
        ``idempotency_key`` one is derived from this job and the follow-up's position, so
        a completion sent twice makes one job; give one to make one job across parents
        (a key already naming a job of that type finds it). The payload is held to the
        limits of an enqueued payload. A follow-up JobForge could not enqueue raises
        ``InvalidFollowUp`` here, naming it; unless caught, the attempt fails without retry.
        Each follow-up is a ``follow_up`` event in the decision trace.
        """
        requests = self._follow_ups
        if requests is None:
            requests = FollowUpRequests(self.job_id, self.now)
            object.__setattr__(self, "_follow_ups", requests)
        follow_up = requests.add(
            job_type,
            payload,
            idempotency_key=idempotency_key,
            run_at=run_at,
            delay_seconds=delay_seconds,
            priority=priority,
            max_attempts=max_attempts,
        )
        self.trace.record(TRACE_DECISION, follow_up.trace_fields())

    @property
    def follow_ups(self) -> tuple[FollowUp, ...]:
        """The follow-ups asked for so far, in order (what a runner's unit test checks)."""
        requests = self._follow_ups
        return () if requests is None else requests.as_tuple()
