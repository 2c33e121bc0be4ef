"""OpenTelemetry spans: enqueue, every attempt and its follow-ups in one trace."""

from __future__ import annotations

import asyncio
import hashlib
import subprocess
import sys
import textwrap
import uuid
from pathlib import Path
from typing import Any

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from jobforge import HandlerRegistry, JobContext
from jobforge.client import AsyncJobForgeClient, EnqueuedJob, JobForgeClient
from jobforge.errors import InvalidArgument, NonRetryableError
from jobforge.observability.tracing import otel_trace_id, remote_parent_span_id
from tests.integration.support import wait_until
from tests.integration.worker_support import FAST_RETRY, run_burst

REPO_ROOT = Path(__file__).resolve().parents[3]
PROCESS_SECONDS = 60
DRAIN_SECONDS = 30
WORKER_ID = "trace-worker"


def ask_for_a_follow_up(payload: dict[str, Any], ctx: JobContext) -> dict[str, Any]:
    ctx.follow_up("trace.child", {"of": payload["name"]})
    return {}


def succeed(payload: dict[str, Any], ctx: JobContext) -> dict[str, Any]:
    return {}


def fail_first_attempt(payload: dict[str, Any], ctx: JobContext) -> dict[str, Any]:
    if ctx.attempt == 1:
        raise RuntimeError("the first attempt fails")
    return {}


def refuse(payload: dict[str, Any], ctx: JobContext) -> dict[str, Any]:
    raise NonRetryableError("never")


@pytest.fixture
def registry() -> HandlerRegistry:
    registry = HandlerRegistry()
    registry.register("trace.parent", ask_for_a_follow_up)
    registry.register("trace.child", succeed)
    registry.register("trace.flaky", fail_first_attempt)
    registry.register("trace.doomed", refuse)
    return registry


def spans_named(exporter: InMemorySpanExporter, name: str) -> list[ReadableSpan]:
    return [span for span in exporter.get_finished_spans() if span.name == name]


def only(exporter: InMemorySpanExporter, name: str) -> ReadableSpan:
    spans = spans_named(exporter, name)
    assert len(spans) == 1, f"{name}: {len(spans)} spans"
    return spans[0]


def trace_of(span: ReadableSpan) -> int:
    assert span.context is not None
    return span.context.trace_id


def test_enqueue_attempt_and_follow_up_share_the_callers_trace(
    database_url: str,
    client: JobForgeClient,
    tenant_id: uuid.UUID,
    registry: HandlerRegistry,
    span_exporter: InMemorySpanExporter,
) -> None:
    with trace.get_tracer("an application").start_as_current_span("handle request") as request:
        receipt = client.enqueue_job(
            tenant_id=tenant_id, type="trace.parent", payload={"name": "p"}
        )
    caller_trace = request.get_span_context().trace_id
    # The job joined the caller's trace: its trace id is that trace's, in hex.
    assert receipt.trace_id == trace.format_trace_id(caller_trace)
    run_burst(database_url, registry, worker_id=WORKER_ID)
    (child,) = client.get_follow_ups(receipt.id)
    assert client.get_job(child.id).state == "succeeded"

    send = only(span_exporter, "send trace.parent")
    assert send.kind is SpanKind.PRODUCER
    assert send.parent is not None
    assert send.parent.span_id == request.get_span_context().span_id
    assert send.attributes is not None
    assert send.attributes["jobforge.job.id"] == str(receipt.id)
    assert send.attributes["messaging.operation.type"] == "send"
    parent_attempt = only(span_exporter, "process trace.parent")
    child_attempt = only(span_exporter, "process trace.child")
    for span in (send, parent_attempt, child_attempt):
        assert trace_of(span) == caller_trace, span.name
    for span, job_id, job_type in (
        (parent_attempt, receipt.id, "trace.parent"),
        (child_attempt, child.id, "trace.child"),
    ):
        assert span.kind is SpanKind.CONSUMER
        assert span.status.status_code is StatusCode.UNSET
        assert span.parent is not None
        assert span.parent.is_remote
        assert span.parent.span_id == remote_parent_span_id(receipt.trace_id)
        assert dict(span.attributes or {}) == {
            "messaging.system": "jobforge",
            "messaging.operation.type": "process",
            "messaging.operation.name": "process",
            "messaging.destination.name": job_type,
            "messaging.message.id": str(job_id),
            "jobforge.job.id": str(job_id),
            "jobforge.job.type": job_type,
            "jobforge.job.attempt": 1,
            "jobforge.tenant_id": str(tenant_id),
            "jobforge.trace_id": receipt.trace_id,
            "jobforge.worker_id": WORKER_ID,
        }


def test_without_an_active_span_the_job_trace_is_its_own_and_failures_are_errors(
    database_url: str,
    client: JobForgeClient,
    tenant_id: uuid.UUID,
    registry: HandlerRegistry,
    span_exporter: InMemorySpanExporter,
) -> None:
    flaky = client.enqueue_job(
        tenant_id=tenant_id, type="trace.flaky", payload={}, max_attempts=3, **FAST_RETRY
    )
    doomed = client.enqueue_job(tenant_id=tenant_id, type="trace.doomed", payload={})
    # The database's default trace id: the job id in hex, used as the trace id as it is.
    assert flaky.trace_id == flaky.id.hex
    # A drain leaves a retry that comes due after it ends: drain until the job is done.
    wait_until(
        lambda: run_burst(database_url, registry) and client.get_job(flaky.id).is_finished,
        DRAIN_SECONDS,
        "the retry to succeed",
    )
    assert client.get_job(flaky.id).state == "succeeded"

    flaky_trace = int(flaky.id.hex, 16)
    assert trace_of(only(span_exporter, "send trace.flaky")) == flaky_trace
    attempts = sorted(
        spans_named(span_exporter, "process trace.flaky"),
        key=lambda span: (span.attributes or {})["jobforge.job.attempt"],
    )
    assert [trace_of(span) for span in attempts] == [flaky_trace, flaky_trace]
    assert [span.status.status_code for span in attempts] == [StatusCode.ERROR, StatusCode.UNSET]
    assert (attempts[0].attributes or {})["error.type"] == "exception"
    assert attempts[0].status.description == "the first attempt fails"

    dead = only(span_exporter, "process trace.doomed")
    assert trace_of(dead) == int(doomed.id.hex, 16)
    assert dead.status.status_code is StatusCode.ERROR
    assert (dead.attributes or {})["error.type"] == "exception"


