"""The worker on a bad day: poison rows, handlers that raise anything, connections that
are cut, attempts abandoned by a timeout, batches the database refuses."""

from __future__ import annotations

import threading
import uuid
from typing import Any

import psycopg
import pytest
from psycopg.rows import tuple_row

from jobforge import HandlerRegistry, JobContext
from jobforge.client import JobForgeClient, JobSpec
from jobforge.db.json_loading import UndecodableJson
from jobforge.db.queries import query
from jobforge.worker import Worker, WorkerConfig, WorkerReport
from jobforge.worker.execution import ClaimedJob, Outcome, Records, Succeeded, failure
from jobforge.worker.outcome_writer import OutcomeWriter
from tests.integration.support import connect, wait_until
from tests.integration.worker_support import FAST_RETRY, run_burst

WAIT_SECONDS = 60


class Background:
    """A long-running worker on a thread, stopped (and joined) by the test."""

    def __init__(self, database_url: str, registry: HandlerRegistry, **options: Any) -> None:
        config = WorkerConfig(poll_interval_seconds=0.05, **options)
        self.worker = Worker(database_url, registry=registry, config=config)
        self.report: WorkerReport | None = None
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            self.report = self.worker.run()
        except BaseException as exc:  # noqa: BLE001 - the test asserts on it
            self.error = exc

    def stop(self) -> WorkerReport:
        self.worker.stop()
        self._thread.join(timeout=WAIT_SECONDS)
        assert not self._thread.is_alive(), "the worker did not stop"
        assert self.error is None, repr(self.error)
        assert self.report is not None
        return self.report


def states(database_url: str) -> dict[str, int]:
    with connect(database_url) as conn:
        rows = conn.execute(
            "SELECT state::text AS state, count(*) AS n FROM jobforge.jobforge_jobs GROUP BY 1"
        ).fetchall()
    return {row["state"]: row["n"] for row in rows}


def successes_per_job(database_url: str) -> dict[uuid.UUID, int]:
    with connect(database_url) as conn:
        rows = conn.execute(
            "SELECT j.id, count(r.job_id) FILTER (WHERE r.outcome = 'succeeded') AS n "
            "FROM jobforge.jobforge_jobs j "
            "LEFT JOIN jobforge.jobforge_job_results r ON r.job_id = j.id GROUP BY j.id"
        ).fetchall()
    return {row["id"]: row["n"] for row in rows}


# -- poison rows ----------------------------------------------------------------------------

POISON = {
    "nested 10,000 deep": "[" * 10_000 + "]" * 10_000,
    "an integer of 5,001 digits": "[1e5000]",
}


def insert_poison(database_url: str, tenant_id: uuid.UUID, job_type: str) -> list[uuid.UUID]:
    """Rows only an older schema (or the owner with the limits switched off) could hold."""
    with connect(database_url) as owner, owner.transaction():
        owner.execute(
            "ALTER TABLE jobforge.jobforge_jobs DISABLE TRIGGER jobforge_jobs_payload_limits"
        )
        ids = []
        for payload in POISON.values():
            row = owner.execute(
                "INSERT INTO jobforge.jobforge_jobs (id, tenant_id, type, payload, trace_id) "
                "VALUES (gen_random_uuid(), %s, %s, %s::jsonb, 't') RETURNING id",
                (tenant_id, job_type, payload),
            ).fetchone()
            assert row is not None
            ids.append(row["id"])
        owner.execute(
            "ALTER TABLE jobforge.jobforge_jobs ENABLE TRIGGER jobforge_jobs_payload_limits"
        )
    return ids


def test_a_row_that_cannot_be_decoded_fails_alone(
    database_url: str, client: JobForgeClient, tenant_id: uuid.UUID
) -> None:
    """Version 2 decoded the whole claimed batch at once: a poison row raised, the worker
    exited 1, and every job of the batch (other tenants' too) waited for its lease, again
    on every restart, until all were dead."""
    registry = HandlerRegistry()
    registry.register("mixed.job", lambda payload, ctx: {"ok": True})
    good = [
        r.id
        for r in client.enqueue_jobs(
            [JobSpec(tenant_id=uuid.uuid4(), type="mixed.job", payload={"n": n}) for n in range(20)]
        )
    ]
    poison = insert_poison(database_url, tenant_id, "mixed.job")
    report = run_burst(database_url, registry, batch_size=100)
    assert (report.succeeded, report.dead, report.errors) == (20, 2, [])
    for job_id in good:
        assert client.get_job(job_id).state == "succeeded"
    for job_id in poison:
        job = client.get_job(job_id)
        assert (job.state, job.attempts) == ("dead", 1)
        assert job.last_error["kind"] == "undecodable_payload"
        assert job.last_error["message"].startswith("the payload cannot be decoded: ")


