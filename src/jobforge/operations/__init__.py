"""The operator's view of the queue: read models and actions over a psycopg connection.

Each function takes a connection (rows are read as dicts whatever its row factory) and
raises JobForge errors only. The CLI's `jobs`, `dead-letter`, `impact` and `top` commands
render these; a dashboard can render the same models.
"""

from __future__ import annotations

from jobforge.operations.actions import (
    ActionRefused,
    cancel_job,
    discard_job,
    discard_jobs,
    requeue_jobs,
    retry_job,
)
from jobforge.operations.detail import get_job_detail
from jobforge.operations.filters import JOB_STATES, Cursor, JobFilter, parse_duration
from jobforge.operations.impact import get_impact
from jobforge.operations.listing import (
    count_jobs,
    dead_letter_ids,
    list_dead_letters,
    list_jobs,
    list_jobs_newer,
)
from jobforge.operations.models import (
    ActionResult,
    Attempt,
    Impact,
    ImpactNode,
    JobDetail,
    JobPage,
    JobSummary,
    QueueRow,
    TriggerRef,
    to_document,
)
from jobforge.operations.overview import queue_overview

__all__ = [
    "JOB_STATES",
    "ActionRefused",
    "ActionResult",
    "Attempt",
    "Cursor",
    "Impact",
    "ImpactNode",
    "JobDetail",
    "JobFilter",
    "JobPage",
    "JobSummary",
    "QueueRow",
    "TriggerRef",
    "cancel_job",
    "count_jobs",
    "dead_letter_ids",
    "discard_job",
    "discard_jobs",
    "get_impact",
    "get_job_detail",
    "list_dead_letters",
    "list_jobs",
    "list_jobs_newer",
    "parse_duration",
    "queue_overview",
    "requeue_jobs",
    "retry_job",
    "to_document",
]
