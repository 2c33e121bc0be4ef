"""The JSON bodies of the HTTP API (requests and responses), as pydantic models; FastAPI
turns them into the OpenAPI document's schemas."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from jobforge.client.models import Job, JobResult
from jobforge.handlers import JOB_TYPE_PATTERN, MAX_JOB_TYPE_LENGTH

JOB_TYPE = JOB_TYPE_PATTERN.pattern
MAX_KEY_LENGTH = 512
MAX_TRACE_ID_LENGTH = 128
MAX_EVENT_TYPE_LENGTH = 200
# The database's run_at range (jobforge_jobs_run_at_range), as the document can state it.
RUN_AT_YEARS = r"^(19[0-9]{2}|[2-8][0-9]{3})-"
# PostgreSQL text cannot hold U+0000: such keys and names are refused as invalid (422).
NO_NUL = r"^[^\u0000]*$"


class EnqueueRequest(BaseModel):
    """A job to enqueue for the key's tenant."""

    model_config = ConfigDict(extra="forbid")

    type: str = Field(max_length=MAX_JOB_TYPE_LENGTH, pattern=JOB_TYPE, examples=["billing.send"])
    payload: Any = Field(
        description="any JSON but null, at most 1 MiB as canonical JSON",
        json_schema_extra={"not": {"type": "null"}},
    )
    idempotency_key: str | None = Field(
        default=None,
        min_length=1,
        max_length=MAX_KEY_LENGTH,
        pattern=NO_NUL,
        description="the same key (here or in the Idempotency-Key header) returns the same job",
    )
    priority: int = Field(default=0, ge=-32768, le=32767)
    run_at: datetime | None = Field(
        default=None,
        description="not before; with a time zone, in the years 1900 to 8999",
        json_schema_extra={"pattern": RUN_AT_YEARS},
    )
    max_attempts: int = Field(default=5, ge=1, le=1000)
    ordering_key: str | None = Field(
        default=None, min_length=1, max_length=MAX_KEY_LENGTH, pattern=NO_NUL
    )
    trace_id: str | None = Field(
        default=None, min_length=1, max_length=MAX_TRACE_ID_LENGTH, pattern=NO_NUL
    )

    @field_validator("payload")
    @classmethod
    def _not_null(cls, payload: Any) -> Any:
        if payload is None:
            raise ValueError("a payload is any JSON value but null")
        return payload


class EnqueuedJobResponse(BaseModel):
    id: uuid.UUID
    created: bool = Field(description="false when the idempotency key found an existing job")
    state: str
    trace_id: str


class JobResponse(BaseModel):
    id: uuid.UUID
    tenant_id: uuid.UUID
    type: str
    payload: Any
    state: str
    priority: int
    run_at: datetime
    attempts: int
    max_attempts: int
    idempotency_key: str | None
    ordering_key: str | None
    trace_id: str
    last_error: Any
    created_at: datetime
    updated_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    parent_job_id: uuid.UUID | None

    @classmethod
    def of(cls, job: Job) -> JobResponse:
        return cls.model_validate(
            {name: getattr(job, name) for name in cls.model_fields}, from_attributes=False
        )


class AttemptResult(BaseModel):
    attempt: int
    outcome: str
    output: Any
    error: Any
    trace_id: str
    started_at: datetime | None
    finished_at: datetime
    input_sha256: str | None
    artifact_sha256: str | None

    @classmethod
    def of(cls, result: JobResult) -> AttemptResult:
        return cls.model_validate({name: getattr(result, name) for name in cls.model_fields})


class JobResultResponse(BaseModel):
    job_id: uuid.UUID
    state: str
    result: AttemptResult | None = Field(
        description="the latest finished attempt; null while none has finished"
    )


class FireEventRequest(BaseModel):
    """An event of the key's tenant; its triggers decide which jobs it makes."""

    model_config = ConfigDict(extra="forbid")

    type: str = Field(
        min_length=1, max_length=MAX_EVENT_TYPE_LENGTH, pattern=NO_NUL, examples=["user.signed_up"]
    )
    payload: dict[str, Any] = Field(description="a JSON object, at most 1 MiB as canonical JSON")
    idempotency_key: str | None = Field(
        default=None, min_length=1, max_length=MAX_KEY_LENGTH, pattern=NO_NUL
    )
    trace_id: str | None = Field(
        default=None, min_length=1, max_length=MAX_TRACE_ID_LENGTH, pattern=NO_NUL
    )


class RoutedJob(BaseModel):
    job_id: uuid.UUID
    created: bool
    job_type: str
    trigger_id: uuid.UUID | None = Field(description="the trigger that made it; null for a job")


class FiredEventResponse(BaseModel):
    jobs: list[RoutedJob]


class WebhookResponse(BaseModel):
    source: str
    message_id: str
    jobs: list[RoutedJob] = Field(
        description="what the delivery made (or found again, for a retried delivery)"
    )


class HealthResponse(BaseModel):
    status: str