# -- handlers raising anything ----------------------------------------------------------------


class Abort(BaseException):
    """Neither Exception nor one of Python's own: what some libraries raise to unwind."""


@pytest.mark.parametrize(
    "raised",
    [SystemExit(3), KeyboardInterrupt(), Abort("unwinding")],
    ids=lambda e: type(e).__name__,
)
@pytest.mark.parametrize("style", ["sync", "async"])
def test_a_handler_raising_a_base_exception_ends_its_attempt_only(
    database_url: str,
    client: JobForgeClient,
    tenant_id: uuid.UUID,
    raised: BaseException,
    style: str,
) -> None:
    """Version 2 lost the handler thread: the job stayed running, heartbeated for ever, and
    went back to queued at shutdown with its attempt uncounted, so it never died."""

    def explode(payload: Any, ctx: JobContext) -> None:
        raise raised

    async def explode_async(payload: Any, ctx: JobContext) -> None:
        raise raised

    registry = HandlerRegistry()
    registry.register("bad.job", explode if style == "sync" else explode_async)
    registry.register("good.job", lambda payload, ctx: {"ok": True})
    bad = client.enqueue_job(
        tenant_id=tenant_id, type="bad.job", payload={}, max_attempts=2, **FAST_RETRY
    )
    good = client.enqueue_jobs(
        [JobSpec(tenant_id=tenant_id, type="good.job", payload={"n": n}) for n in range(10)]
    )
    wait_until(
        lambda: (
            run_burst(database_url, registry, concurrency=2) and client.get_job(bad.id).is_finished
        ),
        WAIT_SECONDS,
        "the bad job to die",
    )
    job = client.get_job(bad.id)
    assert (job.state, job.attempts) == ("dead", 2)
    assert job.last_error["exception"].endswith(type(raised).__qualname__)
    assert [r.outcome for r in client.get_results(bad.id)] == ["failed", "dead"]
    assert all(client.get_job(r.id).state == "succeeded" for r in good)


# -- connections cut under the worker -----------------------------------------------------------


KILLS_BEFORE_THE_REST = 5


def terminate_worker_backends(
    database_url: str, stop: threading.Event, count: list[int], enough: threading.Event
) -> None:
    """What a failover, an admin or an idle-session timeout does to the worker's sessions;
    ``enough`` is set once a few were cut."""
    database = psycopg.conninfo.conninfo_to_dict(database_url)["dbname"]
    with connect(database_url) as admin:
        while not stop.wait(0.15):
            rows = admin.execute(
                "SELECT pg_terminate_backend(pid) AS gone FROM pg_stat_activity "
                "WHERE datname = %s AND application_name = 'jobforge' AND pid <> pg_backend_pid()",
                (database,),
            ).fetchall()
            count[0] += sum(1 for row in rows if row["gone"])
            if count[0] >= KILLS_BEFORE_THE_REST:
                enough.set()


def test_terminated_connections_are_reopened_and_no_job_is_lost_or_doubled(
    database_url: str, client: JobForgeClient, tenant_id: uuid.UUID
) -> None:
    """Version 2 exited 1 when its claim connection was terminated (57P01)."""
    jobs = 2_000
    enough = threading.Event()

    def steady(payload: dict[str, int], ctx: JobContext) -> dict[str, int]:
        if payload["n"] >= jobs // 10:  # the rest run while connections are being cut
            enough.wait(WAIT_SECONDS)
        return {"n": payload["n"]}

    registry = HandlerRegistry()
    registry.register("steady.job", steady)
    client.enqueue_jobs(
        [JobSpec(tenant_id=tenant_id, type="steady.job", payload={"n": n}) for n in range(jobs)]
    )
    background = Background(database_url, registry, concurrency=4, batch_size=50, lease_seconds=2)
    stop, terminated = threading.Event(), [0]
    killer = threading.Thread(
        target=terminate_worker_backends,
        args=(database_url, stop, terminated, enough),
        daemon=True,
    )
    killer.start()
    try:
        wait_until(
            lambda: states(database_url).get("succeeded", 0) >= jobs // 2,
            WAIT_SECONDS,
            "half the jobs while connections are being cut",
        )
    finally:
        stop.set()
        enough.set()
        killer.join(timeout=WAIT_SECONDS)
    wait_until(
        lambda: states(database_url) == {"succeeded": jobs}, WAIT_SECONDS, "every job to finish"
    )
    background.stop()
    assert terminated[0] >= KILLS_BEFORE_THE_REST, "too few connections were cut to prove it"
    assert set(successes_per_job(database_url).values()) == {1}


