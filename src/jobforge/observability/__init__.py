"""Prometheus metrics and OpenTelemetry spans for workers and clients.

``metrics`` counts a worker's attempts per job type, ``queue_metrics`` reads queue depth
and lag from the database at scrape time, ``endpoint`` serves them over HTTP, and
``tracing`` makes spans when the application has configured an OpenTelemetry SDK.
"""

from __future__ import annotations
