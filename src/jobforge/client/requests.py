"""Checking client arguments and turning them into query parameters (no I/O here)."""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from jobforge.client.json_limits import MAX_JSON_BYTES, json_limit_problem
from jobforge.client.models import EnqueuedJob, FiredJob, GrantKind, Job, JobSpec
from jobforge.determinism.canonical import NUL_ESCAPE, canonical_json, has_only_string_keys
from jobforge.determinism.reusable_encoder import ReusableEncoder
from jobforge.errors import InvalidArgument, JobNotFound
from jobforge.handlers import validate_job_type

MAX_PAYLOAD_BYTES = MAX_JSON_BYTES
MAX_BATCH_SIZE = 100_000


def check_text(value: Any, field: str) -> None:
    """Refuse a value PostgreSQL's text cannot hold, before it reaches the database."""
    if not isinstance(value, str):
        raise InvalidArgument(f"{field}: expected a string, got {type(value).__name__}")
    if "\x00" in value:
        raise InvalidArgument(f"{field}: PostgreSQL text cannot hold the NUL character (U+0000)")


def parse_uuid(value: UUID | str, field: str) -> UUID:
    """``value`` as a UUID, or InvalidArgument naming ``field``."""
    if isinstance(value, UUID):
        return value
    try:
        return UUID(str(value))
    except ValueError:
        raise InvalidArgument(f"{field}: expected a UUID, got {value!r}") from None


def _payload_text(payload: Any, label: str) -> str:
    encoded = canonical_json(payload, label=label)
    if len(encoded) > MAX_PAYLOAD_BYTES:
        raise InvalidArgument(
            f"{label}: {len(encoded)} bytes of JSON, above the {MAX_PAYLOAD_BYTES}-byte limit"
        )
    text = encoded.decode("utf-8")
    problem = json_limit_problem(payload, text, label)
    if problem:
        raise InvalidArgument(problem)
    return text


def _aware(value: datetime | None, field: str) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:
        raise InvalidArgument(f"{field}: expected a timezone-aware datetime, got {value!r}")
    return value.isoformat()


class _JobDocuments:
    """Builds the JSON array ``jobforge_enqueue_jobs`` takes, checking each job's fields.

    Tenant ids and job types repeat across a batch, so each distinct value is checked once.
    Each payload is encoded once by the C JSON encoder, which also gives its size.
    """

    _ENCODER = ReusableEncoder(
        json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    )

    def __init__(self) -> None:
        self._tenant_ids: dict[UUID | str, str] = {}
        self._job_types: set[str] = set()
        self._documents: list[str] = []

    def add(self, spec: JobSpec, label: str) -> None:
        tenant_id = self._tenant_ids.get(spec.tenant_id)
        if tenant_id is None:
            tenant_id = str(parse_uuid(spec.tenant_id, f"{label}.tenant_id"))
            self._tenant_ids[spec.tenant_id] = tenant_id
        if spec.type not in self._job_types:
            validate_job_type(spec.type)
            self._job_types.add(spec.type)
        extra: dict[str, Any] = {}
        if spec.max_attempts != DEFAULT_MAX_ATTEMPTS:
            if not isinstance(spec.max_attempts, int) or not 1 <= spec.max_attempts <= 1000:
                raise InvalidArgument(
                    f"{label}.max_attempts: expected an integer from 1 to 1000, "
                    f"got {spec.max_attempts!r}"
                )
            extra["max_attempts"] = spec.max_attempts
        if spec.priority != 0:
            if not isinstance(spec.priority, int) or not -32768 <= spec.priority <= 32767:
                raise InvalidArgument(
                    f"{label}.priority: expected an integer from -32768 to 32767, "
                    f"got {spec.priority!r}"
                )
            extra["priority"] = spec.priority
        if spec.run_at is not None:
            extra["run_at"] = _aware(spec.run_at, f"{label}.run_at")
            if not RUN_AT_FIRST_YEAR <= spec.run_at.year < RUN_AT_END_YEAR:
                raise InvalidArgument(
                    f"{label}.run_at: expected a time from {RUN_AT_FIRST_YEAR} to "
                    f"{RUN_AT_END_YEAR}, got {spec.run_at.isoformat()}"
                )
        if spec.backoff_base_seconds is not None or spec.backoff_cap_seconds is not None:
            _check_backoff(spec, label)
        _add_optional_fields(spec, label, extra)
        # A checked UUID and a checked job type need no JSON escaping: most jobs carry only
        # those and the payload, so they skip the encoder for everything but the payload.
        head = f'{{"tenant_id":"{tenant_id}","type":"{spec.type}"'
        if extra:
            head += "," + self._encode_fields(extra, label)[1:-1]
        self._documents.append(f'{head},"payload":{self._payload(spec.payload, label)}}}')

    def _encode_fields(self, fields: dict[str, Any], label: str) -> str:
        try:
            return self._ENCODER.encode(fields)
        except (TypeError, ValueError, RecursionError):
            for name, value in fields.items():
                canonical_json(value, label=f"{label}.{name}")
            raise

    def _payload(self, payload: Any, label: str) -> str:
        try:
            text = self._ENCODER.encode(payload)
        except (TypeError, ValueError, RecursionError):
            canonical_json(payload, label=f"{label}.payload")  # raises, naming the spot
            raise
        # UTF-8 takes at most 4 bytes a character: only long texts need measuring in bytes.
        too_long = (
            len(text) * 4 > MAX_PAYLOAD_BYTES and len(text.encode("utf-8")) > MAX_PAYLOAD_BYTES
        )
        if too_long or NUL_ESCAPE in text or not has_only_string_keys(payload):
            _payload_text(payload, f"{label}.payload")  # raises with the path and the reason
        problem = json_limit_problem(payload, text, f"{label}.payload")
        if problem:
            raise InvalidArgument(problem)
        return text

    def __len__(self) -> int:
        return len(self._documents)

    def encode(self) -> str:
        return "[" + ",".join(self._documents) + "]"


