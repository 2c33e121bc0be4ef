"""OpenTelemetry spans for enqueues and job attempts, in the trace of the job's trace id.

Spans are made only when the application has configured a tracer provider (an
OpenTelemetry SDK's, set with ``trace.set_tracer_provider``). Otherwise the cost is one
lookup: whoever configures a provider has imported ``opentelemetry.trace``, so while that
module is not loaded nothing is imported or checked further.

Trace ids: a JobForge trace id of 32 lowercase hex digits (not all zero) is used as the
OpenTelemetry trace id as it stands. That covers the default (the job's id in hex) and
the trace id the client sets from the active span. Any other text maps to the first 16
bytes of SHA-256("jobforge.trace_id:" + text). An enqueue, the job's every attempt and
its follow-ups (which inherit the trace id) thus share one trace. The job does not store
its enqueuer's span id, so attempt spans hang from a remote parent whose span id is the
first 8 bytes of SHA-256("jobforge.span_id:" + text), marked sampled: a provider's
``ParentBased(remote_parent_sampled=TraceIdRatioBased(r))`` sampler keeps or drops a
whole trace together, as the ratio sampler decides by trace id.
"""

from __future__ import annotations

import hashlib
import re
import sys
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol, TypeVar
from uuid import UUID

if TYPE_CHECKING:
    from opentelemetry.context import Context
    from opentelemetry.trace import Span, Tracer

INSTRUMENTATION_NAME = "jobforge"
MESSAGING_SYSTEM = "jobforge"
_TRACE_ID_HEX = re.compile(r"[0-9a-f]{32}")
_TRACE_ID_PREFIX = b"jobforge.trace_id:"
_SPAN_ID_PREFIX = b"jobforge.span_id:"
# Error messages on spans are cut to this many characters.
MAX_STATUS_DESCRIPTION_CHARACTERS = 512


def otel_trace_id(trace_id: str) -> int:
    """The OpenTelemetry trace id of a JobForge trace id (see the module's docstring)."""
    if len(trace_id) == 32 and _TRACE_ID_HEX.fullmatch(trace_id):
        value = int(trace_id, 16)
        if value:
            return value
    digest = hashlib.sha256(_TRACE_ID_PREFIX + trace_id.encode("utf-8")).digest()
    return int.from_bytes(digest[:16], "big") or 1


