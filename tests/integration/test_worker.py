"""The worker in-process: handlers, results, retries, dead letters, timeouts, order, logs, stop."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import threading
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest

from jobforge import HandlerRegistry, JobContext
from jobforge.client import JobForgeClient, JobSpec
from jobforge.determinism.canonical import canonical_json, canonical_sha256
from jobforge.errors import ConfigurationError, NonRetryableError
from jobforge.worker import Worker, WorkerConfig, WorkerReport
from jobforge.worker.logs import JobFieldsFilter, JsonFormatter
from tests.integration.support import claim, connect, job, wait_until
from tests.integration.worker_support import FAST_RETRY, run_burst

DRAIN_SECONDS = 30
HANDLER_WAIT_SECONDS = 30


def drain_until(
    database_url: str, registry: HandlerRegistry, done: Callable[[], bool], **options: Any
) -> list[WorkerReport]:
    """Run burst workers until ``done()`` (retries become runnable a moment after failing)."""
    reports: list[WorkerReport] = []

    def one_run() -> bool:
        reports.append(run_burst(database_url, registry, **options))
        return done()

    wait_until(one_run, DRAIN_SECONDS, "the jobs to finish")
    return reports


def is_finished(client: JobForgeClient, job_id: uuid.UUID) -> Callable[[], bool]:
    return lambda: client.get_job(job_id).is_finished


def test_sync_and_async_handlers_run_and_record_results(
    database_url: str, client: JobForgeClient, tenant_id: uuid.UUID
) -> None:
    def double(payload: dict[str, Any], ctx: JobContext) -> dict[str, Any]:
        return {"doubled": payload["n"] * 2, "b": [1, 2], "a": None}

    async def triple(payload: dict[str, Any], ctx: JobContext) -> dict[str, Any]:
        await asyncio.sleep(0)
        return {"tripled": payload["n"] * 3}

    registry = HandlerRegistry()
    registry.register("math.double", double)
    registry.register("math.triple", triple)
    sync_job = client.enqueue_job(tenant_id=tenant_id, type="math.double", payload={"n": 2})
    async_job = client.enqueue_job(tenant_id=tenant_id, type="math.triple", payload={"n": 2})

    report = run_burst(database_url, registry, concurrency=2)
    assert report.succeeded == 2
    assert report.errors == []

    for receipt, payload, output in (
        (sync_job, {"n": 2}, {"doubled": 4, "b": [1, 2], "a": None}),
        (async_job, {"n": 2}, {"tripled": 6}),
    ):
        job = client.get_job(receipt.id)
        assert job.state == "succeeded"
        assert job.attempts == 1
        [result] = client.get_results(receipt.id)
        assert result.outcome == "succeeded"
        assert result.attempt == 1
        assert result.output == output
        assert result.input_sha256 == canonical_sha256(payload)
        assert result.artifact_sha256 == canonical_sha256(output)
        assert result.trace_id == receipt.trace_id
        assert result.worker_id is not None
        assert canonical_sha256(json.loads(result.input_snapshot["payload_canonical"])) == (
            result.input_sha256
        )
        assert result.artifact_canonical == canonical_json(output).decode()


def test_handler_exception_retries_then_dead_letters(
    database_url: str, client: JobForgeClient, tenant_id: uuid.UUID
) -> None:
    def explode(payload: Any, ctx: JobContext) -> None:
        raise RuntimeError(f"boom on attempt {ctx.attempt}")

    registry = HandlerRegistry()
    registry.register("always.fails", explode)
    receipt = client.enqueue_job(
        tenant_id=tenant_id, type="always.fails", payload={}, max_attempts=3, **FAST_RETRY
    )
    drain_until(database_url, registry, is_finished(client, receipt.id))

    job = client.get_job(receipt.id)
    assert job.state == "dead"
    assert job.attempts == 3
    assert job.last_error["message"] == "boom on attempt 3"
    results = client.get_results(receipt.id)
    assert [(r.attempt, r.outcome) for r in results] == [(1, "failed"), (2, "failed"), (3, "dead")]
    for result in results:
        assert result.error["kind"] == "exception"
        assert result.error["exception"] == "builtins.RuntimeError"
        assert f"boom on attempt {result.attempt}" in result.error["traceback"]


def test_handler_that_fails_once_then_succeeds(
    database_url: str, client: JobForgeClient, tenant_id: uuid.UUID
) -> None:
    def flaky(payload: Any, ctx: JobContext) -> dict[str, int]:
        if ctx.attempt == 1:
            raise ConnectionError("upstream unavailable")
        return {"attempt": ctx.attempt}

    registry = HandlerRegistry()
    registry.register("flaky.job", flaky)
    receipt = client.enqueue_job(tenant_id=tenant_id, type="flaky.job", payload={}, **FAST_RETRY)
    drain_until(database_url, registry, is_finished(client, receipt.id))
    assert client.get_job(receipt.id).state == "succeeded"
    outcomes = [(r.attempt, r.outcome) for r in client.get_results(receipt.id)]
    assert outcomes == [(1, "failed"), (2, "succeeded")]


def test_non_retryable_error_dead_letters_at_once(
    database_url: str, client: JobForgeClient, tenant_id: uuid.UUID
) -> None:
    def refuse(payload: Any, ctx: JobContext) -> None:
        raise NonRetryableError("this request can never succeed")

    registry = HandlerRegistry()
    registry.register("refuse.job", refuse)
    receipt = client.enqueue_job(tenant_id=tenant_id, type="refuse.job", payload={})
    report = run_burst(database_url, registry)
    assert report.dead == 1
    job = client.get_job(receipt.id)
    assert job.state == "dead"
    assert job.attempts == 1
    assert job.last_error["message"] == "this request can never succeed"
    assert [(r.attempt, r.outcome) for r in client.get_results(receipt.id)] == [(1, "dead")]


def test_a_worker_claims_only_the_types_it_has_handlers_for(
    database_url: str, client: JobForgeClient, tenant_id: uuid.UUID
) -> None:
    """Version 2 claimed every type and dead-lettered those without a handler: one worker
    started with the wrong -m killed other teams' jobs for good."""
    registry = HandlerRegistry()
    registry.register("known.job", lambda payload, ctx: None)
    known = client.enqueue_job(tenant_id=tenant_id, type="known.job", payload={})
    other = client.enqueue_job(tenant_id=tenant_id, type="other.team.job", payload={})
    report = run_burst(database_url, registry)
    assert (report.succeeded, report.dead) == (1, 0)
    assert client.get_job(known.id).state == "succeeded"
    waiting = client.get_job(other.id)
    assert (waiting.state, waiting.attempts) == ("queued", 0)


