"""A real worker on a real database, a connector failing as scripted, and the connector's
metadata deciding the job's fate: retried in the call, queued, dead-lettered, failed fast.

The metadata is read from files as `jobforge worker run` reads it; the connector clock
never sleeps (its waits are recorded instead).
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest

from jobforge import HandlerRegistry, JobContext
from jobforge.cli.handler_loading import load_project_connector_policies
from jobforge.client import JobForgeClient
from jobforge.connectors.circuit_breaker import FAILURE_THRESHOLD
from jobforge.connectors.policy import ConnectorPolicy
from jobforge.connectors.registry import ConnectorRegistry
from jobforge.contracts.contract_cache import DISABLE_VARIABLE
from jobforge.project import load_project_config
from jobforge.replay.recorded import ReplayVerdict, replay_recorded_job
from jobforge.worker import Worker, WorkerConfig, WorkerReport
from tests.integration.support import connect
from tests.integration.worker_support import FAST_RETRY
from tests.unit.connectors.policy_support import (
    FakeClock,
    ScriptedTransport,
    base_metadata,
    failures,
)

CONNECTOR = "scripted.api"
JOB_TYPE = "policy.fetch"


def mode(failure_type: str, fallback: str, *, retries: int = 0, **extra: Any) -> dict[str, Any]:
    return {
        "type": failure_type,
        "retryable": retries > 0,
        "retry_strategy": "exponential_backoff" if retries else "none",
        "max_retries": retries,
        "fallback_behavior": fallback,
        "circuit_breaker": False,
        **extra,
    }


def policies_from_files(
    folder: Path, failure_modes: list[dict[str, Any]], *, retry_after_header: bool = True
) -> dict[str, ConnectorPolicy]:
    """Write a project whose one connector has these failure modes, and load its policies
    the way the worker command does."""
    connector_folder = folder / "connectors" / CONNECTOR
    connector_folder.mkdir(parents=True)
    document = base_metadata(
        supported_job_types=[JOB_TYPE],
        failure_modes=failure_modes,
        rate_limits={"requests_per_second": 100, "burst_size": 100, "quota_period": "second",
                     "retry_after_header": retry_after_header},
    )  # fmt: skip
    (connector_folder / "metadata.json").write_text(json.dumps(document, indent=2))
    (folder / "pyproject.toml").write_text('[project]\nname = "scratch"\nversion = "0"\n')
    return load_project_connector_policies(load_project_config(folder))


class Setup:
    def __init__(self, script: list[Any]) -> None:
        self.transport = ScriptedTransport(script)
        self.clock = FakeClock()
        self.registry = HandlerRegistry()
        self.registry.register(JOB_TYPE, self._fetch)
        self.connectors = ConnectorRegistry()
        self.connectors.register(CONNECTOR, self.transport)

    @staticmethod
    def _fetch(payload: Any, ctx: JobContext) -> Any:
        return {"fetched": ctx.connector(CONNECTOR).call("fetch", payload)}

    def run_worker(self, database_url: str, policies: dict[str, ConnectorPolicy]) -> WorkerReport:
        config = WorkerConfig(burst=True, poll_interval_seconds=0.05, concurrency=1)
        worker = Worker(
            database_url,
            registry=self.registry,
            config=config,
            connectors=self.connectors,
            connector_policies=policies,
            connector_clock=self.clock,
        )
        return worker.run()


@pytest.fixture(autouse=True)
def _no_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(DISABLE_VARIABLE, "1")


def enqueue(client: JobForgeClient, payload: Any = None, **options: Any) -> uuid.UUID:
    options.setdefault("max_attempts", 3)
    receipt = client.enqueue_job(
        tenant_id=uuid.uuid4(), type=JOB_TYPE, payload=payload or {"id": 1}, **options
    )
    return receipt.id


def outcomes(client: JobForgeClient, job_id: uuid.UUID) -> list[tuple[int, str]]:
    return [(result.attempt, result.outcome) for result in client.get_results(job_id)]


def test_one_transport_two_metadata_files_two_fates(
    database_url: str, client: JobForgeClient, tmp_path: Path
) -> None:
    """server_error retried inside the call (the job succeeds at its first attempt), or
    dead-lettered at once: only the metadata differs."""
    retried = policies_from_files(tmp_path / "a", [mode("server_error", "queue", retries=2)])
    dead = policies_from_files(tmp_path / "b", [mode("server_error", "dead_letter")])

    first = Setup(failures("server_error", 2))
    job_id = enqueue(client)
    assert first.run_worker(database_url, retried).succeeded == 1
    assert outcomes(client, job_id) == [(1, "succeeded")]
    assert first.transport.calls == 3
    assert len(first.clock.sleeps) == 2
    # exponential_backoff, jittered into the upper half of 1 s and 2 s
    assert 0.5 <= first.clock.sleeps[0] <= 1
    assert 1 <= first.clock.sleeps[1] <= 2
    [result] = client.get_results(job_id)
    tries = [e for e in result.decision_trace if e["decision"] == "connector_try_failed"]
    assert [e["failure_type"] for e in tries] == ["server_error", "server_error"]

    second = Setup(failures("server_error", 2))
    job_id = enqueue(client)
    assert second.run_worker(database_url, dead).dead == 1
    assert outcomes(client, job_id) == [(1, "dead")]
    assert second.transport.calls == 1
    job = client.get_job(job_id)
    assert job.last_error["kind"] == "connector_server_error"
    assert "dead-lettered" in job.last_error["message"]


def test_queue_brings_the_job_back_after_the_retry_after(
    database_url: str, client: JobForgeClient, tmp_path: Path
) -> None:
    policies = policies_from_files(tmp_path, [mode("rate_limit_exceeded", "queue")])
    setup = Setup(failures("rate_limit_exceeded", 1, retry_after=120))
    job_id = enqueue(client)
    assert setup.run_worker(database_url, policies).retried == 1
    with connect(database_url) as conn:
        row = conn.execute(
            "SELECT state::text AS state, run_at - updated_at AS delay "
            "FROM jobforge.jobforge_jobs WHERE id = %s",
            (job_id,),
        ).fetchone()
        assert row is not None
        assert (row["state"], row["delay"].total_seconds()) == ("awaiting_retry", 120)
        assert client.get_job(job_id).last_error["kind"] == "connector_rate_limit_exceeded"
        conn.execute("UPDATE jobforge.jobforge_jobs SET run_at = now() WHERE id = %s", (job_id,))
    assert setup.run_worker(database_url, policies).succeeded == 1
    assert outcomes(client, job_id) == [(1, "failed"), (2, "succeeded")]
    assert setup.clock.sleeps == []


def test_fail_hands_the_job_to_its_own_retry_policy(
    database_url: str, client: JobForgeClient, tmp_path: Path
) -> None:
    policies = policies_from_files(tmp_path, [mode("timeout", "fail")])
    setup = Setup(failures("timeout", 10))
    job_id = enqueue(client, max_attempts=2, **FAST_RETRY)
    reports = [setup.run_worker(database_url, policies)]
    with connect(database_url) as conn:
        conn.execute("UPDATE jobforge.jobforge_jobs SET run_at = now() WHERE id = %s", (job_id,))
    reports.append(setup.run_worker(database_url, policies))
    assert outcomes(client, job_id) == [(1, "failed"), (2, "dead")]
    assert [r.retried for r in reports] == [1, 0]
    assert setup.transport.calls == 2
    assert client.get_job(job_id).last_error["kind"] == "connector_timeout"


def test_an_open_circuit_fails_the_next_jobs_without_calling(
    database_url: str, client: JobForgeClient, tmp_path: Path
) -> None:
    policies = policies_from_files(
        tmp_path, [mode("server_error", "dead_letter", circuit_breaker=True)]
    )
    setup = Setup(failures("server_error", 50))
    job_ids = [enqueue(client, {"n": n}, priority=-n) for n in range(FAILURE_THRESHOLD + 2)]
    assert setup.run_worker(database_url, policies).dead == FAILURE_THRESHOLD + 2
    assert setup.transport.calls == FAILURE_THRESHOLD
    kinds = [client.get_job(job_id).last_error["kind"] for job_id in job_ids]
    assert kinds == ["connector_server_error"] * FAILURE_THRESHOLD + ["connector_circuit_open"] * 2


def test_a_dead_lettered_attempt_replays_to_the_same_failure_without_calling(
    database_url: str, client: JobForgeClient, tmp_path: Path
) -> None:
    policies = policies_from_files(
        tmp_path,
        [mode("authentication_failed", "dead_letter"), mode("timeout", "queue", retries=3)],
    )
    setup = Setup([*failures("timeout", 2), *failures("authentication_failed", 1)])
    job_id = enqueue(client)
    assert setup.run_worker(database_url, policies).dead == 1
    calls_before = setup.transport.calls
    sleeps_before = list(setup.clock.sleeps)
    assert calls_before == 3
    replayed = replay_recorded_job(
        client, job_id, registry=setup.registry, job_types={}, connectors=setup.connectors
    )
    assert replayed.verdict is ReplayVerdict.REPRODUCED, replayed.report
    assert setup.transport.calls == calls_before
    assert setup.clock.sleeps == sleeps_before
