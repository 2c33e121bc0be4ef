"""Attacks on discarding dead letters (jobforge_discard_job): a producer discards only its
own tenants' dead jobs, a worker role cannot call it, and no other state is changed by it.
Each runs as the attacker's role over a real connection; tenant B's rows are checked by
the ``attack`` fixture afterwards."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import psycopg
import pytest

from tests.integration.support import connect
from tests.security.conftest import PERMISSION_DENIED, World, attempt

Attack = Callable[[str], psycopg.Connection[dict[str, Any]]]

DISCARD = "SELECT * FROM jobforge.jobforge_discard_job(%s)"


def own_job(world: World, name: str) -> dict[str, Any]:
    with connect(world.owner_url) as owner:
        row = owner.execute(
            "SELECT * FROM jobforge.jobforge_jobs WHERE id = %s",
            (world.own_jobs[name],),
        ).fetchone()
    assert row is not None
    return dict(row)


def own_results(world: World, name: str) -> list[dict[str, Any]]:
    with connect(world.owner_url) as owner:
        return [
            dict(row)
            for row in owner.execute(
                "SELECT * FROM jobforge.jobforge_job_results WHERE job_id = %s ORDER BY attempt",
                (world.own_jobs[name],),
            )
        ]


@pytest.mark.parametrize("state", ["dead", "queued", "running", "succeeded"])
def test_a_producer_cannot_discard_another_tenants_job(
    world: World, attack: Attack, state: str
) -> None:
    supplied = (world.victim_jobs[state],)
    outcome = attempt(attack("producer"), DISCARD, supplied)
    assert isinstance(outcome, psycopg.Error), outcome
    # The same answer as for a job that does not exist: nothing says the id is taken.
    assert outcome.sqlstate == "JF004"
    received = [str(outcome), outcome.diag.message_detail, outcome.diag.message_hint]
    world.assert_nothing_leaked(received, supplied=supplied)


@pytest.mark.parametrize("whose", ["own", "victim"])
def test_a_worker_role_cannot_call_it(world: World, attack: Attack, whose: str) -> None:
    jobs = world.own_jobs if whose == "own" else world.victim_jobs
    before = own_job(world, "dead")
    outcome = attempt(attack("worker"), DISCARD, (jobs["dead"],))
    assert isinstance(outcome, psycopg.Error), outcome
    assert outcome.sqlstate == PERMISSION_DENIED
    assert own_job(world, "dead") == before


@pytest.mark.parametrize("state", ["queued", "running", "succeeded"])
def test_a_job_that_is_not_dead_is_left_as_it_stands(
    world: World, attack: Attack, state: str
) -> None:
    before, results = own_job(world, state), own_results(world, state)
    outcome = attempt(attack("producer"), DISCARD, (world.own_jobs[state],))
    assert not isinstance(outcome, Exception), outcome
    assert [row["id"] for row in outcome] == [world.own_jobs[state]]
    assert own_job(world, state) == before
    assert own_results(world, state) == results


def test_an_own_dead_job_is_canceled_keeping_its_record(world: World, attack: Attack) -> None:
    before, results = own_job(world, "dead"), own_results(world, "dead")
    producer = attack("producer")
    statement = "SELECT id, state::text AS state FROM jobforge.jobforge_discard_job(%s)"
    [discarded] = attempt(producer, statement, (world.own_jobs["dead"],))
    assert discarded == {"id": world.own_jobs["dead"], "state": "canceled"}
    after = own_job(world, "dead")
    assert after["updated_at"] >= before["updated_at"]
    unchanged = {"state", "updated_at"}
    assert {k: v for k, v in after.items() if k not in unchanged} == {
        k: v for k, v in before.items() if k not in unchanged
    }
    assert after["last_error"] is not None
    assert after["finished_at"] is not None
    assert own_results(world, "dead") == results
    # Discarding again changes nothing, and no worker claims it.
    again = attempt(producer, statement, (world.own_jobs["dead"],))
    assert again == [discarded]
    claimed = attempt(attack("worker"), "SELECT id FROM jobforge.jobforge_claim_jobs("
                      "'own-worker', 10, 30, ARRAY['dead.job'])")  # fmt: skip
    assert claimed == []