def remote_parent_span_id(trace_id: str) -> int:
    """The span id of the remote parent every span of the JobForge trace id hangs from."""
    digest = hashlib.sha256(_SPAN_ID_PREFIX + trace_id.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") or 1


def configured_tracer() -> Tracer | None:
    """JobForge's tracer from the global tracer provider, or None while none is configured
    (no OpenTelemetry imported, or the API's default proxy or no-op provider)."""
    otel_trace = sys.modules.get("opentelemetry.trace")
    if otel_trace is None:
        return None
    provider = otel_trace.get_tracer_provider()
    if isinstance(provider, otel_trace.ProxyTracerProvider | otel_trace.NoOpTracerProvider):
        return None
    tracer: Tracer = provider.get_tracer(INSTRUMENTATION_NAME)
    return tracer


def current_trace_id() -> str | None:
    """The active span's trace id as 32 hex digits (a JobForge trace id that maps to the
    same trace), or None when no span is active. Pass it as ``trace_id`` to
    ``enqueue_jobs`` to put a batch's jobs in the caller's trace."""
    otel_trace = sys.modules.get("opentelemetry.trace")
    if otel_trace is None:
        return None
    span_context = otel_trace.get_current_span().get_span_context()
    if not span_context.is_valid:
        return None
    text: str = otel_trace.format_trace_id(span_context.trace_id)
    return text


def trace_context(trace_id: str) -> Context:
    """A context whose current span is the remote parent of ``trace_id``'s spans."""
    from opentelemetry import trace  # noqa: PLC0415 - loaded already: a provider is set

    parent = trace.SpanContext(
        trace_id=otel_trace_id(trace_id),
        span_id=remote_parent_span_id(trace_id),
        is_remote=True,
        trace_flags=trace.TraceFlags(trace.TraceFlags.SAMPLED),
    )
    return trace.set_span_in_context(trace.NonRecordingSpan(parent))


class TracedJob(Protocol):
    """What an attempt's span reads from a claimed job."""

    @property
    def id(self) -> UUID: ...
    @property
    def tenant_id(self) -> UUID: ...
    @property
    def type(self) -> str: ...
    @property
    def attempt(self) -> int: ...
    @property
    def trace_id(self) -> str: ...


JobT = TypeVar("JobT", bound=TracedJob)
OutcomeT = TypeVar("OutcomeT")


class JobTracer:
    """Runs attempts inside a span each: a CONSUMER span ``process <job type>``, current
    while the handler runs (so the handler's own spans are its children)."""

    def __init__(self, tracer: Tracer, worker_id: str) -> None:
        self._tracer = tracer
        self._worker_id = worker_id

    def run(self, job: JobT, run: Callable[[JobT], OutcomeT]) -> OutcomeT:
        """``run(job)`` in the attempt's span; a returned failure (an outcome with an
        ``error`` mapping) marks the span as an error of that kind."""
        from opentelemetry.trace import SpanKind  # noqa: PLC0415 - loaded already

        attributes: dict[str, str | int] = {
            "messaging.system": MESSAGING_SYSTEM,
            "messaging.operation.type": "process",
            "messaging.operation.name": "process",
            "messaging.destination.name": job.type,
            "messaging.message.id": str(job.id),
            "jobforge.job.id": str(job.id),
            "jobforge.job.type": job.type,
            "jobforge.job.attempt": job.attempt,
            "jobforge.tenant_id": str(job.tenant_id),
            "jobforge.trace_id": job.trace_id,
            "jobforge.worker_id": self._worker_id,
        }
        with self._tracer.start_as_current_span(
            f"process {job.type}",
            context=trace_context(job.trace_id),
            kind=SpanKind.CONSUMER,
            attributes=attributes,
        ) as span:
            outcome = run(job)
            error = getattr(outcome, "error", None)
            if isinstance(error, dict):
                _mark_failed(span, str(error.get("kind", "error")), str(error.get("message", "")))
            return outcome


class EnqueueSpan:
    """The span of one enqueue, recorded once the database has answered (the trace id of
    a job enqueued without one is the database's to choose).

    ``trace_id`` is what to enqueue with: the caller's, else the active span's (so the job
    joins the caller's trace), else None.
    """

    def __init__(
        self, tracer: Tracer, tenant_id: UUID | str, job_type: str, trace_id: str | None
    ) -> None:
        self._tracer = tracer
        self._tenant_id = str(tenant_id)
        self._job_type = job_type
        self.trace_id = trace_id if trace_id is not None else current_trace_id()
        self._started_ns = time.time_ns()

    def enqueued(self, job_id: UUID, trace_id: str, *, created: bool) -> None:
        span = self._start(trace_id)
        span.set_attribute("messaging.message.id", str(job_id))
        span.set_attribute("jobforge.job.id", str(job_id))
        span.set_attribute("jobforge.job.created", created)
        span.end()

    def failed(self, exc: BaseException) -> None:
        span = self._start(self.trace_id)
        _mark_failed(span, type(exc).__name__, str(exc))
        span.end()

    def _start(self, trace_id: str | None) -> Span:
        from opentelemetry import trace  # noqa: PLC0415 - loaded already

        if not isinstance(trace_id, str):  # a wrong type the enqueue itself refuses
            trace_id = None
        active = trace.get_current_span().get_span_context()
        context: Context | None = None  # the active span's, when the job is in its trace
        links: list[Any] = []
        if trace_id is not None and (
            not active.is_valid or otel_trace_id(trace_id) != active.trace_id
        ):
            context = trace_context(trace_id)
            if active.is_valid:
                links.append(trace.Link(active))
        attributes: dict[str, str] = {
            "messaging.system": MESSAGING_SYSTEM,
            "messaging.operation.type": "send",
            "messaging.operation.name": "send",
            "messaging.destination.name": self._job_type,
            "jobforge.job.type": self._job_type,
            "jobforge.tenant_id": self._tenant_id,
        }
        if trace_id is not None:
            attributes["jobforge.trace_id"] = trace_id
        return self._tracer.start_span(
            f"send {self._job_type}",
            context=context,
            kind=trace.SpanKind.PRODUCER,
            attributes=attributes,
            links=links,
            start_time=self._started_ns,
        )


def enqueue_span(tenant_id: UUID | str, job_type: str, trace_id: str | None) -> EnqueueSpan | None:
    """An EnqueueSpan when a tracer provider is configured, else None."""
    tracer = configured_tracer()
    if tracer is None:
        return None
    return EnqueueSpan(tracer, tenant_id, job_type, trace_id)


def _mark_failed(span: Span, kind: str, message: str) -> None:
    from opentelemetry.trace import Status, StatusCode  # noqa: PLC0415 - loaded already

    span.set_attribute("error.type", kind)
    span.set_status(Status(StatusCode.ERROR, message[:MAX_STATUS_DESCRIPTION_CHARACTERS]))


def job_tracer(worker_id: str) -> JobTracer | None:
    """A JobTracer when a tracer provider is configured, else None (checked once, when a
    worker starts)."""
    tracer = configured_tracer()
    return None if tracer is None else JobTracer(tracer, worker_id)
