"""Clients that enqueue jobs, fire events and read results: sync and asyncio."""

from __future__ import annotations

from jobforge.client.asyncio import AsyncJobForgeClient
from jobforge.client.models import EnqueuedJob, FiredJob, GrantKind, Job, JobResult, JobSpec
from jobforge.client.sync import JobForgeClient

__all__ = [
    "AsyncJobForgeClient",
    "EnqueuedJob",
    "FiredJob",
    "GrantKind",
    "Job",
    "JobForgeClient",
    "JobResult",
    "JobSpec",
]
