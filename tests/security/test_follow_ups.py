"""Follow-up jobs, attacked by tenant A's worker role with a SQL prompt.

``jobforge_complete_jobs_with_follow_ups`` inserts jobs for a worker, which holds no
producer grant. It must insert only for an attempt the caller holds, of a tenant it holds
a worker grant for, into that tenant, and only what enqueue would accept. The ``attack``
fixture checks afterwards that tenant B's rows did not change.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any

import psycopg
import pytest

from jobforge.client.json_limits import MAX_JSON_BYTES
from tests.integration.support import connect
from tests.security.conftest import PERMISSION_DENIED, World, attempt

# What these attacks meet is a function body, the same under any default privileges (the
# catalogue tests prove the privileges equal), so they run on the plain database only.
pytestmark = pytest.mark.parametrize("database_url", ["plain"], indirect=True)

Attack = Callable[[str], psycopg.Connection[dict[str, Any]]]
COMPLETE = "SELECT * FROM jobforge.jobforge_complete_jobs_with_follow_ups(%s, %s)"
CHECK_VIOLATION = "23514"


def follow_up(key: str = "k", **fields: Any) -> dict[str, Any]:
    return {"type": "evil.job", "payload": {"n": 1}, "idempotency_key": key, **fields}


def results(job_id: uuid.UUID | str, *follow_ups: Any, attempt: int = 1) -> str:
    return json.dumps(
        [{"job_id": str(job_id), "attempt": attempt, "output": {}, "follow_ups": list(follow_ups)}]
    )


def jobs_of_type(world: World, job_type: str = "evil.job") -> list[dict[str, Any]]:
    with connect(world.owner_url) as owner:
        return [
            dict(row)
            for row in owner.execute(
                "SELECT tenant_id, parent_job_id, trace_id FROM jobforge.jobforge_jobs "
                "WHERE type = %s",
                (job_type,),
            )
        ]


def claim_own_job(world: World, worker_id: str = "attacker") -> uuid.UUID:
    """A running job of the attacker's own tenant, held by ``worker_id``, attempt 1."""
    with connect(world.owner_url) as owner:
        [row] = owner.execute(
            "SELECT job_id FROM jobforge.jobforge_enqueue_job(%s, 'own.parent', '{}')",
            (world.tenant_a,),
        ).fetchall()
        owner.execute(
            "SELECT * FROM jobforge.jobforge_claim_jobs(%s, 1, 300, ARRAY['own.parent'])",
            (worker_id,),
        )
    return uuid.UUID(str(row["job_id"]))


@pytest.mark.parametrize(
    ("worker_id", "state"),
    [("victim-worker", "running"), ("victim-worker", "queued"), ("attacker", "running")],
)
def test_a_worker_cannot_make_follow_ups_from_another_tenants_attempt(
    world: World, attack: Attack, worker_id: str, state: str
) -> None:
    """Even naming the lease holder's worker id and attempt, B's running job is out of reach:
    nothing is completed, and no follow-up appears in either tenant."""
    victim = world.victim_jobs[state]
    outcome = attempt(attack("worker"), COMPLETE, (worker_id, results(victim, follow_up())))
    assert outcome == []
    assert jobs_of_type(world) == []


@pytest.mark.parametrize("how", ["another worker id", "stale attempt", "not claimed"])
def test_a_worker_cannot_make_follow_ups_for_an_attempt_it_does_not_hold(
    world: World, attack: Attack, how: str
) -> None:
    own = claim_own_job(world, worker_id="the-real-holder")
    worker_id, attempt_number = "attacker", 1
    if how == "another worker id":
        pass
    elif how == "stale attempt":
        worker_id, attempt_number = "the-real-holder", 2
    else:
        own = world.own_jobs["queued"]
        worker_id = "the-real-holder"
    outcome = attempt(
        attack("worker"),
        COMPLETE,
        (worker_id, results(own, follow_up(), attempt=attempt_number)),
    )
    assert outcome == []
    assert jobs_of_type(world) == []


