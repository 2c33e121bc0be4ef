"""Worker settings, with their units in their names."""

from __future__ import annotations

import os
import socket
import uuid
from dataclasses import dataclass, field

from jobforge.errors import ConfigurationError

# What jobforge_claim_jobs accepts: a lease of at most a day (heartbeats extend it), and a
# worker id of at most 200 characters.
MAX_LEASE_SECONDS = 86_400
MAX_WORKER_ID_LENGTH = 200


def default_worker_id() -> str:
    """host:pid:random, unique per worker process and readable in lease_owner."""
    # Host names reach 253 characters; the id must stay within MAX_WORKER_ID_LENGTH.
    return f"{socket.gethostname()[:160]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


@dataclass(frozen=True, slots=True)
class WorkerConfig:
    """How a worker claims and runs jobs.

    ``lease_seconds`` is how long a claimed job stays ours without a heartbeat; heartbeats
    run every ``lease_seconds / 3`` so two can be missed before the lease lapses.
    """

    concurrency: int = 10
    batch_size: int = 100
    prefetch: int | None = None
    lease_seconds: float = 30.0
    poll_interval_seconds: float = 1.0
    shutdown_grace_seconds: float = 30.0
    default_timeout_seconds: float | None = None
    job_types: tuple[str, ...] | None = None
    # Claim every job type, dead-lettering those without a handler ("no_handler"). By
    # default a worker claims only the types it has handlers for (or ``job_types``).
    claim_all_types: bool = False
    burst: bool = False
    listen: bool = True
    worker_id: str = field(default_factory=default_worker_id)

    def __post_init__(self) -> None:
        if self.concurrency < 1:
            raise ConfigurationError(f"concurrency: expected at least 1, got {self.concurrency}")
        if self.prefetch is not None and self.prefetch < 0:
            raise ConfigurationError(f"prefetch: expected 0 or more, got {self.prefetch}")
        if not 1 <= self.batch_size <= 10_000:
            raise ConfigurationError(f"batch_size: expected 1 to 10000, got {self.batch_size}")
        if not 1 <= self.lease_seconds <= MAX_LEASE_SECONDS:
            raise ConfigurationError(
                f"lease_seconds: expected 1 to {MAX_LEASE_SECONDS} seconds, "
                f"got {self.lease_seconds}"
            )
        if self.claim_all_types and self.job_types:
            raise ConfigurationError(
                "job_types and claim_all_types: name the types to claim, or claim them all"
            )
        if not 1 <= len(self.worker_id) <= MAX_WORKER_ID_LENGTH:
            raise ConfigurationError(
                f"worker_id: expected 1 to {MAX_WORKER_ID_LENGTH} characters, "
                f"got {len(self.worker_id)}"
            )
        if self.poll_interval_seconds <= 0:
            raise ConfigurationError(
                "poll_interval_seconds: expected a positive number, "
                f"got {self.poll_interval_seconds}"
            )
        if self.shutdown_grace_seconds < 0:
            raise ConfigurationError(
                f"shutdown_grace_seconds: expected 0 or more, got {self.shutdown_grace_seconds}"
            )

    @property
    def held_jobs_limit(self) -> int:
        """Jobs held at once: running plus claimed ahead (``prefetch``, default concurrency).

        Claiming ahead lets claims come in batches; it is bounded so one worker does not
        hoard jobs that other workers could run. The default, four jobs ahead per handler
        thread, is Celery's; use 0 for long jobs.
        """
        prefetch = 4 * self.concurrency if self.prefetch is None else self.prefetch
        return self.concurrency + prefetch

    @property
    def heartbeat_interval_seconds(self) -> float:
        return self.lease_seconds / 3
