"""An OpenTelemetry SDK for the tracing tests, configured as an application does.

The global tracer provider can be set once per process. The first test that asks sets an
SDK provider (or reuses one already set) and adds an in-memory exporter; later jobs in the
same test process are traced too, which changes none of their results.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter


@pytest.fixture(scope="session")
def _session_exporter() -> InMemorySpanExporter:
    if isinstance(trace.get_tracer_provider(), trace.ProxyTracerProvider):
        trace.set_tracer_provider(TracerProvider())
    provider = trace.get_tracer_provider()
    assert isinstance(provider, TracerProvider), "another tracer provider is configured"
    exporter = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return exporter


@pytest.fixture
def span_exporter(_session_exporter: InMemorySpanExporter) -> Iterator[InMemorySpanExporter]:
    """The spans finished during this test."""
    _session_exporter.clear()
    yield _session_exporter
    _session_exporter.clear()
