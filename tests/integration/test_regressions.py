"""Regression tests: each guards against a router bug that once existed, described in its
docstring (what went wrong and why it matters)."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Callable
from typing import Any

import psycopg
import pytest

from jobforge.client import JobForgeClient
from jobforge.client.models import JobSpec
from jobforge.client.requests import MAX_PAYLOAD_BYTES, enqueue_params
from jobforge.determinism.canonical import canonical_json
from jobforge.errors import InvalidArgument, JobForgeError
from jobforge.handlers import HandlerRegistry, default_registry, handler, register_handler
from jobforge.worker import Worker, WorkerConfig
from tests.conftest import TenantRole
from tests.integration.support import claim, connect, enqueue, job, results


def noop(payload: Any, ctx: Any) -> None:
    return None


# -- jobforge.determinism.canonical ------------------------------------------------------


@pytest.mark.parametrize("key", [1, 2.5, True, None], ids=["int", "float", "bool", "none"])
def test_canonical_json_refuses_non_string_keys(key: Any) -> None:
    """json.JSONEncoder silently turns int/float/bool/None keys into strings, so {1: "a"}
    and {"1": "a"} get the same bytes and hash, and the value does not round-trip."""
    with pytest.raises(InvalidArgument, match=r"^payload\.items\[0\]: object keys must be strings"):
        canonical_json({"items": [{key: "a"}]}, label="payload")


# -- jobforge.client.requests ------------------------------------------------------------


def test_payload_limit_counts_bytes_not_characters() -> None:
    """1.2 MB of UTF-8 in 600,000 characters passes the client's check (it compares the
    length of the str, not of its UTF-8 encoding) and is sent to the database."""
    payload = "é" * (MAX_PAYLOAD_BYTES * 6 // 10)
    assert len(canonical_json(payload)) > MAX_PAYLOAD_BYTES
    spec = JobSpec(tenant_id=uuid.uuid4(), type="a.b", payload=payload)
    with pytest.raises(InvalidArgument, match=r"job\.payload: \d+ bytes"):
        enqueue_params(spec)


# -- jobforge.handlers -------------------------------------------------------------------


def test_decorator_uses_the_given_empty_registry() -> None:
    """`registry or default_registry` treats an empty HandlerRegistry (len 0) as absent."""
    registry = HandlerRegistry()
    job_type = f"found.bug.decorator{uuid.uuid4().hex[:8]}"
    try:
        handler(job_type, registry=registry)(noop)
        assert job_type in registry
    finally:
        assert job_type not in default_registry, "the handler leaked into default_registry"


def test_register_handler_uses_the_given_empty_registry() -> None:
    registry = HandlerRegistry()
    job_type = f"found.bug.register{uuid.uuid4().hex[:8]}"
    try:
        register_handler(job_type, noop, registry=registry)
        assert job_type in registry
    finally:
        assert job_type not in default_registry, "the handler leaked into default_registry"


# -- sql/migrations/0001_router.sql ------------------------------------------------------


def test_backoff_accepts_every_unit_random_in_its_domain(database_url: str) -> None:
    """unit_random is documented as [0, 1); a subnormal value makes d / 2 * u underflow and
    PostgreSQL raises 22003 instead of returning d / 2."""
    with psycopg.connect(database_url) as conn:
        row = conn.execute("SELECT jobforge.jobforge_backoff_seconds(1, 1, 1, 5e-324)").fetchone()
    assert row is not None
    assert row[0] == pytest.approx(0.5)


def test_role_cannot_write_results_for_another_tenants_job(
    database_url: str, make_role: Callable[[], TenantRole]
) -> None:
    """The results policy checks only the row's tenant_id column, so a role granted T1 can
    insert a row claiming to be attempt 1 of T2's job (tenant_id = T1). The worker that
    really runs T2's job then fails with a unique violation on (job_id, attempt), and its
    whole complete batch (all tenants) is rejected."""
    t1, t2 = uuid.uuid4(), uuid.uuid4()
    role = make_role()
    with connect(database_url) as owner:
        for kind in ("producer", "worker"):
            owner.execute(
                "SELECT jobforge.jobforge_grant_tenant(%s, %s, %s)", (role.name, t1, kind)
            )
        victim = enqueue(owner, t2, "victim.job")
        claim(owner, "w")
    with connect(role.url) as attacker:
        try:
            attacker.execute(
                "INSERT INTO jobforge.jobforge_job_results "
                "(job_id, attempt, tenant_id, type, outcome, output, trace_id) "
                "VALUES (%s, 1, %s, 'victim.job', 'succeeded', '{\"forged\": true}', 'x')",
                (victim, t1),
            )
        except psycopg.Error:
            forged = False
        else:
            forged = True
    completion_error = None
    with connect(database_url) as owner:
        document = json.dumps([{"job_id": str(victim), "attempt": 1, "output": {"real": 1}}])
        try:
            owner.execute(
                "SELECT * FROM jobforge.jobforge_complete_jobs('w', %s::jsonb)", (document,)
            )
        except psycopg.Error as exc:
            completion_error = exc.sqlstate
        recorded = results(owner, victim)
    assert (forged, completion_error) == (False, None), (
        "a role granted T1 wrote a result row for T2's job; the real completion then failed"
    )
    assert [r["output"] for r in recorded] == [{"real": 1}]


# -- jobforge.worker ---------------------------------------------------------------------


def test_oversized_output_fails_its_job_and_only_its_job(database_url: str) -> None:
    """A handler returning more than 1 MiB passes the worker's checks; the database's
    jobforge_job_results_output_size check then rejects the whole complete statement, and
    the reporter drops the batch: that job and every job reported with it stay running
    until their leases lapse, then run again."""
    registry = HandlerRegistry()
    registry.register("big.output", lambda payload, ctx: "x" * (1024 * 1024 + 10))
    registry.register("small.output", lambda payload, ctx: {"ok": payload})
    tenant = uuid.uuid4()
    with JobForgeClient(database_url) as client:
        big = client.enqueue_job(tenant_id=tenant, type="big.output", payload={})
        small = client.enqueue_jobs(
            [JobSpec(tenant_id=tenant, type="small.output", payload=n) for n in range(20)]
        )
        config = WorkerConfig(burst=True, concurrency=1, poll_interval_seconds=0.05)
        report = Worker(database_url, registry=registry, config=config).run()
        big_job = client.get_job(big.id)
        small_states = {client.get_job(receipt.id).state for receipt in small}
    assert big_job.state == "dead", "the oversized job was left running, its outcome dropped"
    assert big_job.last_error["kind"] == "invalid_output"
    assert small_states == {"succeeded"}
    assert report.errors == []


def test_circular_output_fails_its_job_instead_of_hanging_the_worker(database_url: str) -> None:
    """Canonical JSON once checked an output's keys before encoding it: a structure that
    contained itself was walked for ever, hanging the handler thread and growing memory."""

    def looped(payload: Any, ctx: Any) -> Any:
        output: dict[str, Any] = {}
        output["self"] = output
        return output

    registry = HandlerRegistry()
    registry.register("looped.output", looped)
    with JobForgeClient(database_url) as client:
        receipt = client.enqueue_job(tenant_id=uuid.uuid4(), type="looped.output", payload={})
        config = WorkerConfig(burst=True, concurrency=1, poll_interval_seconds=0.05)
        Worker(database_url, registry=registry, config=config).run()
        finished = client.get_job(receipt.id)
    assert finished.state == "dead"
    assert finished.last_error["kind"] == "invalid_output"
    assert "circular reference" in finished.last_error["message"]


class _OddKind(Exception):
    error_kind = object()  # not a string: must not break the attempt's records


def test_exception_with_an_odd_error_kind_is_recorded_not_lost(database_url: str) -> None:
    """The worker renders each attempt's trace as canonical JSON; an exception class whose
    error_kind is not a string once made that rendering raise on the handler thread, which
    then died with the job still leased (and heartbeated) for ever."""

    def odd(payload: Any, ctx: Any) -> None:
        raise _OddKind("odd")

    registry = HandlerRegistry()
    registry.register("odd.kind", odd)
    registry.register("fine.after", noop)
    with JobForgeClient(database_url) as client:
        tenant = uuid.uuid4()
        odd_job = client.enqueue_job(tenant_id=tenant, type="odd.kind", payload={}, max_attempts=1)
        after = client.enqueue_job(tenant_id=tenant, type="fine.after", payload={})
        config = WorkerConfig(burst=True, concurrency=1, poll_interval_seconds=0.05)
        report = Worker(database_url, registry=registry, config=config).run()
        finished = client.get_job(odd_job.id)
        [recorded] = client.get_results(odd_job.id)
        assert client.get_job(after.id).state == "succeeded"
    assert (report.dead, report.succeeded) == (1, 1)
    assert finished.state == "dead"
    assert isinstance(finished.last_error["kind"], str)
    assert recorded.decision_trace[-1]["decision"] == "failed"


class _Unprintable(Exception):
    def __str__(self) -> str:
        raise RuntimeError("this exception cannot be printed")


def test_an_unprintable_exception_still_gives_its_job_an_outcome(database_url: str) -> None:
    """Describing a handler's exception runs the exception's own code (``__str__``). When
    that raised, nothing recorded the attempt: the handler thread died and the job stayed
    leased, its lease extended by heartbeats for as long as the worker ran."""

    def unprintable(payload: Any, ctx: Any) -> None:
        raise _Unprintable

    registry = HandlerRegistry()
    registry.register("unprintable.error", unprintable)
    registry.register("fine.after", noop)
    with JobForgeClient(database_url) as client:
        tenant = uuid.uuid4()
        bad = client.enqueue_job(
            tenant_id=tenant, type="unprintable.error", payload={}, max_attempts=1
        )
        after = client.enqueue_job(tenant_id=tenant, type="fine.after", payload={})
        config = WorkerConfig(burst=True, concurrency=1, poll_interval_seconds=0.05)
        report = Worker(database_url, registry=registry, config=config).run()
        finished = client.get_job(bad.id)
        assert client.get_job(after.id).state == "succeeded"
    assert (report.dead, report.succeeded) == (1, 1)
    assert finished.state == "dead"
    assert finished.last_error["kind"] == "exception"
    assert finished.last_error["exception"].endswith("._Unprintable")
    assert finished.last_error["message"] == "<_Unprintable: str() raised RuntimeError>"


class _BrokenKind(Exception):
    @property
    def error_kind(self) -> str:
        raise RuntimeError("no kind today")


def test_a_failure_around_the_handler_still_gives_its_job_an_outcome(database_url: str) -> None:
    """Whatever goes wrong after a handler returns or raises (here: reading the exception's
    error_kind) must still end the attempt with an outcome, or the job stays leased."""

    def broken(payload: Any, ctx: Any) -> None:
        raise _BrokenKind

    registry = HandlerRegistry()
    registry.register("broken.kind", broken)
    with JobForgeClient(database_url) as client:
        bad = client.enqueue_job(
            tenant_id=uuid.uuid4(), type="broken.kind", payload={}, max_attempts=1
        )
        config = WorkerConfig(burst=True, concurrency=1, poll_interval_seconds=0.05)
        report = Worker(database_url, registry=registry, config=config).run()
        finished = client.get_job(bad.id)
    assert report.dead == 1
    assert finished.last_error["kind"] == "worker_error"
    assert finished.last_error["message"] == (
        "the worker failed around the handler: RuntimeError: no kind today"
    )


# -- sql/migrations/0001_router.sql: jobforge.jobforge_enqueue_jobs --------------------------------

RACING_KEYS = 500


def test_batches_racing_over_the_same_keys_in_other_orders_do_not_deadlock(
    database_url: str, tenant_id: uuid.UUID
) -> None:
    """jobforge.jobforge_enqueue_jobs inserts keyed rows in input order (ORDER BY e.ord), so two
    clients enqueueing overlapping keys in different orders wait on each other's unique
    index entries: PostgreSQL aborts one with 40P01 (deadlock detected)."""
    keys = [f"key-{n}" for n in range(RACING_KEYS)]
    barrier = threading.Barrier(2)
    receipts: dict[str, list[Any]] = {}
    errors: list[str] = []

    def enqueue_in(name: str, order: list[str]) -> None:
        with JobForgeClient(database_url) as client:
            client.queue_stats()  # connected before the race starts
            barrier.wait(timeout=20)
            try:
                receipts[name] = client.enqueue_jobs(
                    JobSpec(tenant_id=tenant_id, type="race.batch", payload=k, idempotency_key=k)
                    for k in order
                )
            except JobForgeError as exc:
                errors.append(str(exc))

    threads = [
        threading.Thread(target=enqueue_in, args=("forward", keys)),
        threading.Thread(target=enqueue_in, args=("backward", keys[::-1])),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    forward = [receipt.id for receipt in receipts["forward"]]
    backward = [receipt.id for receipt in receipts["backward"]][::-1]
    assert forward == backward


def test_keyed_batch_keeps_enqueue_order_within_an_ordering_key(
    database_url: str, tenant_id: uuid.UUID
) -> None:
    """Regression from the deadlock fix (f2a1142): keyed rows are now inserted in
    (tenant, type, idempotency_key) order, so seq, which defines FIFO within an ordering
    key and the claim tie-break, follows the keys' sort order instead of enqueue order:
    step 2 (key "a") runs before step 0 (key "z")."""
    with JobForgeClient(database_url) as client:
        client.enqueue_jobs(
            JobSpec(
                tenant_id=tenant_id,
                type="ledger.step",
                payload={"step": step},
                idempotency_key=key,
                ordering_key="account-1",
            )
            for step, key in enumerate(["z", "m", "a"])
        )
    with connect(database_url) as conn:
        by_seq = conn.execute("SELECT payload FROM jobforge.jobforge_jobs ORDER BY seq").fetchall()
        first = claim(conn, "w")
        first_payload = job(conn, first[0]["id"])["payload"]
    assert [row["payload"]["step"] for row in by_seq] == [0, 1, 2]
    assert first_payload == {"step": 0}


@pytest.mark.parametrize(
    "payload",
    [[0] * 200_000, "x" * (MAX_PAYLOAD_BYTES - 2)],
    ids=["400KB-array-of-zeros", "exactly-1MiB-string"],
)
def test_payload_within_the_json_limit_is_accepted_by_the_database(
    database_url: str, tenant_id: uuid.UUID, payload: Any
) -> None:
    """The client limits a payload's JSON text to 1 MiB; the jobforge_jobs_payload_size
    check measures pg_column_size(jsonb), the binary form, which is up to ~10x larger for
    arrays of small numbers: a 400 KB payload is refused as "larger than the 1 MiB limit"."""
    assert len(canonical_json(payload)) <= MAX_PAYLOAD_BYTES
    with JobForgeClient(database_url) as client:
        receipt = client.enqueue_job(tenant_id=tenant_id, type="a.b", payload=payload)
    assert receipt.created


def test_nul_character_is_refused_naming_its_path() -> None:
    """Canonical JSON accepts U+0000, which jsonb cannot store; the database then refuses
    the whole batch with "unsupported Unicode escape sequence", naming neither job nor field.
    The client should refuse it up front, with the path (as it does for NaN or sets)."""
    spec = JobSpec(tenant_id=uuid.uuid4(), type="a.b", payload={"items": ["ok", "a\x00b"]})
    with pytest.raises(InvalidArgument, match=r"job\.payload\.items\[1\]: .*U\+0000"):
        enqueue_params(spec)


def test_failure_whose_message_holds_a_nul_is_still_recorded(database_url: str) -> None:
    """An exception message containing U+0000 (binary data in an error is common) makes
    jobforge.jobforge_fail_jobs refuse the failure (jsonb cannot store it); the worker drops it, so
    the job stays running until its lease lapses, and the worker exits 1."""

    def explode(payload: Any, ctx: Any) -> None:
        raise ValueError("unexpected byte \x00 in input")

    registry = HandlerRegistry()
    registry.register("nul.error", explode)
    with JobForgeClient(database_url) as client:
        receipt = client.enqueue_job(
            tenant_id=uuid.uuid4(), type="nul.error", payload={}, max_attempts=1
        )
        config = WorkerConfig(burst=True, poll_interval_seconds=0.05)
        report = Worker(database_url, registry=registry, config=config).run()
        job_row = client.get_job(receipt.id)
        recorded = client.get_results(receipt.id)
    assert job_row.state == "dead", "the failure was dropped and the job left running"
    assert "unexpected byte" in job_row.last_error["message"]
    assert [r.outcome for r in recorded] == ["dead"]
    assert report.errors == []
