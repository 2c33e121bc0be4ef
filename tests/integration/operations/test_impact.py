"""A job's impact: attempts, decision trace, artifact, trigger, follow-ups recursively."""

from __future__ import annotations

import json
import uuid
from typing import Any

import psycopg
import pytest

from jobforge.client import JobForgeClient
from jobforge.errors import JobNotFound
from jobforge.operations import get_impact
from jobforge.operations.impact import trigger_id_of
from tests.integration.operations.support import claim_one
from tests.integration.support import connect, enqueue, fail


def complete_with_follow_ups(
    conn: psycopg.Connection[Any], job_id: uuid.UUID, follow_ups: list[dict[str, Any]]
) -> list[uuid.UUID]:
    """Complete ``job_id``'s attempt as a worker does, asking for ``follow_ups``; the ids
    of the jobs they made, in the order asked."""
    attempt = claim_one(conn, job_id)["attempts"]
    document = [{
        "job_id": str(job_id), "attempt": attempt, "output": {"done": str(job_id)},
        "artifact_canonical": json.dumps({"done": str(job_id)}, separators=(",", ":")),
        "artifact_sha256": "ab" * 32, "decision_trace": [{"step": "chose", "why": "rule 7"}],
        "follow_ups": [{"idempotency_key": f"{job_id}/{i}", "payload": {}, **f}
                       for i, f in enumerate(follow_ups)],
    }]  # fmt: skip
    conn.execute(
        "SELECT * FROM jobforge.jobforge_complete_jobs_with_follow_ups('ops-worker', %s::jsonb)",
        (json.dumps(document),),
    )
    rows = conn.execute(
        "SELECT id FROM jobforge.jobforge_jobs WHERE parent_job_id = %s ORDER BY seq", (job_id,)
    ).fetchall()
    return [row["id"] for row in rows]


def test_the_tree_of_follow_ups(database_url: str, tenant_id: uuid.UUID) -> None:
    with connect(database_url) as conn:
        root = enqueue(conn, tenant_id, "flow.start", max_attempts=3)
        first_attempt = claim_one(conn, root)["attempts"]
        fail(conn, "ops-worker", root, first_attempt, retry_in_seconds=0)
        child_a, child_b = complete_with_follow_ups(
            conn, root, [{"type": "flow.a"}, {"type": "flow.b"}]
        )
        (grandchild,) = complete_with_follow_ups(conn, child_a, [{"type": "flow.c"}])
        unrelated = enqueue(conn, tenant_id, "flow.start")

        impact = get_impact(conn, root)
    assert impact.job_count == 4
    assert not impact.truncated
    assert impact.trace_id == impact.root.job.trace_id
    assert [a.outcome for a in impact.root.attempts] == ["failed", "succeeded"]
    assert impact.root.attempts[0].error == {"kind": "exception", "message": "boom"}
    assert impact.root.attempts[1].decision_trace == [{"step": "chose", "why": "rule 7"}]
    assert impact.root.attempts[1].artifact_canonical == json.dumps(
        {"done": str(root)}, separators=(",", ":")
    )
    assert impact.root.attempts[1].artifact_sha256 == "ab" * 32
    assert [child.job.id for child in impact.root.children] == [child_a, child_b]
    assert [n.job.id for n in impact.root.children[0].children] == [grandchild]
    # Only the inspected job's artifact and decision trace are read.
    assert impact.root.children[0].attempts[0].decision_trace is None
    assert impact.root.children[0].attempts[0].artifact_sha256 == "ab" * 32
    everyone = [impact.root, *impact.root.children, *impact.root.children[0].children]
    assert {node.job.trace_id for node in everyone} == {impact.trace_id}
    assert unrelated not in {node.job.id for node in everyone}


def test_the_tree_is_cut_at_its_limits(database_url: str, tenant_id: uuid.UUID) -> None:
    with connect(database_url) as conn:
        root = enqueue(conn, tenant_id, "chain.step")
        chain = [root]
        for _ in range(3):
            (next_job,) = complete_with_follow_ups(conn, chain[-1], [{"type": "chain.step"}])
            chain.append(next_job)
        assert get_impact(conn, root, max_depth=3).truncated is False
        cut = get_impact(conn, root, max_depth=2)
        assert cut.truncated
        assert cut.job_count == 3
        assert get_impact(conn, root, max_jobs=2).truncated


def test_a_trigger_made_job_names_its_trigger(database_url: str, tenant_id: uuid.UUID) -> None:
    with JobForgeClient(database_url) as client:
        trigger = client.create_trigger(
            tenant_id=tenant_id, name="on-signup", event_type="user:signed_up",
            job_type="mail.welcome",
        )  # fmt: skip
        (fired,) = client.fire_event(
            tenant_id=tenant_id, event_type="user:signed_up", payload={"user": 1},
            idempotency_key="user-1",
        )  # fmt: skip
    with connect(database_url) as conn:
        impact = get_impact(conn, fired.job_id)
        assert impact.root.trigger is not None
        assert (impact.root.trigger.id, impact.root.trigger.name) == (trigger, "on-signup")
        assert impact.root.trigger.event_type == "user:signed_up"
        conn.execute("DELETE FROM jobforge.jobforge_triggers WHERE id = %s", (trigger,))
        deleted = get_impact(conn, fired.job_id).root.trigger
        assert deleted is not None
        assert (deleted.id, deleted.name) == (trigger, None)
        with pytest.raises(JobNotFound):
            get_impact(conn, uuid.uuid4())


def test_trigger_keys() -> None:
    trigger = uuid.uuid4()
    assert trigger_id_of(f"event:a:b:c:{trigger}") == trigger
    assert trigger_id_of(f"mine:{trigger}") is None
    assert trigger_id_of(None) is None