def test_a_job_type_named_without_a_handler_stops_the_worker_at_start(
    database_url: str,
) -> None:
    registry = HandlerRegistry()
    registry.register("known.job", lambda payload, ctx: None)
    with pytest.raises(ConfigurationError, match=r"unknown\.job: no handler registered"):
        run_burst(database_url, registry, job_types=("known.job", "unknown.job"))


def test_claiming_all_types_dead_letters_those_without_a_handler(
    database_url: str, client: JobForgeClient, tenant_id: uuid.UUID
) -> None:
    registry = HandlerRegistry()
    registry.register("known.job", lambda payload, ctx: None)
    receipt = client.enqueue_job(tenant_id=tenant_id, type="unknown.job", payload={})
    report = run_burst(database_url, registry, claim_all_types=True)
    assert report.dead == 1
    job = client.get_job(receipt.id)
    assert job.state == "dead"
    assert job.attempts == 1
    assert job.last_error["kind"] == "no_handler"
    assert "unknown.job" in job.last_error["message"]
    assert "known.job" in job.last_error["message"]
    assert len(client.get_results(receipt.id)) == 1


def test_sync_handler_past_its_timeout_fails_the_attempt(
    database_url: str, client: JobForgeClient, tenant_id: uuid.UUID
) -> None:
    release = threading.Event()
    started = threading.Event()

    def stuck(payload: Any, ctx: JobContext) -> str:
        started.set()
        release.wait(HANDLER_WAIT_SECONDS)
        return "too late"

    registry = HandlerRegistry()
    registry.register("stuck.job", stuck, timeout_seconds=0.2)
    receipt = client.enqueue_job(tenant_id=tenant_id, type="stuck.job", payload={}, max_attempts=1)
    try:
        report = run_burst(database_url, registry)
    finally:
        release.set()
    assert started.is_set()
    assert report.dead == 1
    job = client.get_job(receipt.id)
    assert job.state == "dead"
    assert job.last_error["kind"] == "timeout"
    [result] = client.get_results(receipt.id)
    assert result.error["kind"] == "timeout"


def test_async_handler_past_its_timeout_fails_the_attempt(
    database_url: str, client: JobForgeClient, tenant_id: uuid.UUID
) -> None:
    async def slow(payload: Any, ctx: JobContext) -> str:
        await asyncio.sleep(HANDLER_WAIT_SECONDS)
        return "too late"

    registry = HandlerRegistry()
    registry.register("slow.async", slow, timeout_seconds=0.2)
    receipt = client.enqueue_job(tenant_id=tenant_id, type="slow.async", payload={}, max_attempts=1)
    run_burst(database_url, registry)
    job = client.get_job(receipt.id)
    assert job.state == "dead"
    assert job.last_error["kind"] == "timeout"