DEFAULT_MAX_ATTEMPTS = 5
# The database's limits (jobforge_jobs_run_at_range, jobforge_jobs_backoff_range).
RUN_AT_FIRST_YEAR = 1900
RUN_AT_END_YEAR = 9000
DEFAULT_BACKOFF_BASE_SECONDS = 1.0
MAX_BACKOFF_BASE_SECONDS = 86_400.0
MAX_BACKOFF_CAP_SECONDS = 2_592_000.0


def _check_backoff(spec: JobSpec, label: str) -> None:
    """A finite base above 0 and at most a day; a cap from the base to 30 days."""
    base = spec.backoff_base_seconds
    cap = spec.backoff_cap_seconds
    for name, value in (("backoff_base_seconds", base), ("backoff_cap_seconds", cap)):
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(value)
        ):
            raise InvalidArgument(f"{label}.{name}: expected a number of seconds, got {value!r}")
    if base is not None and not 0 < base <= MAX_BACKOFF_BASE_SECONDS:
        raise InvalidArgument(
            f"{label}.backoff_base_seconds: expected above 0 and at most "
            f"{MAX_BACKOFF_BASE_SECONDS:g}, got {base!r}"
        )
    floor = base if base is not None else DEFAULT_BACKOFF_BASE_SECONDS
    if cap is not None and not floor <= cap <= MAX_BACKOFF_CAP_SECONDS:
        raise InvalidArgument(
            f"{label}.backoff_cap_seconds: expected from the base ({floor:g}) to "
            f"{MAX_BACKOFF_CAP_SECONDS:g}, got {cap!r}"
        )


_TEXT_FIELDS = frozenset({"idempotency_key", "ordering_key", "trace_id"})
_OPTIONAL_FIELDS = (
    "idempotency_key",
    "ordering_key",
    "trace_id",
    "backoff_base_seconds",
    "backoff_cap_seconds",
    "replay_context",
)


def _add_optional_fields(spec: JobSpec, label: str, extra: dict[str, Any]) -> None:
    for name in _OPTIONAL_FIELDS:
        value = getattr(spec, name)
        if value is not None:
            if name in _TEXT_FIELDS:
                check_text(value, f"{label}.{name}")
            extra[name] = value


def as_spec(job: JobSpec | Mapping[str, Any], index: int) -> JobSpec:
    if isinstance(job, JobSpec):
        return job
    try:
        return JobSpec(**job)
    except TypeError as exc:
        raise InvalidArgument(f"jobs[{index}]: {exc}") from None