# -- an abandoned attempt and the next one ---------------------------------------------------------


def test_an_abandoned_attempt_does_not_swallow_the_next_attempt(
    database_url: str, client: JobForgeClient, tenant_id: uuid.UUID
) -> None:
    """Attempt 1 times out; its thread is abandoned but keeps running. Attempt 2 runs on
    the same worker. Version 2 tracked claimed jobs by id alone, so attempt 1's thread,
    returning at last, removed attempt 2's entry: attempt 2 lost its heartbeat, its
    timeout and its outcome."""
    first_release, second_started, second_release = (
        threading.Event(), threading.Event(), threading.Event(),
    )  # fmt: skip

    def slow_then_fast(payload: Any, ctx: JobContext) -> dict[str, int]:
        if ctx.attempt == 1:
            first_release.wait(WAIT_SECONDS)
        else:
            second_started.set()
            second_release.wait(WAIT_SECONDS)
        return {"attempt": ctx.attempt}

    registry = HandlerRegistry()
    registry.register("slow.job", slow_then_fast, timeout_seconds=0.3)
    receipt = client.enqueue_job(tenant_id=tenant_id, type="slow.job", payload={}, **FAST_RETRY)
    background = Background(database_url, registry, concurrency=1)
    try:
        assert second_started.wait(WAIT_SECONDS), "attempt 2 never started"
        first_release.set()  # attempt 1's abandoned thread returns now
        wait_until(
            lambda: not any(t.name.endswith("handler-0") and t.is_alive()
                            for t in threading.enumerate()),
            WAIT_SECONDS, "attempt 1's thread to return",
        )  # fmt: skip
        second_release.set()
        wait_until(lambda: client.get_job(receipt.id).is_finished, WAIT_SECONDS, "attempt 2")
    finally:
        first_release.set()
        second_release.set()
        report = background.stop()
    job = client.get_job(receipt.id)
    assert (job.state, job.attempts) == ("succeeded", 2)
    results = client.get_results(receipt.id)
    assert [(r.attempt, r.outcome) for r in results] == [(1, "failed"), (2, "succeeded")]
    assert results[1].output == {"attempt": 2}
    assert report.succeeded == 1


# -- a batch the database refuses ------------------------------------------------------------------


def test_a_batch_written_again_row_by_row_is_counted_once(
    database_url: str, client: JobForgeClient, tenant_id: uuid.UUID
) -> None:
    """A failure the database refuses rolls back the batch it came in; the batch is then
    written row by row. Version 2 counted (and logged) the batch's successes twice."""
    with connect(database_url) as owner:
        owner.execute(
            "CREATE FUNCTION public.refuse_marked_error() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "BEGIN IF NEW.error ->> 'message' = 'refuse me' THEN "
            "RAISE EXCEPTION 'injected fault' USING ERRCODE = 'XX001'; END IF; RETURN NEW; END $$"
        )
        owner.execute(
            "CREATE TRIGGER refuse_marked_error BEFORE INSERT ON jobforge.jobforge_job_results "
            "FOR EACH ROW EXECUTE FUNCTION public.refuse_marked_error()"
        )
    client.enqueue_jobs(
        [JobSpec(tenant_id=tenant_id, type="batch.job", payload={"n": n}) for n in range(3)]
    )
    with connect(database_url) as conn:
        jobs = [
            ClaimedJob.from_claim_row(row)
            for row in conn.cursor(row_factory=tuple_row).execute(
                query("claim_jobs"),
                {"worker_id": "w", "limit": 3, "lease_seconds": 30, "job_types": None},
            )
        ]
    records = Records('"input_snapshot":{},"decision_trace":[],"input_sha256":"x"')
    batch: list[Outcome] = [
        Succeeded(job=job, output_json="{}", artifact_sha256="y", records=records)
        for job in jobs[:2]
    ]
    batch.append(failure(jobs[2], "exception", "refuse me", retryable=False))
    report = WorkerReport()
    writer = OutcomeWriter(database_url, "w", report, threading.Event())
    try:
        writer.write(batch)
    finally:
        writer.close()
    assert (report.succeeded, report.dead, len(report.errors)) == (2, 0, 1)
    assert states(database_url) == {"running": 1, "succeeded": 2}


def test_the_client_shows_a_poison_job_with_the_reason(
    database_url: str, client: JobForgeClient, tenant_id: uuid.UUID
) -> None:
    [deep, _] = insert_poison(database_url, tenant_id, "any.job")
    job = client.get_job(deep)
    assert isinstance(job.payload, UndecodableJson)
    assert job.payload.reason == "nested too deeply for the JSON decoder"
    assert job.state == "queued"