def test_a_trace_id_of_any_text_maps_to_one_trace_id_derived_from_it(
    database_url: str,
    client: JobForgeClient,
    tenant_id: uuid.UUID,
    registry: HandlerRegistry,
    span_exporter: InMemorySpanExporter,
) -> None:
    expected = int.from_bytes(hashlib.sha256(b"jobforge.trace_id:order-42").digest()[:16], "big")
    assert otel_trace_id("order-42") == expected
    with trace.get_tracer("an application").start_as_current_span("unrelated") as active:
        receipt = client.enqueue_job(
            tenant_id=tenant_id, type="trace.child", payload={}, trace_id="order-42"
        )
    assert receipt.trace_id == "order-42"  # a trace id given is kept as given
    run_burst(database_url, registry)

    send = only(span_exporter, "send trace.child")
    attempt = only(span_exporter, "process trace.child")
    assert trace_of(send) == trace_of(attempt) == expected
    # The active span of another trace is linked, not the parent.
    assert [link.context.span_id for link in send.links] == [active.get_span_context().span_id]


def test_the_asyncio_client_records_the_same_enqueue_span(
    database_url: str, tenant_id: uuid.UUID, span_exporter: InMemorySpanExporter
) -> None:
    async def enqueue() -> EnqueuedJob:
        async with AsyncJobForgeClient(database_url) as client:
            return await client.enqueue_job(tenant_id=tenant_id, type="trace.child", payload={})

    with trace.get_tracer("an application").start_as_current_span("async request") as request:
        receipt = asyncio.run(enqueue())
    assert receipt.trace_id == trace.format_trace_id(request.get_span_context().trace_id)
    send = only(span_exporter, "send trace.child")
    assert trace_of(send) == request.get_span_context().trace_id
    assert (send.attributes or {})["jobforge.job.id"] == str(receipt.id)


def test_a_refused_enqueue_is_an_error_span(
    client: JobForgeClient, tenant_id: uuid.UUID, span_exporter: InMemorySpanExporter
) -> None:
    with pytest.raises(InvalidArgument):
        client.enqueue_job(tenant_id=tenant_id, type="trace.child", payload={}, max_attempts=0)
    send = only(span_exporter, "send trace.child")
    assert send.status.status_code is StatusCode.ERROR
    assert (send.attributes or {})["error.type"] == "InvalidArgument"


@pytest.mark.parametrize(
    ("trace_id", "passes_through"),
    [
        ("0af7651916cd43dd8448eb211c80319c", True),
        ("0AF7651916CD43DD8448EB211C80319C", False),  # W3C trace ids are lowercase
        ("0" * 32, False),  # the invalid all-zero id
        ("0af7651916cd43dd8448eb211c80319", False),  # 31 digits
        ("", False),
    ],
)
def test_only_a_valid_w3c_trace_id_passes_through(trace_id: str, passes_through: bool) -> None:
    derived = otel_trace_id(trace_id)
    assert 0 < derived < 2**128
    if passes_through:
        assert derived == int(trace_id, 16)
    else:
        digest = hashlib.sha256(b"jobforge.trace_id:" + trace_id.encode()).digest()
        assert derived == int.from_bytes(digest[:16], "big")
    assert otel_trace_id(trace_id) == derived  # deterministic
    assert 0 < remote_parent_span_id(trace_id) < 2**64


def test_without_a_configured_provider_nothing_of_opentelemetry_is_loaded(
    database_url: str,
) -> None:
    """A fresh process enqueues and runs a job with no tracer provider configured: the
    client and the worker import nothing of OpenTelemetry, and even with its API loaded the
    default proxy provider counts as none."""
    script = textwrap.dedent(
        """
        import sys, uuid
        from jobforge import HandlerRegistry
        from jobforge.client import JobForgeClient
        from jobforge.observability.tracing import configured_tracer, job_tracer
        from jobforge.worker import Worker, WorkerConfig

        url = sys.argv[1]
        registry = HandlerRegistry()
        registry.register("quiet.job", lambda payload, ctx: {})
        with JobForgeClient(url) as client:
            receipt = client.enqueue_job(tenant_id=uuid.uuid4(), type="quiet.job", payload={})
            report = Worker(url, registry=registry, config=WorkerConfig(burst=True)).run()
            assert report.succeeded == 1, report
            assert client.get_job(receipt.id).state == "succeeded"
        loaded = sorted(name for name in sys.modules if name.startswith("opentelemetry"))
        assert not loaded, loaded
        import opentelemetry.trace
        assert configured_tracer() is None and job_tracer("w") is None
        print("untraced")
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script, database_url],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=PROCESS_SECONDS,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "untraced"
