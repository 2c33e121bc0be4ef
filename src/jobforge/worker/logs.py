"""One JSON object per log line, carrying the job's ids wherever the line comes from."""

from __future__ import annotations

import contextvars
import json
import logging
import sys
import traceback
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Protocol


class JobLogFields(Protocol):
    """Where the fields of the job a thread runs come from (built only when a line is logged)."""

    def log_fields(self) -> Mapping[str, Any]: ...


# The job a thread is running; every record logged meanwhile carries its fields.
_job_fields: contextvars.ContextVar[JobLogFields | None] = contextvars.ContextVar(
    "jobforge_job_fields", default=None
)
JOB_FIELDS = ("trace_id", "job_id", "tenant_id", "type", "attempt", "worker_id")
_STANDARD_ATTRIBUTES = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


def bind_job_log_fields(source: JobLogFields) -> contextvars.Token[JobLogFields | None]:
    """Make ``source`` the current job of this thread until :func:`unbind_job_log_fields`."""
    return _job_fields.set(source)


def unbind_job_log_fields(token: contextvars.Token[JobLogFields | None]) -> None:
    _job_fields.reset(token)


class JobFieldsFilter(logging.Filter):
    """Copies the current job's fields onto each record (without overriding explicit ones)."""

    def filter(self, record: logging.LogRecord) -> bool:
        source = _job_fields.get()
        if source is not None:
            for key, value in source.log_fields().items():
                if not hasattr(record, key):
                    setattr(record, key, value)
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD_ATTRIBUTES and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exception"] = "".join(traceback.format_exception(*record.exc_info)).rstrip()
        return json.dumps(entry, default=str, ensure_ascii=False)


def configure_json_logging(level: str = "info") -> None:
    """Send all logging to stderr as JSON lines (used by `jobforge worker run`)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(JobFieldsFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