def test_jobs_of_one_ordering_key_run_in_order(
    database_url: str, client: JobForgeClient, tenant_id: uuid.UUID
) -> None:
    seen: dict[str, list[int]] = {"a": [], "b": []}
    lock = threading.Lock()

    def step(payload: dict[str, Any], ctx: JobContext) -> None:
        with lock:
            seen[payload["account"]].append(payload["step"])

    registry = HandlerRegistry()
    registry.register("ledger.step", step)
    client.enqueue_jobs(
        JobSpec(
            tenant_id=tenant_id,
            type="ledger.step",
            payload={"account": account, "step": n},
            ordering_key=account,
            priority=n % 3,  # priority never overtakes an earlier job of the same key
        )
        for n in range(10)
        for account in ("a", "b")
    )
    report = run_burst(database_url, registry, concurrency=4)
    assert report.succeeded == 20
    assert seen == {"a": list(range(10)), "b": list(range(10))}


def test_handler_sees_its_job_context(
    database_url: str, client: JobForgeClient, tenant_id: uuid.UUID
) -> None:
    contexts: list[JobContext] = []

    def capture(payload: Any, ctx: JobContext) -> None:
        contexts.append(ctx)

    registry = HandlerRegistry()
    registry.register("ctx.job", capture)
    receipt = client.enqueue_job(
        tenant_id=tenant_id, type="ctx.job", payload={}, trace_id="trace-ctx-1", max_attempts=3
    )
    config_id = f"worker-{uuid.uuid4().hex[:6]}"
    run_burst(database_url, registry, worker_id=config_id)
    [ctx] = contexts
    assert ctx.job_id == receipt.id
    assert ctx.tenant_id == tenant_id
    assert ctx.job_type == "ctx.job"
    assert ctx.trace_id == "trace-ctx-1"
    assert ctx.attempt == 1
    assert ctx.max_attempts == 3
    assert not ctx.is_last_attempt
    assert ctx.worker_id == config_id
    assert isinstance(ctx.now, datetime)
    assert ctx.now.tzinfo is not None


@pytest.fixture
def json_log() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    log_handler = logging.StreamHandler(stream)
    log_handler.setFormatter(JsonFormatter())
    log_handler.addFilter(JobFieldsFilter())
    logger = logging.getLogger("jobforge")
    old_level = logger.level
    logger.addHandler(log_handler)
    logger.setLevel(logging.INFO)
    try:
        yield stream
    finally:
        logger.removeHandler(log_handler)
        logger.setLevel(old_level)


def test_log_lines_are_json_with_the_job_fields(
    database_url: str, client: JobForgeClient, tenant_id: uuid.UUID, json_log: io.StringIO
) -> None:
    def chatty(payload: Any, ctx: JobContext) -> None:
        ctx.logger.info("from the context logger")
        logging.getLogger("jobforge.tests.handler").warning("from a plain logger")
        if ctx.attempt == 1:
            raise ValueError("first attempt fails")

    registry = HandlerRegistry()
    registry.register("chatty.job", chatty)
    receipt = client.enqueue_job(
        tenant_id=tenant_id, type="chatty.job", payload={}, trace_id="trace-log-1", **FAST_RETRY
    )
    drain_until(database_url, registry, is_finished(client, receipt.id))

    entries = [json.loads(line) for line in json_log.getvalue().splitlines()]
    job_entries = [entry for entry in entries if "job_id" in entry]
    messages = {entry["message"] for entry in job_entries}
    assert "from the context logger" in messages
    assert "from a plain logger" in messages
    assert "job succeeded" in messages
    assert any(message.startswith("job failed, retry at") for message in messages)
    for entry in job_entries:
        assert entry["trace_id"] == "trace-log-1"
        assert entry["job_id"] == str(receipt.id)
        assert entry["tenant_id"] == str(tenant_id)
        assert entry["type"] == "chatty.job"
        assert entry["attempt"] in (1, 2)
        assert {"ts", "level", "logger", "message"} <= set(entry)
    assert {entry["attempt"] for entry in job_entries} == {1, 2}


def blocking_registry(started: threading.Event, release: threading.Event) -> HandlerRegistry:
    def block(payload: Any, ctx: JobContext) -> dict[str, int]:
        started.set()
        release.wait(HANDLER_WAIT_SECONDS)
        return {"n": payload["n"]}

    registry = HandlerRegistry()
    registry.register("block.job", block)
    return registry


def start_worker(
    database_url: str, registry: HandlerRegistry
) -> tuple[Worker, threading.Thread, list[WorkerReport]]:
    config = WorkerConfig(concurrency=1, prefetch=3, poll_interval_seconds=0.05)
    worker = Worker(database_url, registry=registry, config=config)
    reports: list[WorkerReport] = []
    thread = threading.Thread(target=lambda: reports.append(worker.run()))
    thread.start()
    return worker, thread, reports


