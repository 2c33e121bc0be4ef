"""Settler through the real worker and PostgreSQL: activating a contract enqueues its
renewal reminder and expiry job, to run in the future, once however often the activation
is retried or enqueued.

The contract store is an in-process ``settler.store`` transport (a dict with optimistic
versions); everything else is real: the worker, the runner contract's schemas, the
follow-up enqueue in the completing transaction, and its idempotency keys.
"""

from __future__ import annotations

import copy
import threading
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from jobforge import HandlerRegistry
from jobforge.client import JobForgeClient
from jobforge.connectors.registry import ConnectorRegistry
from jobforge.contracts.loading.loader import load_file
from jobforge.contracts.models.contract_files import RunnerConfig
from jobforge.errors import ConnectorFailure
from jobforge.runners.settler.advance import advance_contract
from jobforge.runners.settler.names import (
    ADVANCE_JOB_TYPE,
    REMIND_JOB_TYPE,
    RUNNER_ID,
    STORE_CONNECTOR_ID,
)
from jobforge.runners.settler.remind import remind_contract
from jobforge.worker import Worker, WorkerConfig, WorkerReport
from jobforge.worker.job_types import contracts_by_job_type
from tests.integration.support import connect, wait_until
from tests.integration.worker_support import FAST_RETRY

ROOT = Path(__file__).resolve().parents[2]
CONTRACT = ROOT / "contracts" / "runners" / f"{RUNNER_ID}.yaml"
CONTRACT_ID = "msa-2025-0042"
DRAIN_SECONDS = 30


class ContractStore:
    """A ``settler.store`` transport over a dict, keyed by tenant and contract id."""

    def __init__(self) -> None:
        self.contracts: dict[tuple[str, str], dict[str, Any]] = {}
        self.history: dict[tuple[str, str], dict[str, Any]] = {}
        self.writes = 0
        self._lock = threading.Lock()

    def add(self, tenant: uuid.UUID, state: str, version: int) -> None:
        self.contracts[(str(tenant), CONTRACT_ID)] = {
            "contract_id": CONTRACT_ID,
            "state": state,
            "version": version,
            "terms": None,
            "last_transition": None,
        }

    def __call__(self, operation: str, request: Any) -> Any:
        key = (request["tenant_id"], request["contract_id"])
        with self._lock:
            if operation == "get_contract":
                return {"contract": copy.deepcopy(self.contracts.get(key))}
            if operation == "set_state":
                return self._set_state(key, request)
            if operation == "append_history":
                entries = self.history.setdefault(key, {})
                if request["entry_id"] in entries:
                    return {"outcome": "already_recorded"}
                entries[request["entry_id"]] = request["entry"]
                return {"outcome": "appended"}
        raise ConnectorFailure("invalid_request", f"no operation {operation!r}")

    def _set_state(self, key: tuple[str, str], request: Any) -> Any:
        current = self.contracts[key]
        if current["version"] != request["expected_version"]:
            return {"outcome": "version_conflict", "contract": copy.deepcopy(current)}
        version = current["version"] + 1
        self.contracts[key] = {
            **current,
            "state": request["state"],
            "terms": request["terms"],
            "version": version,
            "last_transition": {**request["transition"], "version": version},
        }
        self.writes += 1
        return {"outcome": "updated", "contract": copy.deepcopy(self.contracts[key])}


class FailingOnce:
    """The store, but the first append_history fails as the store's server would."""

    def __init__(self, store: ContractStore) -> None:
        self.store = store
        self.failed = False

    def __call__(self, operation: str, request: Any) -> Any:
        if operation == "append_history" and not self.failed:
            self.failed = True
            raise ConnectorFailure("server_error", "503 from the contract store")
        return self.store(operation, request)


@pytest.fixture
def store(tenant_id: uuid.UUID) -> ContractStore:
    store = ContractStore()
    store.add(tenant_id, "signed", 3)
    return store