def test_the_parent_row_names_tenant_trace_and_parent_whatever_the_caller_says(
    world: World, attack: Attack
) -> None:
    own = claim_own_job(world, worker_id="attacker")
    forged = follow_up(
        tenant_id=str(world.tenant_b),
        trace_id="forged",
        parent_job_id=str(world.victim_jobs["running"]),
        replay_context={"now": "2000-01-01T00:00:00Z", "seed": 1, "connector_responses": []},
    )
    outcome = attempt(attack("worker"), COMPLETE, ("attacker", results(own, forged)))
    assert outcome == [{"jobforge_complete_jobs_with_follow_ups": own}]
    with connect(world.owner_url) as owner:
        [parent] = owner.execute(
            "SELECT trace_id FROM jobforge.jobforge_jobs WHERE id = %s", (own,)
        ).fetchall()
        [child] = owner.execute(
            "SELECT tenant_id, parent_job_id, trace_id, replay_context "
            "FROM jobforge.jobforge_jobs WHERE type = 'evil.job'"
        ).fetchall()
    assert child == {
        "tenant_id": world.tenant_a,
        "parent_job_id": own,
        "trace_id": parent["trace_id"],
        "replay_context": None,
    }


def test_a_key_of_another_tenants_job_finds_nothing_of_it(world: World, attack: Attack) -> None:
    """B's queued job has type queued.job and key "key"; the same type and key from A's
    attempt makes A's own job, and nothing returned names B's."""
    own = claim_own_job(world, worker_id="attacker")
    probe = {"type": "queued.job", "payload": {"secret": "guess"}, "idempotency_key": "key"}
    # A's own queued.job under "key" holds another payload: the conflict names A's job only.
    outcome = attempt(attack("worker"), COMPLETE, ("attacker", results(own, probe)))
    assert isinstance(outcome, psycopg.Error)
    assert outcome.sqlstate == "JF001"
    assert str(world.own_jobs["queued"]) in str(outcome)
    world.assert_nothing_leaked([str(outcome), outcome.diag.message_detail])
    fresh = {**probe, "idempotency_key": "fresh"}
    assert attempt(attack("worker"), COMPLETE, ("attacker", results(own, fresh))) != []
    tenants = [row["tenant_id"] for row in jobs_of_type(world, "queued.job")]
    assert sorted(map(str, tenants)) == sorted(
        map(str, [world.tenant_a, world.tenant_a, world.tenant_b])
    )


def nested(depth: int) -> Any:
    return json.loads("[" * depth + "]" * depth)


@pytest.mark.parametrize(
    ("payload", "problem"),
    [
        ({"p": "x" * (MAX_JSON_BYTES + 10)}, "above the limit of 1048576"),
        ({"deep": nested(70)}, "nested deeper than 64"),
        ({"n": 10**400}, "beyond the range of a double"),
    ],
    ids=["1 MiB and more", "70 deep", "1e400"],
)
def test_payloads_no_worker_could_decode_are_refused(
    world: World, attack: Attack, payload: Any, problem: str
) -> None:
    own = claim_own_job(world, worker_id="attacker")
    document = results(own, follow_up(payload=payload))
    outcome = attempt(attack("worker"), COMPLETE, ("attacker", document))
    assert isinstance(outcome, psycopg.Error), outcome
    assert outcome.sqlstate == "JF005"
    assert problem in str(outcome)
    assert jobs_of_type(world) == []
    assert_still_running(world, own)


def assert_still_running(world: World, job_id: uuid.UUID) -> None:
    """A refused completion completes nothing: the parent keeps its lease and no result."""
    with connect(world.owner_url) as owner:
        [row] = owner.execute(
            "SELECT state::text AS state, (SELECT count(*) FROM jobforge.jobforge_job_results r "
            "WHERE r.job_id = j.id) AS results FROM jobforge.jobforge_jobs j WHERE id = %s",
            (job_id,),
        ).fetchall()
    assert row == {"state": "running", "results": 0}


