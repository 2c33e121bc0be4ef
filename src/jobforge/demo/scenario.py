"""`jobforge demo`: the router end to end on a throwaway database, with a summary."""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from jobforge.client import JobForgeClient, JobSpec
from jobforge.db.throwaway import throwaway_database
from jobforge.demo.handlers import demo_registry
from jobforge.errors import JobForgeError
from jobforge.worker import Worker, WorkerConfig

UNFINISHED_STATES = frozenset({"queued", "running", "awaiting_retry"})
DRAIN_DEADLINE_SECONDS = 120.0
PROGRESS_CHECK_SECONDS = 0.05


@dataclass(frozen=True, slots=True)
class DemoSummary:
    jobs: int
    states: dict[tuple[str, str], int]
    enqueue_seconds: float
    drain_seconds: float
    idempotent_repeat_same_job: bool
    event_jobs: int
    ledger_order: list[int]
    sample_output: object


def run_demo(database_url: str | None, greetings: int, say: Callable[[str], None]) -> DemoSummary:
    """Enqueue a mix of jobs, drain them with a real worker, and report what happened."""
    where = "the server at --database-url" if database_url else "an embedded PostgreSQL"
    say(f"Starting a throwaway database on {where} ...")
    with throwaway_database(database_url) as url, JobForgeClient(url) as client:
        tenant = uuid.uuid4()
        started = time.perf_counter()
        receipts = client.enqueue_jobs(
            JobSpec(tenant_id=tenant, type="demo.greet", payload={"name": f"user-{i}"})
            for i in range(greetings)
        )
        enqueue_seconds = time.perf_counter() - started
        say(f"Enqueued {len(receipts)} greetings in one round trip ({enqueue_seconds:.3f} s).")

        first = client.enqueue_job(
            tenant_id=tenant, type="demo.greet", payload={"name": "Ada"}, idempotency_key="ada"
        )
        again = client.enqueue_job(
            tenant_id=tenant, type="demo.greet", payload={"name": "Ada"}, idempotency_key="ada"
        )
        say(f"Idempotent enqueue: same job both times: {first.id == again.id}.")

        client.create_trigger(
            tenant_id=tenant, name="welcome", event_type="user.signed_up", job_type="demo.greet"
        )
        fired = client.fire_event(
            tenant_id=tenant, event_type="user.signed_up", payload={"name": "Grace"}
        )
        say(f"Event user.signed_up created {len(fired)} job(s) through its trigger.")

        ledger = [
            client.enqueue_job(
                tenant_id=tenant,
                type="demo.ledger.step",
                payload={"account": "acct-1", "step": step},
                ordering_key="acct-1",
            )
            for step in range(5)
        ]
        client.enqueue_job(
            tenant_id=tenant,
            type="demo.flaky",
            payload={},
            max_attempts=3,
            backoff_base_seconds=0.05,
            backoff_cap_seconds=0.05,
        )
        client.enqueue_job(tenant_id=tenant, type="demo.refuse", payload={"bad": True})

        say("Running a worker until every job has finished ...")
        drain_started = time.perf_counter()
        _drain(url, client)
        drain_seconds = time.perf_counter() - drain_started

        ledger_results = [client.get_result(receipt.id) for receipt in ledger]
        finished_order = sorted(
            (result.finished_at, result.output["step"])
            for result in ledger_results
            if result is not None and isinstance(result.output, dict)
        )
        states = Counter(
            {(row["type"], row["state"]): int(row["jobs"]) for row in client.queue_stats()}
        )
        sample = client.get_result(receipts[0].id)
        total = sum(states.values())
        return DemoSummary(
            jobs=total,
            states=dict(sorted(states.items())),
            enqueue_seconds=enqueue_seconds,
            drain_seconds=drain_seconds,
            idempotent_repeat_same_job=first.id == again.id,
            event_jobs=len(fired),
            ledger_order=[step for _, step in finished_order],
            sample_output=sample.output if sample else None,
        )


def _drain(url: str, client: JobForgeClient) -> None:
    worker = Worker(
        url,
        registry=demo_registry,
        config=WorkerConfig(concurrency=8, batch_size=200, poll_interval_seconds=0.05),
    )
    thread = threading.Thread(target=worker.run, name="jobforge-demo-worker")
    thread.start()
    deadline = time.monotonic() + DRAIN_DEADLINE_SECONDS
    stop = threading.Event()
    try:
        while time.monotonic() < deadline:
            unfinished = sum(
                int(row["jobs"])
                for row in client.queue_stats()
                if row["state"] in UNFINISHED_STATES
            )
            if unfinished == 0:
                return
            stop.wait(PROGRESS_CHECK_SECONDS)
        raise JobForgeError(f"the demo jobs did not finish within {DRAIN_DEADLINE_SECONDS:.0f} s")
    finally:
        worker.stop()
        thread.join()


def format_summary(summary: DemoSummary) -> str:
    lines = [
        "",
        f"{'job type':<20} {'state':<15} {'jobs':>7}",
        f"{'-' * 20} {'-' * 15} {'-' * 7}",
    ]
    lines += [
        f"{job_type:<20} {state:<15} {count:>7}"
        for (job_type, state), count in summary.states.items()
    ]
    rate = summary.jobs / summary.drain_seconds if summary.drain_seconds else 0.0
    lines += [
        "",
        f"{summary.jobs} jobs finished in {summary.drain_seconds:.2f} s ({rate:,.0f} jobs/s, "
        "results recorded).",
        f"Ordered ledger steps ran in order: {summary.ledger_order}.",
        "demo.flaky failed once and succeeded on retry; demo.refuse was dead-lettered.",
        f"A recorded result: {summary.sample_output}",
        "The throwaway database is gone.",
    ]
    return "\n".join(lines)