def run_worker(database_url: str, transport: Any, **options: Any) -> WorkerReport:
    loaded = load_file(CONTRACT, CONTRACT.name)
    assert loaded.ok, loaded.problems
    registry = HandlerRegistry()
    registry.register(ADVANCE_JOB_TYPE, advance_contract)
    registry.register(REMIND_JOB_TYPE, remind_contract)
    connectors = ConnectorRegistry()
    connectors.register(STORE_CONNECTOR_ID, transport)
    return Worker(
        database_url,
        registry=registry,
        config=WorkerConfig(burst=True, poll_interval_seconds=0.05, **options),
        job_types=contracts_by_job_type([RunnerConfig.model_validate(loaded.data)]),
        connectors=connectors,
    ).run()


def activation(end: datetime) -> dict[str, Any]:
    start = end - timedelta(days=365)
    return {
        "contract_id": CONTRACT_ID,
        "from": "signed",
        "to": "active",
        "terms": {
            "start": start.isoformat(),
            "end": end.isoformat(),
            "renewal_notice_days": 30,
        },
    }


def remind_jobs(database_url: str) -> list[dict[str, Any]]:
    with connect(database_url) as conn:
        return conn.execute(
            "SELECT id, tenant_id, trace_id, payload, idempotency_key, run_at, state "
            "FROM jobforge.jobforge_jobs WHERE type = %(type)s ORDER BY run_at",
            {"type": REMIND_JOB_TYPE},
        ).fetchall()


def the_end() -> datetime:
    """A term end 90 days ahead, on a whole second (the keys carry it)."""
    return (datetime.now(UTC) + timedelta(days=90)).replace(microsecond=0)


def test_activating_enqueues_both_reminders_to_run_in_the_future(
    database_url: str, client: JobForgeClient, store: ContractStore, tenant_id: uuid.UUID
) -> None:
    end = the_end()
    parent = client.enqueue_job(
        tenant_id=tenant_id, type=ADVANCE_JOB_TYPE, payload=activation(end), trace_id="sign-flow"
    )
    report = run_worker(database_url, store)
    assert (report.succeeded, report.errors) == (1, [])

    finished = client.get_job(parent.id)
    assert finished.state == "succeeded"
    assert finished.started_at is not None
    renewal_due, expiry_due = end - timedelta(days=30), end
    children = client.get_follow_ups(parent.id)
    assert [(c.type, c.payload, c.run_at) for c in children] == [
        (
            REMIND_JOB_TYPE,
            {"contract_id": CONTRACT_ID, "kind": "renewal", "due": _z(renewal_due)},
            renewal_due,
        ),
        (
            REMIND_JOB_TYPE,
            {"contract_id": CONTRACT_ID, "kind": "expiry", "due": _z(expiry_due)},
            expiry_due,
        ),
    ]
    for child in children:
        assert child.run_at > finished.started_at
        assert (child.tenant_id, child.trace_id, child.parent_job_id, child.state) == (
            tenant_id,
            "sign-flow",
            parent.id,
            "queued",
        )
    assert [c.idempotency_key for c in children] == [
        f"settler:{CONTRACT_ID}:renewal:{_z(renewal_due)}",
        f"settler:{CONTRACT_ID}:expiry:{_z(expiry_due)}",
    ]
    # The parent's trace shows each reminder decision and each follow-up it asked for.
    [result] = client.get_results(parent.id)
    decisions = [e["decision"] for e in result.decision_trace]
    assert decisions.count("reminder") == 2
    assert decisions.count("follow_up") == 2
    assert store.contracts[(str(tenant_id), CONTRACT_ID)]["state"] == "active"


