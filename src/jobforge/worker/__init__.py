"""The worker: claim, run, heartbeat, report, shut down cleanly."""

from __future__ import annotations

from jobforge.worker.config import WorkerConfig
from jobforge.worker.outcome_writer import WorkerReport
from jobforge.worker.worker import Worker

__all__ = ["Worker", "WorkerConfig", "WorkerReport"]
