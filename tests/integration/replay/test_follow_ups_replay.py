"""Follow-ups on replay: recorded in the trace and the result, never enqueued, judged against
a golden's expected_follow_ups and between runs; `replay --job` compares them too."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from jobforge.client import JobForgeClient
from jobforge.context import JobContext
from jobforge.handlers import HandlerRegistry
from jobforge.replay.cases import GoldenSpec
from jobforge.replay.engine import GoldenOutcome, run_goldens
from jobforge.replay.recorded import ReplayVerdict, replay_recorded_job
from tests.integration.support import connect
from tests.integration.worker_support import run_burst

EXPIRES = "2000-03-01T00:00:00+00:00"


def activate(payload: dict[str, Any], ctx: JobContext) -> dict[str, Any]:
    """A contract lifecycle step: a reminder 30 days before expiry, then the expiry."""
    contract, expires = payload["contract"], datetime.fromisoformat(payload["expires"])
    ctx.follow_up(
        "settler.reminder",
        {"contract": contract, "kind": "renewal"},
        idempotency_key=f"settler:{contract}:renewal-reminder",
        run_at=expires - timedelta(days=30),
    )
    ctx.follow_up("settler.expire", {"contract": contract}, run_at=expires)
    return {"state": "active"}


def stamps_the_wall_clock(payload: Any, ctx: JobContext) -> dict[str, str]:
    ctx.follow_up("settler.audit", {"at": time.time_ns()})
    return {"state": "active"}


registry = HandlerRegistry()
registry.register("settler.activate", activate)
registry.register("settler.stamp", stamps_the_wall_clock)


def golden(name: str, job_type: str = "settler.activate", **fields: Any) -> GoldenSpec:
    defaults: dict[str, Any] = {
        "input": {"contract": "c-42", "expires": EXPIRES},
        "expected_output": {"state": "active"},
    }
    return GoldenSpec(
        name=name,
        path=Path(f"goldens/{name}.yaml"),
        line=1,
        job_type=job_type,
        tenant_id=str(uuid.uuid4()),
        **{**defaults, **fields},
    )


def run(database_url: str, *goldens: GoldenSpec) -> list[GoldenOutcome]:
    return run_goldens(database_url, goldens, registry=registry, job_types={})


EXPECTED = (
    {
        "job_type": "settler.reminder",
        "payload": {"kind": "renewal"},
        "run_at": "2000-01-31T00:00:00Z",  # 30 days before 2000-03-01
        "idempotency_key": "settler:c-42:renewal-reminder",
    },
    {"job_type": "settler.expire", "payload": {"contract": "c-42"}, "run_at": EXPIRES},
)


def test_expected_follow_ups_pass_and_nothing_is_enqueued(database_url: str) -> None:
    [outcome] = run(database_url, golden("ok", expected_follow_ups=EXPECTED))
    assert outcome.passed, outcome.problems
    assert len(outcome.job_ids) == 2  # run twice: default keys differ, follow-ups do not
    with connect(database_url) as conn:
        types = [row["type"] for row in conn.execute("SELECT type FROM jobforge.jobforge_jobs")]
    assert sorted(types) == ["settler.activate", "settler.activate"]
    with JobForgeClient(database_url) as client:
        [result] = client.get_results(outcome.job_ids[0])
    assert [f["payload"] for f in result.follow_ups] == [
        {"contract": "c-42", "kind": "renewal"},
        {"contract": "c-42"},
    ]
    assert [e["job_type"] for e in result.decision_trace if e["decision"] == "follow_up"] == [
        "settler.reminder",
        "settler.expire",
    ]


def test_wrong_expected_follow_ups_fail_naming_what_differs(database_url: str) -> None:
    wrong = (
        {**EXPECTED[0], "payload": {"kind": "expiry"}, "run_at": "2000-02-01T00:00:00Z"},
        {"job_type": "settler.terminate"},
    )
    too_few = (EXPECTED[0],)
    outcomes = run(
        database_url,
        golden("wrong", expected_follow_ups=wrong),
        golden("too few", expected_follow_ups=too_few),
        golden("none expected", expected_follow_ups=()),
        golden("not checked"),
    )
    by_name = {outcome.golden.name: outcome.problems for outcome in outcomes}
    payload, run_at, job_type = by_name["wrong"]
    assert payload.startswith("expected_follow_ups[0].payload is not contained")
    assert run_at.startswith("expected_follow_ups[0].run_at is 2000-02-01T00:00:00Z")
    assert job_type.startswith("expected_follow_ups[1].job_type is settler.terminate")
    assert by_name["too few"] == [
        "expected_follow_ups lists 1 follow-up(s), the handler asked for 2 "
        "(settler.reminder, settler.expire)"
    ]
    assert by_name["none expected"][0].startswith("expected_follow_ups lists 0 follow-up(s)")
    assert by_name["not checked"] == []


def test_follow_ups_that_differ_between_two_runs_are_not_deterministic(
    database_url: str,
) -> None:
    [outcome] = run(database_url, golden("clock", "settler.stamp"))
    [problem] = outcome.problems
    assert problem.startswith(
        "not deterministic: two runs of the same input asked for different follow-ups"
    )
    assert "--- first run" in problem
    assert "settler.audit" in problem


@pytest.fixture
def recorded(database_url: str, tenant_id: uuid.UUID) -> Iterator[tuple[JobForgeClient, uuid.UUID]]:
    """A live run of settler.activate, whose two follow-ups were enqueued."""
    with JobForgeClient(database_url) as client:
        receipt = client.enqueue_job(
            tenant_id=tenant_id,
            type="settler.activate",
            payload={"contract": "c-7", "expires": "2999-01-01T00:00:00+00:00"},
        )
        run_burst(database_url, registry)
        assert len(client.get_follow_ups(receipt.id)) == 2
        yield client, receipt.id


def count_jobs(database_url: str) -> int:
    with connect(database_url) as conn:
        row = conn.execute("SELECT count(*) AS n FROM jobforge.jobforge_jobs").fetchone()
    assert row is not None
    return int(row["n"])


def test_replaying_a_recorded_job_compares_its_follow_ups_and_enqueues_none(
    database_url: str, recorded: tuple[JobForgeClient, uuid.UUID]
) -> None:
    client, job_id = recorded
    before = count_jobs(database_url)
    replay = replay_recorded_job(client, job_id, registry=registry, job_types={})
    assert replay.verdict is ReplayVerdict.REPRODUCED, replay.report
    assert "and the same 2 follow-up job(s)" in replay.report
    assert count_jobs(database_url) == before


def test_a_replay_asking_for_other_follow_ups_differs(
    database_url: str, recorded: tuple[JobForgeClient, uuid.UUID]
) -> None:
    client, job_id = recorded

    def activate_later(payload: dict[str, Any], ctx: JobContext) -> dict[str, Any]:
        ctx.follow_up("settler.expire", {"contract": payload["contract"]}, delay_seconds=60)
        return {"state": "active"}

    changed = HandlerRegistry()
    changed.register("settler.activate", activate_later)
    before = count_jobs(database_url)
    replay = replay_recorded_job(client, job_id, registry=changed, job_types={})
    assert replay.verdict is ReplayVerdict.FOLLOW_UPS_DIFFER
    assert not replay.matches
    first_line, *diff = replay.report.splitlines()
    assert first_line.startswith("differs: artifact hash ")
    assert "(2 recorded, 1 replayed; none were enqueued)" in first_line
    assert any(line.startswith("-settler.reminder") for line in diff)
    assert count_jobs(database_url) == before


def test_the_traced_run_at_is_the_enqueued_one(
    recorded: tuple[JobForgeClient, uuid.UUID],
) -> None:
    """The trace says when each follow-up runs, as the job was enqueued."""
    client, job_id = recorded
    [result] = client.get_results(job_id)
    [reminder, _] = client.get_follow_ups(job_id)
    [event, _] = [e for e in result.decision_trace if e["decision"] == "follow_up"]
    assert datetime.fromisoformat(event["run_at"]) == reminder.run_at
    assert reminder.run_at > datetime.now(UTC)
