"""A tenant tampering with its own jobs: only the RPCs move a job, and only along the
lifecycle's legal transitions; a success always comes with exactly one result of its
attempt.

Version 1 granted tenant roles UPDATE on jobs and INSERT on results: a role could mark its
job succeeded with no result, rewrite a finished job's payload, reset a succeeded job to
queued (it then ran again and got a second success), set its lease to infinity so it was
never rescued, and forge a "succeeded" result for a queued job.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import psycopg
import pytest

from tests.integration.support import connect
from tests.security.conftest import PERMISSION_DENIED, World, attempt

Attack = Callable[[str], psycopg.Connection[dict[str, Any]]]

OWN_TAMPERING = [
    "UPDATE jobforge.jobforge_jobs SET state = 'succeeded', finished_at = now() "
    "WHERE id = '{queued}'",
    "UPDATE jobforge.jobforge_jobs SET payload = '{{\"rewritten\": true}}' "
    "WHERE id = '{succeeded}'",
    "UPDATE jobforge.jobforge_jobs SET state = 'queued', attempts = 0, finished_at = NULL "
    "WHERE id = '{succeeded}'",
    "UPDATE jobforge.jobforge_jobs SET lease_expires_at = 'infinity' WHERE id = '{running}'",
    "UPDATE jobforge.jobforge_jobs SET max_attempts = 1000, state = 'awaiting_retry' "
    "WHERE id = '{dead}'",
    "INSERT INTO jobforge.jobforge_job_results "
    "(job_id, attempt, tenant_id, type, outcome, output, trace_id) "
    "VALUES ('{queued}', 1, '{a}', 'queued.job', 'succeeded', '{{\"forged\": 1}}', 't')",
    "INSERT INTO jobforge.jobforge_job_results "
    "(job_id, attempt, tenant_id, type, outcome, trace_id) "
    "VALUES ('{running}', 1, '{a}', 'run.job', 'succeeded', 't')",
    "DELETE FROM jobforge.jobforge_job_results WHERE job_id = '{succeeded}'",
    "DELETE FROM jobforge.jobforge_jobs WHERE id = '{queued}'",
]


def own_rows(world: World) -> dict[str, list[dict[str, Any]]]:
    with connect(world.owner_url) as owner:
        return {
            "jobs": [
                dict(row)
                for row in owner.execute(
                    "SELECT * FROM jobforge.jobforge_jobs WHERE tenant_id = %s ORDER BY id",
                    (world.tenant_a,),
                )
            ],
            "results": [
                dict(row)
                for row in owner.execute(
                    "SELECT * FROM jobforge.jobforge_job_results WHERE tenant_id = %s "
                    "ORDER BY job_id, attempt",
                    (world.tenant_a,),
                )
            ],
        }


@pytest.mark.parametrize("kind", ["producer", "worker"])
@pytest.mark.parametrize("statement", OWN_TAMPERING)
def test_direct_changes_to_own_jobs_and_results_are_refused(
    world: World, attack: Attack, kind: str, statement: str
) -> None:
    before = own_rows(world)
    jobs = {name: str(job_id) for name, job_id in world.own_jobs.items()}
    outcome = attempt(attack(kind), statement.format(a=world.tenant_a, **jobs))
    assert isinstance(outcome, psycopg.Error), outcome
    assert outcome.sqlstate == PERMISSION_DENIED
    assert own_rows(world) == before


def results_of(world: World, name: str) -> list[dict[str, Any]]:
    with connect(world.owner_url) as owner:
        return [
            dict(row)
            for row in owner.execute(
                "SELECT attempt, outcome FROM jobforge.jobforge_job_results "
                "WHERE job_id = %s ORDER BY attempt",
                (world.own_jobs[name],),
            )
        ]


def state_of(world: World, name: str) -> str:
    with connect(world.owner_url) as owner:
        row = owner.execute(
            "SELECT state::text AS state FROM jobforge.jobforge_jobs WHERE id = %s",
            (world.own_jobs[name],),
        ).fetchone()
    assert row is not None
    return str(row["state"])


def test_a_success_is_recorded_once_for_the_attempt_that_ran(world: World, attack: Attack) -> None:
    worker = attack("worker")
    running = str(world.own_jobs["running"])
    done = [{"job_id": running, "attempt": 1, "output": {"n": 1}}]
    complete = "SELECT * FROM jobforge.jobforge_complete_jobs('own-worker', %s)"
    wrong_attempt = [{"job_id": running, "attempt": 2, "output": {"n": 2}}]
    assert attempt(worker, complete, (json.dumps(wrong_attempt),)) == []
    assert len(attempt(worker, complete, (json.dumps(done),))) == 1
    assert attempt(worker, complete, (json.dumps(done),)) == []
    failure = [{"job_id": running, "attempt": 1, "error": {"kind": "late"}}]
    assert attempt(worker, "SELECT * FROM jobforge.jobforge_fail_jobs('own-worker', %s)",
                   (json.dumps(failure),)) == []  # fmt: skip
    assert attempt(worker, "SELECT * FROM jobforge.jobforge_release_jobs('own-worker', %s)",
                   (json.dumps([{"job_id": running, "attempt": 1}]),)) == []  # fmt: skip
    assert state_of(world, "running") == "succeeded"
    assert results_of(world, "running") == [{"attempt": 1, "outcome": "succeeded"}]


def test_finished_jobs_stay_finished(world: World, attack: Attack) -> None:
    producer = attack("producer")
    succeeded = world.own_jobs["succeeded"]
    for statement in (
        "SELECT state::text AS state FROM jobforge.jobforge_cancel_job(%s)",
        "SELECT state::text AS state FROM jobforge.jobforge_requeue_job(%s, 3)",
    ):
        assert attempt(producer, statement, (succeeded,)) == [{"state": "succeeded"}]
    assert results_of(world, "succeeded") == [{"attempt": 1, "outcome": "succeeded"}]


def test_a_canceled_running_job_refuses_its_late_result(world: World, attack: Attack) -> None:
    producer, worker = attack("producer"), attack("worker")
    running = world.own_jobs["running"]
    canceled = attempt(
        producer, "SELECT state::text AS state FROM jobforge.jobforge_cancel_job(%s)", (running,)
    )
    assert canceled == [{"state": "canceled"}]
    late = attempt(worker, "SELECT jobforge.jobforge_complete_job('own-worker', %s, 1, '{}')",
                   (running,))  # fmt: skip
    assert isinstance(late, psycopg.Error)
    assert late.sqlstate == "JF002"
    assert results_of(world, "running") == []


def test_a_dead_job_comes_back_only_through_requeue(world: World, attack: Attack) -> None:
    producer, worker = attack("producer"), attack("worker")
    dead = world.own_jobs["dead"]
    again = attempt(producer, "SELECT state::text AS state, attempts, max_attempts "
                    "FROM jobforge.jobforge_requeue_job(%s, 1)", (dead,))  # fmt: skip
    assert again == [{"state": "awaiting_retry", "attempts": 1, "max_attempts": 2}]
    [claimed] = attempt(worker, "SELECT id, attempts FROM jobforge.jobforge_claim_jobs("
                        "'own-worker', 10, 30, ARRAY['dead.job'])")  # fmt: skip
    assert claimed == {"id": dead, "attempts": 2}
