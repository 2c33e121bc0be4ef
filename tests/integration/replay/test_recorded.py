"""`jobforge replay --job` underneath: replaying recorded attempts, failed ones included.

Each test runs the real worker against a real database, then changes the handlers'
outside world (``World``) and replays the recorded attempt, so a replay that reads the
world instead of the recording is caught.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from jobforge.client import JobForgeClient
from jobforge.connectors.registry import ConnectorRegistry
from jobforge.context import JobContext
from jobforge.handlers import HandlerRegistry
from jobforge.replay.recorded import (
    NoReplayHandler,
    RecordedReplay,
    ReplayUsageError,
    ReplayVerdict,
    replay_recorded_job,
)
from jobforge.worker import Worker, WorkerConfig, WorkerReport
from jobforge.worker.job_types import JobTypeContract
from tests.integration.support import connect

# A blocked handler gives up after this long, so a forgotten thread cannot outlive the run.
BLOCK_LIMIT_SECONDS = 60.0
HANDLER_TIMEOUT_SECONDS = 0.2


class CardDeclined(Exception):
    """The payment provider said no."""


class MailBounced(Exception):
    """The mailer accepted the call and reported a bounce."""


@dataclass
class World:
    """What the handlers see of the outside world right now."""

    decline_reason: str | None = "insufficient funds"
    fee: int = 1
    mail_status: str = "bounced"
    release: threading.Event = field(default_factory=threading.Event)


@dataclass
class Handlers:
    registry: HandlerRegistry
    connectors: ConnectorRegistry


def build_handlers(world: World) -> Handlers:
    registry = HandlerRegistry()
    connectors = ConnectorRegistry()

    def charge(payload: dict[str, Any], ctx: JobContext) -> dict[str, Any]:
        ctx.trace.decision("charging", amount=payload["amount"])
        if world.decline_reason is not None:
            raise CardDeclined(f"card declined: {world.decline_reason}")
        return {
            "charged": payload["amount"] + world.fee,
            "at": ctx.now.isoformat(),
            "reference": ctx.random.randint(0, 10**6),
        }

    def flaky(payload: dict[str, Any], ctx: JobContext) -> dict[str, Any]:
        if ctx.attempt == 1:
            raise TimeoutError("upstream timed out on the first attempt")
        return {"attempt": ctx.attempt, "reference": ctx.random.randint(0, 10**6)}

    def send_mail(payload: dict[str, Any], ctx: JobContext) -> dict[str, Any]:
        receipt = ctx.connector("mailer").call("send", {"to": payload["to"]})
        if receipt["status"] == "bounced":
            raise MailBounced(f"mail {receipt['id']} to {payload['to']} bounced")
        return {"message_id": receipt["id"]}

    def stuck(payload: dict[str, Any], ctx: JobContext) -> None:
        world.release.wait(BLOCK_LIMIT_SECONDS)

    registry.register("test.charge", charge)
    registry.register("test.flaky", flaky)
    registry.register("test.mail", send_mail)
    registry.register("test.stuck", stuck, timeout_seconds=HANDLER_TIMEOUT_SECONDS)
    connectors.register(
        "mailer", lambda operation, request: {"id": "m-1", "status": world.mail_status}
    )
    return Handlers(registry, connectors)


@pytest.fixture
def world() -> Iterator[World]:
    world = World()
    yield world
    world.release.set()  # frees the threads of handlers a test left blocked


@pytest.fixture
def handlers(world: World) -> Handlers:
    return build_handlers(world)


def run_worker(database_url: str, handlers: Handlers, **options: Any) -> WorkerReport:
    config = WorkerConfig(burst=True, poll_interval_seconds=0.05, **options)
    worker = Worker(
        database_url, registry=handlers.registry, config=config, connectors=handlers.connectors
    )
    return worker.run()


def enqueue(client: JobForgeClient, job_type: str, payload: Any, **options: Any) -> uuid.UUID:
    options.setdefault("max_attempts", 1)
    return client.enqueue_job(tenant_id=uuid.uuid4(), type=job_type, payload=payload, **options).id


def replay(
    client: JobForgeClient, handlers: Handlers, job_id: uuid.UUID, **options: Any
) -> RecordedReplay:
    return replay_recorded_job(
        client,
        job_id,
        registry=handlers.registry,
        job_types={},
        connectors=handlers.connectors,
        **options,
    )


def test_a_dead_job_whose_handler_raised_is_reproduced(
    database_url: str, client: JobForgeClient, handlers: Handlers
) -> None:
    job_id = enqueue(client, "test.charge", {"amount": 40})
    assert run_worker(database_url, handlers).dead == 1

    replayed = replay(client, handlers, job_id)

    assert (replayed.attempt, replayed.recorded_outcome) == (1, "dead")
    assert replayed.verdict is ReplayVerdict.REPRODUCED
    assert replayed.matches
    assert replayed.report.startswith("reproduced: the same failure")
    assert "CardDeclined" in replayed.report
    assert "card declined: insufficient funds" in replayed.report
    assert replayed.replayed_error is not None
    assert "raise CardDeclined" in replayed.replayed_error["traceback"]


def test_a_failed_attempt_before_a_retry_is_replayed_on_its_own_attempt_number(
    database_url: str, client: JobForgeClient, handlers: Handlers
) -> None:
    job_id = enqueue(
        client, "test.flaky", {}, max_attempts=2, backoff_base_seconds=3600,
        backoff_cap_seconds=3600,
    )  # fmt: skip
    assert run_worker(database_url, handlers).retried == 1

    first = replay(client, handlers, job_id)
    assert (first.attempt, first.recorded_outcome) == (1, "failed")
    assert first.verdict is ReplayVerdict.REPRODUCED
    assert "upstream timed out on the first attempt" in first.report

    with connect(database_url) as conn:
        conn.execute("UPDATE jobforge.jobforge_jobs SET run_at = now() WHERE id = %s", (job_id,))
    assert run_worker(database_url, handlers).succeeded == 1

    last = replay(client, handlers, job_id)
    assert (last.attempt, last.recorded_outcome) == (2, "succeeded")
    assert last.verdict is ReplayVerdict.REPRODUCED
    assert last.recorded_sha256 == last.replayed_sha256
    again = replay(client, handlers, job_id, attempt=1)
    assert (again.attempt, again.verdict) == (1, ReplayVerdict.REPRODUCED)


def test_a_failure_that_no_longer_happens_is_reported_with_the_new_output(
    database_url: str, client: JobForgeClient, handlers: Handlers, world: World
) -> None:
    job_id = enqueue(client, "test.charge", {"amount": 40})
    run_worker(database_url, handlers)
    world.decline_reason = None

    replayed = replay(client, handlers, job_id)

    assert replayed.verdict is ReplayVerdict.NOW_SUCCEEDS
    assert not replayed.matches
    assert "card declined: insufficient funds" in replayed.report
    assert "the replay succeeded" in replayed.report
    assert '"charged":41' in replayed.report


def test_another_failure_shows_both(
    database_url: str, client: JobForgeClient, handlers: Handlers, world: World
) -> None:
    job_id = enqueue(client, "test.charge", {"amount": 40})
    run_worker(database_url, handlers)
    world.decline_reason = "card expired"

    replayed = replay(client, handlers, job_id)

    assert replayed.verdict is ReplayVerdict.FAILURE_DIFFERS
    declined = f"exception ({CardDeclined.__module__}.CardDeclined): card declined"
    assert f"recorded: {declined}: insufficient funds\n" in replayed.report
    assert f"replayed: {declined}: card expired\n" in replayed.report


def test_a_success_whose_output_changed_shows_the_diff(
    database_url: str, client: JobForgeClient, handlers: Handlers, world: World
) -> None:
    world.decline_reason = None
    job_id = enqueue(client, "test.charge", {"amount": 40})
    assert run_worker(database_url, handlers).succeeded == 1
    world.fee = 2

    replayed = replay(client, handlers, job_id)

    assert replayed.verdict is ReplayVerdict.OUTPUT_DIFFERS
    assert "differing field(s): output.charged" in replayed.report
    assert replayed.recorded_sha256 != replayed.replayed_sha256


def test_a_success_that_now_fails_shows_the_failure(
    database_url: str, client: JobForgeClient, handlers: Handlers, world: World
) -> None:
    world.decline_reason = None
    job_id = enqueue(client, "test.charge", {"amount": 40})
    run_worker(database_url, handlers)
    world.decline_reason = "card stolen"

    replayed = replay(client, handlers, job_id)

    assert replayed.verdict is ReplayVerdict.NOW_FAILS
    assert "card declined: card stolen" in replayed.report


def test_a_failure_after_a_connector_call_replays_the_recorded_response(
    database_url: str, client: JobForgeClient, handlers: Handlers, world: World
) -> None:
    job_id = enqueue(client, "test.mail", {"to": "ada@example.com"})
    run_worker(database_url, handlers)
    world.mail_status = "sent"  # the live mailer would now accept: the recording must win

    replayed = replay(client, handlers, job_id)

    assert replayed.verdict is ReplayVerdict.REPRODUCED
    assert "mail m-1 to ada@example.com bounced" in replayed.report


def test_an_attempt_without_a_snapshot_is_replayed_from_the_job_payload(
    database_url: str, client: JobForgeClient, handlers: Handlers, world: World
) -> None:
    world.decline_reason = None
    job_id = enqueue(client, "test.charge", {"amount": 40})
    # A worker without the handler dead-letters the job before any snapshot is taken.
    empty = Handlers(HandlerRegistry(), ConnectorRegistry())
    assert run_worker(database_url, empty, claim_all_types=True).dead == 1
    [result] = client.get_results(job_id)
    assert result.input_snapshot is None

    replayed = replay(client, handlers, job_id)

    assert not replayed.from_snapshot
    assert replayed.verdict is ReplayVerdict.NOW_SUCCEEDS
    assert "recorded no input snapshot" in replayed.report
    assert '"charged":41' in replayed.report


def test_a_sync_handler_timeout_is_reproduced_within_the_timeout(
    database_url: str, client: JobForgeClient, handlers: Handlers
) -> None:
    job_id = enqueue(client, "test.stuck", {})
    assert run_worker(database_url, handlers).dead == 1

    replayed = replay(client, handlers, job_id)

    assert replayed.verdict is ReplayVerdict.REPRODUCED
    assert "timeout" in replayed.report


def test_a_job_type_without_a_handler_cannot_be_replayed(
    database_url: str, client: JobForgeClient, handlers: Handlers
) -> None:
    job_id = enqueue(client, "test.charge", {"amount": 40})
    run_worker(database_url, handlers)
    without = Handlers(HandlerRegistry(), ConnectorRegistry())

    with pytest.raises(NoReplayHandler) as caught:
        replay(client, without, job_id)

    assert caught.value.job_type == "test.charge"
    assert str(caught.value) == "no handler for job type test.charge"


def test_a_job_without_a_finished_attempt_cannot_be_replayed(
    client: JobForgeClient, handlers: Handlers
) -> None:
    job_id = enqueue(client, "test.charge", {"amount": 40})

    with pytest.raises(ReplayUsageError) as caught:
        replay(client, handlers, job_id)

    assert str(caught.value) == (
        f"job {job_id} has no recorded attempt yet (it is queued): replay needs a finished one"
    )


def test_an_attempt_that_was_not_recorded_names_those_that_were(
    database_url: str, client: JobForgeClient, handlers: Handlers
) -> None:
    job_id = enqueue(client, "test.charge", {"amount": 40})
    run_worker(database_url, handlers)

    with pytest.raises(ReplayUsageError) as caught:
        replay(client, handlers, job_id, attempt=3)

    assert str(caught.value) == f"job {job_id} has no recorded attempt 3 (recorded: 1)"


def contract(version: str, **schemas: Any) -> JobTypeContract:
    return JobTypeContract(runner_id="test.billing", runner_version=version, **schemas)


def test_contracts_are_enforced_as_the_live_worker_enforced_them(
    database_url: str, client: JobForgeClient, handlers: Handlers, world: World
) -> None:
    world.decline_reason = None
    strict = contract("1.1.0", input_schema={"type": "object", "required": ["currency"]})
    unchecked = enqueue(client, "test.charge", {"amount": 40})
    run_worker(database_url, handlers)
    checked = enqueue(client, "test.charge", {"amount": 40, "currency": "EUR"})
    worker = Worker(
        database_url, registry=handlers.registry, job_types={"test.charge": contract("1.0.0")},
        config=WorkerConfig(burst=True, poll_interval_seconds=0.05),
    )  # fmt: skip
    assert worker.run().succeeded == 1

    def replayed(job_id: uuid.UUID) -> RecordedReplay:
        return replay_recorded_job(
            client, job_id, registry=handlers.registry, job_types={"test.charge": strict}
        )

    # The live worker had no contract for this job: the replay does not check one either.
    assert replayed(unchecked).verdict is ReplayVerdict.REPRODUCED
    later = replayed(checked)
    assert later.verdict is ReplayVerdict.REPRODUCED
    assert "note: recorded with runner test.billing 1.0.0; its contract is now at 1.1.0" in (
        later.report
    )