def states(client: JobForgeClient, job_ids: list[uuid.UUID]) -> list[tuple[str, int]]:
    return [(job.state, job.attempts) for job in map(client.get_job, job_ids)]


def test_stop_lets_the_running_job_finish_and_gives_back_the_rest(
    database_url: str, client: JobForgeClient, tenant_id: uuid.UUID
) -> None:
    started, release = threading.Event(), threading.Event()
    receipts = client.enqueue_jobs(
        JobSpec(tenant_id=tenant_id, type="block.job", payload={"n": n}) for n in range(4)
    )
    worker, thread, reports = start_worker(database_url, blocking_registry(started, release))
    try:
        assert started.wait(DRAIN_SECONDS)
        worker.stop()
        release.set()
        thread.join(DRAIN_SECONDS)
        assert not thread.is_alive()
    finally:
        release.set()
        worker.stop(immediate=True)
        thread.join(DRAIN_SECONDS)
    [report] = reports
    assert report.succeeded == 1
    assert report.released == 3
    found = sorted(states(client, [r.id for r in receipts]))
    assert found == [("queued", 0)] * 3 + [("succeeded", 1)]


def test_immediate_stop_gives_back_the_running_job_too(
    database_url: str, client: JobForgeClient, tenant_id: uuid.UUID
) -> None:
    started, release = threading.Event(), threading.Event()
    receipts = client.enqueue_jobs(
        JobSpec(tenant_id=tenant_id, type="block.job", payload={"n": n}) for n in range(2)
    )
    worker, thread, reports = start_worker(database_url, blocking_registry(started, release))
    try:
        assert started.wait(DRAIN_SECONDS)
        worker.stop(immediate=True)
        thread.join(DRAIN_SECONDS)
        assert not thread.is_alive()
    finally:
        release.set()
        thread.join(DRAIN_SECONDS)
    [report] = reports
    assert report.succeeded == 0
    assert report.released == 2
    assert states(client, [r.id for r in receipts]) == [("queued", 0), ("queued", 0)]
    for receipt in receipts:
        assert client.get_results(receipt.id) == []


def test_idle_worker_wakes_on_notify_not_on_its_poll_interval(
    database_url: str, client: JobForgeClient, tenant_id: uuid.UUID
) -> None:
    registry = HandlerRegistry()
    registry.register("wake.job", lambda payload, ctx: {"n": payload})
    config = WorkerConfig(poll_interval_seconds=300)  # only a notification can wake it in time
    worker = Worker(database_url, registry=registry, config=config)
    thread = threading.Thread(target=worker.run)
    thread.start()
    try:
        for n in range(3):
            receipt = client.enqueue_job(tenant_id=tenant_id, type="wake.job", payload=n)
            wait_until(
                lambda job_id=receipt.id: client.get_job(job_id).state == "succeeded",
                10,
                f"job {n} to run",
            )
    finally:
        worker.stop()
        thread.join(DRAIN_SECONDS)
    assert not thread.is_alive()


def test_heartbeats_keep_a_long_job_leased(
    database_url: str, client: JobForgeClient, tenant_id: uuid.UUID
) -> None:
    started, release = threading.Event(), threading.Event()
    registry = blocking_registry(started, release)
    receipt = client.enqueue_job(tenant_id=tenant_id, type="block.job", payload={"n": 1})
    config = WorkerConfig(lease_seconds=1, poll_interval_seconds=0.05, burst=True)
    worker = Worker(database_url, registry=registry, config=config)
    reports: list[WorkerReport] = []
    thread = threading.Thread(target=lambda: reports.append(worker.run()))
    thread.start()
    try:
        assert started.wait(DRAIN_SECONDS)
        with connect(database_url) as conn:
            first_lease = job(conn, receipt.id)["lease_expires_at"]

            def outlived_first_lease() -> bool:
                row = conn.execute("SELECT now() AS now").fetchone()
                assert row is not None
                return bool(row["now"] > first_lease + timedelta(seconds=1))

            wait_until(outlived_first_lease, 10, "two lease lengths to pass")
            row = job(conn, receipt.id)
            assert row["state"] == "running"
            assert row["lease_owner"] == worker.worker_id
            assert row["lease_expires_at"] > first_lease
            assert claim(conn, "another-worker") == []
    finally:
        release.set()
        thread.join(DRAIN_SECONDS)
    assert not thread.is_alive()
    assert reports[0].succeeded == 1
    assert client.get_job(receipt.id).attempts == 1
    assert [r.outcome for r in client.get_results(receipt.id)] == ["succeeded"]