def test_an_activation_enqueued_twice_makes_each_reminder_once(
    database_url: str, client: JobForgeClient, store: ContractStore, tenant_id: uuid.UUID
) -> None:
    payload = activation(the_end())
    first = client.enqueue_job(tenant_id=tenant_id, type=ADVANCE_JOB_TYPE, payload=payload)
    run_worker(database_url, store)
    second = client.enqueue_job(tenant_id=tenant_id, type=ADVANCE_JOB_TYPE, payload=payload)
    run_worker(database_url, store)

    assert client.get_result(second.id).output["outcome"] == "unchanged"
    assert client.get_follow_ups(second.id) == []
    made = client.get_follow_ups(first.id)
    [result] = client.get_results(second.id)
    assert [(f["job_id"], f["created"]) for f in result.follow_ups] == [
        (str(job.id), False) for job in made
    ]
    assert len(remind_jobs(database_url)) == 2
    assert store.writes == 1


def test_two_activations_racing_make_each_reminder_once(
    database_url: str, client: JobForgeClient, store: ContractStore, tenant_id: uuid.UUID
) -> None:
    """Both read version 3; one writes, the other meets a version conflict, runs again,
    finds the contract active and asks for the same reminders."""
    payload = activation(the_end())
    jobs = [
        client.enqueue_job(
            tenant_id=tenant_id, type=ADVANCE_JOB_TYPE, payload=payload, **FAST_RETRY
        )
        for _ in range(2)
    ]
    wait_until(
        lambda: (
            run_worker(database_url, store, concurrency=2)
            and all(client.get_job(job.id).is_finished for job in jobs)
        ),
        DRAIN_SECONDS,
        "both activations to finish",
    )
    assert [client.get_job(job.id).state for job in jobs] == ["succeeded", "succeeded"]
    outcomes = sorted(client.get_result(job.id).output["outcome"] for job in jobs)
    assert outcomes == ["changed", "unchanged"]
    assert len(remind_jobs(database_url)) == 2
    assert store.writes == 1


def test_a_retried_activation_fills_in_its_history_and_makes_each_reminder_once(
    database_url: str, client: JobForgeClient, store: ContractStore, tenant_id: uuid.UUID
) -> None:
    """The first attempt changes the state, then the history write fails: it enqueues no
    follow-ups. The retry finds the contract active, writes the missing history entry and
    asks for the reminders, which are enqueued then, once."""
    flaky = FailingOnce(store)
    parent = client.enqueue_job(
        tenant_id=tenant_id, type=ADVANCE_JOB_TYPE, payload=activation(the_end()), **FAST_RETRY
    )
    wait_until(
        lambda: run_worker(database_url, flaky) and client.get_job(parent.id).is_finished,
        DRAIN_SECONDS,
        "the activation to succeed on its second attempt",
    )
    results = client.get_results(parent.id)
    assert [r.outcome for r in results] == ["failed", "succeeded"]
    assert results[0].error["kind"] == "connector_server_error"
    assert results[0].follow_ups is None
    assert results[1].output["outcome"] == "unchanged"
    assert results[1].output["history"] == "appended"
    assert [c.type for c in client.get_follow_ups(parent.id)] == [REMIND_JOB_TYPE] * 2
    assert len(remind_jobs(database_url)) == 2
    assert store.writes == 1
    history = store.history[(str(tenant_id), CONTRACT_ID)]
    assert list(history) == [f"{CONTRACT_ID}:v4"]
    assert history[f"{CONTRACT_ID}:v4"]["from"] == "signed"


def test_an_illegal_transition_fails_at_once_and_schedules_nothing(
    database_url: str, client: JobForgeClient, store: ContractStore, tenant_id: uuid.UUID
) -> None:
    parent = client.enqueue_job(
        tenant_id=tenant_id,
        type=ADVANCE_JOB_TYPE,
        payload={"contract_id": CONTRACT_ID, "to": "draft"},
    )
    report = run_worker(database_url, store)
    assert report.dead == 1
    job = client.get_job(parent.id)
    assert (job.state, job.attempts) == ("dead", 1)
    assert job.last_error["kind"] == "illegal_transition"
    assert job.last_error["message"] == (
        f"contract {CONTRACT_ID}: illegal transition signed -> draft; "
        "from signed it may go to active or terminated"
    )
    assert remind_jobs(database_url) == []
    assert store.writes == 0


def _z(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
