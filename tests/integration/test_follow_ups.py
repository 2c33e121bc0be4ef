"""Follow-up jobs through the real worker and PostgreSQL: enqueued with the completion of the
attempt that asks for them, never for a failed one, once however often it is sent."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest

from jobforge import HandlerRegistry, JobContext
from jobforge.client import JobForgeClient
from jobforge.errors import SchemaNotMigrated
from jobforge.follow_ups import default_idempotency_key
from tests.integration.support import claim, connect, enqueue, job, wait_until
from tests.integration.worker_support import FAST_RETRY, run_burst

RENEWAL_KEY = "settler:contract-42:renewal-reminder:2027-01-01"
DRAIN_SECONDS = 30


def schedule(payload: dict[str, Any], ctx: JobContext) -> dict[str, Any]:
    """Three follow-ups: at once, in a day (by delay), and by an explicit key at a time."""
    ctx.follow_up("fu.step", {"step": 1, "of": payload["name"]})
    ctx.follow_up("fu.step", {"step": 2}, delay_seconds=86400, priority=7, max_attempts=2)
    ctx.follow_up(
        "fu.remind",
        {"contract": "contract-42"},
        idempotency_key=payload.get("key", RENEWAL_KEY),
        run_at=datetime(2999, 1, 1, tzinfo=UTC),
    )
    return {"scheduled": 3}


@pytest.fixture
def registry() -> HandlerRegistry:
    registry = HandlerRegistry()
    registry.register("fu.parent", schedule)
    return registry


@pytest.fixture
def conn(database_url: str) -> Iterator[psycopg.Connection[dict[str, Any]]]:
    with connect(database_url) as conn:
        yield conn


def test_follow_ups_are_enqueued_with_the_parents_completion(
    database_url: str, client: JobForgeClient, registry: HandlerRegistry, tenant_id: uuid.UUID
) -> None:
    parent = client.enqueue_job(
        tenant_id=tenant_id, type="fu.parent", payload={"name": "p"}, trace_id="trace-of-p"
    )
    report = run_burst(database_url, registry)  # claims fu.parent only: no handler for steps
    assert (report.succeeded, report.errors) == (1, [])

    finished = client.get_job(parent.id)
    assert finished.state == "succeeded"
    assert finished.started_at is not None
    children = client.get_follow_ups(parent.id)
    assert [(c.type, c.payload) for c in children] == [
        ("fu.step", {"step": 1, "of": "p"}),
        ("fu.step", {"step": 2}),
        ("fu.remind", {"contract": "contract-42"}),
    ]
    for child in children:
        assert (child.tenant_id, child.trace_id, child.parent_job_id) == (
            tenant_id,
            "trace-of-p",
            parent.id,
        )
        assert (child.state, child.attempts) == ("queued", 0)
    first, second, remind = children
    # ctx.now of a live attempt is its claim time (the job's started_at).
    assert first.run_at <= datetime.now(UTC)
    assert second.run_at == finished.started_at + timedelta(days=1)
    assert remind.run_at == datetime(2999, 1, 1, tzinfo=UTC)
    assert (second.priority, second.max_attempts) == (7, 2)
    assert (first.priority, first.max_attempts) == (0, 5)
    assert [c.idempotency_key for c in children] == [
        default_idempotency_key(parent.id, 0),
        default_idempotency_key(parent.id, 1),
        RENEWAL_KEY,
    ]

    [result] = client.get_results(parent.id)
    assert [(f["index"], f["job_id"], f["created"]) for f in result.follow_ups] == [
        (0, str(first.id), True),
        (1, str(second.id), True),
        (2, str(remind.id), True),
    ]
    events = [e for e in result.decision_trace if e["decision"] == "follow_up"]
    assert [(e["job_type"], e["idempotency_key"]) for e in events] == [
        (c.type, c.idempotency_key) for c in children
    ]
    assert datetime.fromisoformat(events[1]["run_at"]) == second.run_at
    assert [e["payload_sha256"] for e in events] == [f["payload_sha256"] for f in result.follow_ups]


def test_a_failed_attempt_enqueues_none_and_its_retry_enqueues_them_once(
    database_url: str, client: JobForgeClient, tenant_id: uuid.UUID
) -> None:
    def flaky(payload: Any, ctx: JobContext) -> None:
        ctx.follow_up("fu.step", {"attempt": ctx.attempt})
        ctx.follow_up("fu.step", {"shared": True}, idempotency_key="once")
        if ctx.attempt < 3:
            raise RuntimeError(f"attempt {ctx.attempt} fails after asking")

    registry = HandlerRegistry()
    registry.register("fu.flaky", flaky)
    parent = client.enqueue_job(tenant_id=tenant_id, type="fu.flaky", payload={}, **FAST_RETRY)
    wait_until(
        lambda: run_burst(database_url, registry) and client.get_job(parent.id).is_finished,
        DRAIN_SECONDS,
        "the parent to succeed on its third attempt",
    )
    assert client.get_job(parent.id).state == "succeeded"
    children = client.get_follow_ups(parent.id)
    assert [c.payload for c in children] == [{"attempt": 3}, {"shared": True}]
    results = client.get_results(parent.id)
    assert [r.outcome for r in results] == ["failed", "failed", "succeeded"]
    assert [r.follow_ups is None for r in results] == [True, True, False]
    # The failed attempts' traces show what they asked for, and that they failed.
    decisions = [e["decision"] for e in results[0].decision_trace]
    assert decisions[-3:] == ["follow_up", "follow_up", "failed"]
    with connect(database_url) as conn:
        [row] = conn.execute(
            "SELECT count(*) AS n FROM jobforge.jobforge_jobs WHERE type = 'fu.step'"
        ).fetchall()
    assert row["n"] == 2


def test_an_explicit_key_makes_one_job_across_parents(
    database_url: str, client: JobForgeClient, registry: HandlerRegistry, tenant_id: uuid.UUID
) -> None:
    first = client.enqueue_job(tenant_id=tenant_id, type="fu.parent", payload={"name": "a"})
    run_burst(database_url, registry)
    second = client.enqueue_job(tenant_id=tenant_id, type="fu.parent", payload={"name": "b"})
    run_burst(database_url, registry)

    [shared] = [c for c in client.get_follow_ups(first.id) if c.type == "fu.remind"]
    assert [c.type for c in client.get_follow_ups(second.id)] == ["fu.step", "fu.step"]
    [result] = client.get_results(second.id)
    remind = result.follow_ups[2]
    assert (remind["job_id"], remind["created"]) == (str(shared.id), False)
    assert client.get_job(shared.id).parent_job_id == first.id
    with connect(database_url) as conn:
        [row] = conn.execute(
            "SELECT count(*) AS n FROM jobforge.jobforge_jobs WHERE type = 'fu.remind'"
        ).fetchall()
    assert row["n"] == 1


def test_parents_sharing_a_key_in_one_batch_make_one_job(
    database_url: str, client: JobForgeClient, registry: HandlerRegistry, tenant_id: uuid.UUID
) -> None:
    parents = [
        client.enqueue_job(tenant_id=tenant_id, type="fu.parent", payload={"name": str(n)})
        for n in range(6)
    ]
    report = run_burst(database_url, registry, concurrency=3)
    assert report.succeeded == 6
    results = [client.get_results(p.id)[0] for p in parents]
    reminders = {r.follow_ups[2]["job_id"] for r in results}
    assert len(reminders) == 1
    assert sorted(r.follow_ups[2]["created"] for r in results) == [False] * 5 + [True]
    steps = [len(client.get_follow_ups(p.id)) for p in parents]
    assert sum(steps) == 6 * 2 + 1


def test_a_key_reused_with_another_payload_fails_the_parent_naming_it(
    database_url: str, client: JobForgeClient, registry: HandlerRegistry, tenant_id: uuid.UUID
) -> None:
    taken = client.enqueue_job(
        tenant_id=tenant_id, type="fu.remind", payload={"other": 1}, idempotency_key="taken"
    )
    parent = client.enqueue_job(
        tenant_id=tenant_id, type="fu.parent", payload={"name": "p", "key": "taken"}
    )
    report = run_burst(database_url, registry)
    assert report.dead == 1
    finished = client.get_job(parent.id)
    assert finished.state == "dead"
    assert finished.last_error["kind"] == "result_rejected"
    message = finished.last_error["message"]
    assert f"follow_ups[2] (fu.remind) of job {parent.id}" in message
    assert f"idempotency key taken is already used by job {taken.id}" in message
    assert client.get_follow_ups(parent.id) == []  # none of its follow-ups stayed


def test_a_follow_up_jobforge_cannot_enqueue_fails_the_attempt_at_once(
    database_url: str, client: JobForgeClient, tenant_id: uuid.UUID
) -> None:
    def backdated(payload: Any, ctx: JobContext) -> None:
        ctx.follow_up("fu.step", {}, run_at=ctx.now - timedelta(days=1))

    registry = HandlerRegistry()
    registry.register("fu.backdated", backdated)
    parent = client.enqueue_job(tenant_id=tenant_id, type="fu.backdated", payload={})
    report = run_burst(database_url, registry)
    assert report.dead == 1
    error = client.get_job(parent.id).last_error
    assert error["kind"] == "invalid_follow_up"
    assert error["message"].startswith("follow_ups[0] (fu.step).run_at: ")
    assert "is before ctx.now" in error["message"]


def test_async_handlers_ask_the_same_way(
    database_url: str, client: JobForgeClient, tenant_id: uuid.UUID
) -> None:
    async def chain(payload: Any, ctx: JobContext) -> None:
        ctx.follow_up("fu.step", {"next": 1})

    registry = HandlerRegistry()
    registry.register("fu.async", chain)
    parent = client.enqueue_job(tenant_id=tenant_id, type="fu.async", payload={})
    run_burst(database_url, registry)
    assert [c.payload for c in client.get_follow_ups(parent.id)] == [{"next": 1}]


def complete_with(
    conn: psycopg.Connection[Any], worker_id: str, job_id: uuid.UUID, follow_ups: list[Any]
) -> list[uuid.UUID]:
    document = [{"job_id": str(job_id), "attempt": 1, "output": None, "follow_ups": follow_ups}]
    rows = conn.execute(
        "SELECT * FROM jobforge.jobforge_complete_jobs_with_follow_ups(%s, %s::jsonb) AS c(id)",
        (worker_id, json.dumps(document)),
    ).fetchall()
    return [row["id"] for row in rows]


def step(key: str, **fields: Any) -> dict[str, Any]:
    return {"type": "fu.step", "payload": {"key": key}, "idempotency_key": key, **fields}


def children_of(conn: psycopg.Connection[Any], parent: uuid.UUID) -> list[dict[str, Any]]:
    return [
        dict(row)
        for row in conn.execute(
            "SELECT id, type, payload, tenant_id, trace_id FROM jobforge.jobforge_jobs "
            "WHERE parent_job_id = %s ORDER BY seq",
            (parent,),
        )
    ]


def test_a_completion_sent_again_enqueues_nothing_more(
    conn: psycopg.Connection[Any], tenant_id: uuid.UUID
) -> None:
    """A reporter that lost the connection after the commit sends its batch again."""
    parent = enqueue(conn, tenant_id, "fu.parent")
    claim(conn, "w")
    assert complete_with(conn, "w", parent, [step("a"), step("b")]) == [parent]
    assert complete_with(conn, "w", parent, [step("a"), step("b")]) == []
    assert [c["payload"] for c in children_of(conn, parent)] == [{"key": "a"}, {"key": "b"}]


@pytest.mark.parametrize("how", ["not claimed", "another worker", "stale attempt", "canceled"])
def test_an_attempt_not_held_enqueues_nothing(
    conn: psycopg.Connection[Any], tenant_id: uuid.UUID, how: str
) -> None:
    parent = enqueue(conn, tenant_id, "fu.parent")
    worker_id = "w"
    if how != "not claimed":
        claim(conn, "w")
    if how == "another worker":
        worker_id = "someone-else"
    elif how == "stale attempt":
        conn.execute(
            "UPDATE jobforge.jobforge_jobs SET attempts = 2, max_attempts = 5 WHERE id = %s",
            (parent,),
        )
    elif how == "canceled":
        conn.execute("SELECT * FROM jobforge.jobforge_cancel_job(%s)", (parent,))
    assert complete_with(conn, worker_id, parent, [step("a")]) == []
    assert children_of(conn, parent) == []
    assert list(conn.execute("SELECT 1 FROM jobforge.jobforge_job_results")) == []


def test_the_parent_row_decides_tenant_trace_and_parent(
    conn: psycopg.Connection[Any], tenant_id: uuid.UUID
) -> None:
    parent = enqueue(conn, tenant_id, "fu.parent", trace_id="the-parents")
    claim(conn, "w")
    forged = step(
        "a", tenant_id=str(uuid.uuid4()), trace_id="forged", parent_job_id=str(uuid.uuid4())
    )
    assert complete_with(conn, "w", parent, [forged]) == [parent]
    [child] = children_of(conn, parent)
    assert (child["tenant_id"], child["trace_id"]) == (tenant_id, "the-parents")


def test_a_replays_follow_ups_are_recorded_not_enqueued(
    conn: psycopg.Connection[Any], tenant_id: uuid.UUID
) -> None:
    context = {"now": "2000-01-01T00:00:00+00:00", "seed": 0, "connector_responses": []}
    parent = enqueue(conn, tenant_id, "fu.parent", replay_context=context)
    claim(conn, "w")
    assert complete_with(conn, "w", parent, [step("a", run_at="2000-01-02T00:00:00Z")]) == [parent]
    assert children_of(conn, parent) == []
    [row] = conn.execute(
        "SELECT follow_ups FROM jobforge.jobforge_job_results WHERE job_id = %s", (parent,)
    ).fetchall()
    assert row["follow_ups"] == [
        {
            "index": 0,
            "type": "fu.step",
            "payload": {"key": "a"},
            "idempotency_key": "a",
            "run_at": "2000-01-02T00:00:00Z",
        }
    ]
    assert job(conn, parent)["state"] == "succeeded"


def test_attempts_with_and_without_follow_ups_complete_together(
    conn: psycopg.Connection[Any], tenant_id: uuid.UUID
) -> None:
    plain, asking = enqueue(conn, tenant_id, "fu.a"), enqueue(conn, tenant_id, "fu.b")
    claim(conn, "w")
    document = [
        {"job_id": str(plain), "attempt": 1, "output": {"n": 1}},
        {"job_id": str(asking), "attempt": 1, "output": None, "follow_ups": [step("x")]},
    ]
    rows = conn.execute(
        "SELECT * FROM jobforge.jobforge_complete_jobs_with_follow_ups('w', %s) AS c(id)",
        (json.dumps(document),),
    ).fetchall()
    assert {row["id"] for row in rows} == {plain, asking}
    follow_ups = {
        row["job_id"]: row["follow_ups"]
        for row in conn.execute("SELECT job_id, follow_ups FROM jobforge.jobforge_job_results")
    }
    assert follow_ups[plain] is None
    assert [f["type"] for f in follow_ups[asking]] == ["fu.step"]


def test_a_schema_without_follow_ups_is_reported_as_unmigrated(
    database_url: str, tenant_id: uuid.UUID
) -> None:
    """Reading a job names the column version 4 added: the advice is to migrate."""
    with connect(database_url) as owner:
        owner.execute("ALTER TABLE jobforge.jobforge_jobs DROP COLUMN parent_job_id")
    with JobForgeClient(database_url) as client:
        receipt = client.enqueue_job(tenant_id=tenant_id, type="a.b", payload={})
        with pytest.raises(SchemaNotMigrated, match="run `jobforge migrate`"):
            client.get_job(receipt.id)


def test_follow_ups_run_like_any_job_under_the_parents_trace(
    database_url: str, client: JobForgeClient, registry: HandlerRegistry, tenant_id: uuid.UUID
) -> None:
    parent = client.enqueue_job(tenant_id=tenant_id, type="fu.parent", payload={"name": "p"})
    run_burst(database_url, registry)

    def run_step(payload: Any, ctx: JobContext) -> dict[str, Any]:
        return {"trace": ctx.trace_id, "step": payload["step"]}

    steps = HandlerRegistry()
    steps.register("fu.step", run_step)
    run_burst(database_url, steps)  # the first step is due; the second runs tomorrow
    first, second, _ = client.get_follow_ups(parent.id)
    [result] = client.get_results(first.id)
    assert result.output == {"trace": client.get_job(parent.id).trace_id, "step": 1}
    assert client.get_job(second.id).state == "queued"
