"""The doctor's thresholds, with their units in their names (defaults in docs/cli.md)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from jobforge.errors import ConfigurationError

# A worker records its presence every 15 s: seen within 60 s, it is live.
WORKER_SEEN_SECONDS = 60.0
QUEUE_AGE_WARN_SECONDS = 60.0
QUEUE_AGE_FAIL_SECONDS = 600.0
# An expired lease is rescued by the next claim; expired this long, nobody claims.
STUCK_LEASE_SECONDS = 300.0
# A job that died this recently means something is failing now.
DEAD_LETTER_RECENT_SECONDS = 3_600.0


@dataclass(frozen=True, slots=True)
class DoctorOptions:
    """What counts as healthy, and where the project is (None: the working folder's)."""

    worker_seen_seconds: float = WORKER_SEEN_SECONDS
    queue_age_warn_seconds: float = QUEUE_AGE_WARN_SECONDS
    queue_age_fail_seconds: float = QUEUE_AGE_FAIL_SECONDS
    stuck_lease_seconds: float = STUCK_LEASE_SECONDS
    dead_letter_recent_seconds: float = DEAD_LETTER_RECENT_SECONDS
    project: Path | None = None

    def __post_init__(self) -> None:
        for name in (
            "worker_seen_seconds",
            "queue_age_warn_seconds",
            "queue_age_fail_seconds",
            "stuck_lease_seconds",
            "dead_letter_recent_seconds",
        ):
            value = getattr(self, name)
            if not 0 < value < 10**9:
                raise ConfigurationError(
                    f"{name}: expected a positive number of seconds, got {value}"
                )
        if self.queue_age_fail_seconds < self.queue_age_warn_seconds:
            raise ConfigurationError(
                "queue age: the fail threshold "
                f"({self.queue_age_fail_seconds} s) is below the warn threshold "
                f"({self.queue_age_warn_seconds} s)"
            )