TYPE_CONFUSED: list[tuple[str, Any, str]] = [
    ("follow_ups a string", "evil", "JF005"),
    ("follow_ups an object", {"type": "evil.job"}, "JF005"),
    ("a follow-up an array", [["evil.job"]], "JF005"),
    ("type a number", [follow_up(type=5)], "JF005"),
    ("type not a job type", [follow_up(type="Evil Job")], CHECK_VIOLATION),
    ("no payload", [{"type": "evil.job", "idempotency_key": "k"}], "JF005"),
    ("no key", [{"type": "evil.job", "payload": {}}], "JF005"),
    ("key null", [follow_up(key=None)], "JF005"),
    ("key too long", [follow_up(key="k" * 513)], CHECK_VIOLATION),
    ("key empty", [follow_up(key="")], CHECK_VIOLATION),
    ("priority a string", [follow_up(priority="high")], "JF005"),
    ("priority a fraction", [follow_up(priority=1.5)], "22P02"),
    ("priority out of range", [follow_up(priority=10**6)], CHECK_VIOLATION),
    ("max_attempts huge", [follow_up(max_attempts=10**12)], "22003"),
    ("max_attempts zero", [follow_up(max_attempts=0)], CHECK_VIOLATION),
    ("run_at infinity", [follow_up(run_at="infinity")], CHECK_VIOLATION),
    ("run_at not a time", [follow_up(run_at="next tuesday")], "22007"),
    ("run_at a number", [follow_up(run_at=1)], "JF005"),
    ("payload_sha256 an object", [follow_up(payload_sha256={})], "JF005"),
    ("1001 follow-ups", [follow_up(key=str(n)) for n in range(1001)], "JF005"),
]


@pytest.mark.parametrize(
    ("follow_ups", "sqlstate"),
    [case[1:] for case in TYPE_CONFUSED],
    ids=[case[0] for case in TYPE_CONFUSED],
)
def test_type_confused_follow_ups_are_refused_whole(
    world: World, attack: Attack, follow_ups: Any, sqlstate: str
) -> None:
    good, own = claim_own_job(world, "attacker"), claim_own_job(world, "attacker")
    document = json.dumps(
        [
            # A good follow-up next to the bad one must not get through either.
            {"job_id": str(good), "attempt": 1, "output": {}, "follow_ups": [follow_up("good")]},
            {"job_id": str(own), "attempt": 1, "output": {}, "follow_ups": follow_ups},
        ]
    )
    outcome = attempt(attack("worker"), COMPLETE, ("attacker", document))
    assert isinstance(outcome, psycopg.Error), outcome
    assert outcome.sqlstate == sqlstate, outcome
    assert jobs_of_type(world) == []
    assert_still_running(world, own)
    assert_still_running(world, good)


@pytest.mark.parametrize(
    "document",
    ["{}", '"x"', "null", "[1]", '[{"job_id": "not-a-uuid", "attempt": 1}]'],
)
def test_malformed_result_documents_are_refused(
    world: World, attack: Attack, document: str
) -> None:
    outcome = attempt(attack("worker"), COMPLETE, ("attacker", document))
    assert isinstance(outcome, psycopg.Error), outcome
    assert outcome.sqlstate in {"JF005", "22P02", "22023"}, outcome


def test_the_same_job_twice_in_one_call_is_refused(world: World, attack: Attack) -> None:
    own = claim_own_job(world, worker_id="attacker")
    one = {"job_id": str(own), "attempt": 1, "follow_ups": [follow_up("a")]}
    twice = {"job_id": str(own).upper(), "attempt": 1, "follow_ups": [follow_up("b")]}
    outcome = attempt(attack("worker"), COMPLETE, ("attacker", json.dumps([one, twice])))
    assert isinstance(outcome, psycopg.Error)
    assert outcome.sqlstate == "JF005"
    assert jobs_of_type(world) == []


def test_producers_cannot_complete_with_follow_ups(world: World, attack: Attack) -> None:
    outcome = attempt(
        attack("producer"), COMPLETE, ("w", results(world.own_jobs["running"], follow_up()))
    )
    assert isinstance(outcome, psycopg.Error)
    assert outcome.sqlstate == PERMISSION_DENIED


def test_the_shape_check_is_owner_only(world: World, attack: Attack) -> None:
    for kind in ("producer", "worker"):
        outcome = attempt(attack(kind), "SELECT jobforge.jobforge_follow_up_problem('[]'::jsonb)")
        assert isinstance(outcome, psycopg.Error)
        assert outcome.sqlstate == PERMISSION_DENIED