def enqueue_params(spec: JobSpec) -> dict[str, str]:
    documents = _JobDocuments()
    documents.add(spec, "job")
    return {"jobs": documents.encode()}


def enqueue_many_params(jobs: Iterable[JobSpec | Mapping[str, Any]]) -> dict[str, str]:
    documents = _JobDocuments()
    for index, job in enumerate(jobs):
        if index >= MAX_BATCH_SIZE:
            raise InvalidArgument(f"jobs: at most {MAX_BATCH_SIZE} per call")
        documents.add(as_spec(job, index), f"jobs[{index}]")
    return {"jobs": documents.encode()}


def enqueued(row: Mapping[str, Any]) -> EnqueuedJob:
    return EnqueuedJob(
        id=row["job_id"], created=row["created"], state=row["state"], trace_id=row["trace_id"]
    )


def job_id_params(job_id: UUID | str) -> dict[str, UUID]:
    return {"job_id": parse_uuid(job_id, "job_id")}


def job_or_raise(row: Mapping[str, Any] | None, job_id: UUID | str) -> Job:
    if row is None:
        raise JobNotFound(f"job {job_id} not found (or not visible to this role)")
    return Job.from_row(row)


def fire_event_params(
    tenant_id: UUID | str,
    event_type: str,
    payload: Any,
    idempotency_key: str | None,
    trace_id: str | None,
) -> dict[str, Any]:
    if not isinstance(payload, dict):
        raise InvalidArgument(f"payload: an event payload is a JSON object, got {payload!r}")
    if not event_type or not isinstance(event_type, str):
        raise InvalidArgument(f"event_type: expected a non-empty string, got {event_type!r}")
    check_text(event_type, "event_type")
    for name, value in (("idempotency_key", idempotency_key), ("trace_id", trace_id)):
        if value is not None:
            check_text(value, name)
    return {
        "tenant_id": parse_uuid(tenant_id, "tenant_id"),
        "event_type": event_type,
        "payload": _payload_text(payload, "payload"),
        "idempotency_key": idempotency_key,
        "trace_id": trace_id,
    }


def fired(row: Mapping[str, Any]) -> FiredJob:
    return FiredJob(
        trigger_id=row["trigger_id"],
        job_id=row["job_id"],
        created=row["created"],
        job_type=row["job_type"],
    )


def trigger_params(
    *,
    tenant_id: UUID | str,
    name: str,
    event_type: str,
    job_type: str,
    payload_filter: Mapping[str, Any] | None,
    payload_defaults: Mapping[str, Any] | None,
    priority: int,
    max_attempts: int,
    enabled: bool,
) -> dict[str, Any]:
    validate_job_type(job_type)
    check_text(name, "name")
    check_text(event_type, "event_type")
    return {
        "tenant_id": parse_uuid(tenant_id, "tenant_id"),
        "name": name,
        "event_type": event_type,
        "job_type": job_type,
        "payload_filter": _payload_text(dict(payload_filter or {}), "payload_filter"),
        "payload_defaults": _payload_text(dict(payload_defaults or {}), "payload_defaults"),
        "priority": priority,
        "max_attempts": max_attempts,
        "enabled": enabled,
    }


def grant_params(
    role: str, tenant_id: UUID | str, kind: GrantKind | str | None, *, kind_required: bool
) -> dict[str, Any]:
    if not role:
        raise InvalidArgument("role: expected a role name")
    if kind is None and kind_required:
        raise InvalidArgument("kind: expected 'producer' or 'worker'")
    if kind is not None:
        try:
            kind = GrantKind(kind)
        except ValueError:
            raise InvalidArgument(f"kind: expected 'producer' or 'worker', got {kind!r}") from None
    return {
        "role": role,
        "tenant_id": parse_uuid(tenant_id, "tenant_id"),
        "kind": None if kind is None else kind.value,
    }


def prune_params(older_than: timedelta, limit: int) -> dict[str, Any]:
    if older_than < timedelta(0):
        raise InvalidArgument(f"older_than: expected a non-negative duration, got {older_than}")
    if limit < 1:
        raise InvalidArgument(f"limit: expected a positive integer, got {limit}")
    return {"older_than_seconds": older_than.total_seconds(), "limit": limit}
