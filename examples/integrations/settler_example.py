"""The Settler runner end to end: a contract from draft to active, its reminders, a refusal.

Run it from the repository root with ``python examples/integrations/settler_example.py``
(``--database-url URL`` uses a PostgreSQL server of your own instead of the embedded one).
It starts an embedded PostgreSQL, migrates it, and registers an in-process
``settler.store`` transport: a contract store in a dict, with optimistic versions and a
history (no network). The store holds one draft contract. The example then enqueues
``settler.contract.advance`` jobs one at a time, each run by a real worker in burst mode
with the runner contract and the connector's metadata enforced: draft -> sent -> signed ->
active (which schedules the renewal reminder and the expiry as follow-up jobs, in the
future), an illegal active -> draft (refused, naming the allowed targets), and the
activation once more (unchanged: its reminders already exist, so none is added). It
prints each result, the queued reminder jobs and the contract's history, then replays
the recorded activation and says whether it reproduced. Exit status 0 means all of that
happened as described.
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
import threading
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from example_support import load_model

from jobforge.client import JobForgeClient, JobResult
from jobforge.connectors.policy import policies_from_metadata
from jobforge.connectors.registry import ConnectorRegistry
from jobforge.contracts.models.contract_files import ConnectorMetadata, RunnerConfig
from jobforge.db.throwaway import throwaway_database
from jobforge.errors import ConnectorFailure
from jobforge.handlers import default_registry
from jobforge.replay.recorded import replay_recorded_job
from jobforge.runners.settler import handlers  # noqa: F401 - registers the two job types
from jobforge.runners.settler.names import ADVANCE_JOB_TYPE, REMIND_JOB_TYPE, STORE_CONNECTOR_ID
from jobforge.worker import Worker, WorkerConfig
from jobforge.worker.job_types import contracts_by_job_type

ROOT = Path(__file__).resolve().parents[2]
RUNNER_CONTRACT = ROOT / "contracts" / "runners" / "settler.contracts.yaml"
CONNECTOR_METADATA = ROOT / "connectors" / "settler.store" / "metadata.json"
CONTRACT_ID = "msa-2025-0042"


class ContractStore:
    """The ``settler.store`` transport for this example: contracts and their history in
    dicts, keyed by tenant and contract id. set_state writes only over the version the
    caller read; append_history keeps the first entry of each entry_id."""

    def __init__(self) -> None:
        self.contracts: dict[tuple[str, str], dict[str, Any]] = {}
        self.history: dict[tuple[str, str], dict[str, dict[str, Any]]] = {}
        self._lock = threading.Lock()

    def create(self, tenant: uuid.UUID, contract_id: str, terms: dict[str, Any]) -> None:
        created = {"from": None, "to": "draft", "at": _z(datetime.now(UTC)), "reason": "created"}
        self.contracts[(str(tenant), contract_id)] = {
            "contract_id": contract_id,
            "state": "draft",
            "version": 1,
            "terms": terms,
            "last_transition": {**created, "version": 1},
        }
        entry = {"event": "transition", "version": 1, **created}
        self.history[(str(tenant), contract_id)] = {f"{contract_id}:v1": entry}

    def __call__(self, operation: str, request: Any) -> Any:
        key = (request["tenant_id"], request["contract_id"])
        with self._lock:
            current = self.contracts.get(key)
            if operation == "get_contract":
                return {"contract": copy.deepcopy(current)}
            if current is None:
                raise ConnectorFailure("not_found", f"no contract {request['contract_id']!r}")
            if operation == "set_state":
                if current["version"] != request["expected_version"]:
                    return {"outcome": "version_conflict", "contract": copy.deepcopy(current)}
                version = current["version"] + 1
                current.update(
                    state=request["state"],
                    terms=request["terms"],
                    version=version,
                    last_transition={**request["transition"], "version": version},
                )
                return {"outcome": "updated", "contract": copy.deepcopy(current)}
            if operation == "append_history":
                entries = self.history.setdefault(key, {})
                if request["entry_id"] in entries:
                    return {"outcome": "already_recorded"}
                entries[request["entry_id"]] = request["entry"]
                return {"outcome": "appended"}
        raise ConnectorFailure("invalid_request", f"no operation {operation!r}")


def describe(result: JobResult | None) -> str:
    if result is None:
        return "not finished"
    if result.outcome != "succeeded":
        error = result.error if isinstance(result.error, dict) else {}
        return f"{result.outcome}: {error.get('kind')}: {error.get('message')}"
    output = result.output
    if output["outcome"] == "unchanged":
        return f"succeeded: unchanged, still {output['to']} at version {output['version']}"
    return f"succeeded: {output['from']} -> {output['to']}, version {output['version']}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="a PostgreSQL server (default: embedded)")
    args = parser.parse_args(argv)

    runner: RunnerConfig = load_model(RUNNER_CONTRACT, RunnerConfig)
    connector: ConnectorMetadata = load_model(CONNECTOR_METADATA, ConnectorMetadata)
    job_types = contracts_by_job_type([runner])
    store = ContractStore()
    connectors = ConnectorRegistry()
    connectors.register(STORE_CONNECTOR_ID, store)

    # A one-year term starting today (midnight UTC), with 60 days' renewal notice.
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    terms = {
        "start": _z(today),
        "end": _z(today + timedelta(days=365)),
        "renewal_notice_days": 60,
        "counterparty": "Nordlicht GmbH",
    }
    steps: list[tuple[str, dict[str, Any]]] = [
        ("send", {"from": "draft", "to": "sent", "reason": "sent for signature"}),
        ("sign", {"from": "sent", "to": "signed"}),
        ("activate", {"from": "signed", "to": "active", "terms": terms}),
        ("back to draft", {"to": "draft"}),
        ("activate again", {"from": "signed", "to": "active", "terms": terms}),
    ]

    print("Starting a throwaway PostgreSQL and migrating it ...")
    with throwaway_database(args.database_url) as url, JobForgeClient(url) as client:
        tenant = uuid.uuid4()
        store.create(tenant, CONTRACT_ID, terms)
        print(f"Contract {CONTRACT_ID} is a draft in the store (version 1).\n")
        jobs: dict[str, uuid.UUID] = {}
        for name, change in steps:
            receipt = client.enqueue_job(
                tenant_id=tenant,
                type=ADVANCE_JOB_TYPE,
                payload={"contract_id": CONTRACT_ID, **change},
                trace_id=f"settler-example-{name.replace(' ', '-')}",
                max_attempts=1,
            )
            jobs[name] = receipt.id
            Worker(
                url,
                registry=default_registry,
                config=WorkerConfig(burst=True, concurrency=1),
                job_types=job_types,
                connectors=connectors,
                connector_policies=policies_from_metadata([connector]),
            ).run()
            result = client.get_result(receipt.id)
            print(f"{name} ({ADVANCE_JOB_TYPE} -> {change['to']}): {describe(result)}")
            if result is not None and result.outcome == "succeeded":
                for reminder in result.output["reminders"]:
                    when = reminder["run_at"] or "never"
                    action, reason = reminder["action"], reminder["reason"]
                    print(f"  {reminder['kind']}: {action} for {when} ({reason})")
                for follow_up in result.follow_ups or []:
                    made = "enqueued" if follow_up["created"] else "already enqueued"
                    print(f"  follow-up {follow_up['idempotency_key']}: {made}")

        reminders = client.get_follow_ups(jobs["activate"])
        print(f"\n{REMIND_JOB_TYPE} jobs waiting in the queue: {len(reminders)}")
        for child in reminders:
            print(
                f"  {json.dumps(child.payload, sort_keys=True)} runs at {_z(child.run_at)}, "
                f"trace {child.trace_id}, state {child.state}"
            )
        history = store.history[(str(tenant), CONTRACT_ID)]
        print(f"\nHistory of {CONTRACT_ID}:")
        for entry_id, entry in history.items():
            was = entry.get("from") or "(created)"
            print(f"  {entry_id}: {was} -> {entry.get('to')} at {entry.get('at')}")

        results = {name: client.get_result(job_id) for name, job_id in jobs.items()}
        outcomes = {
            name: (result.output["outcome"] if result and result.outcome == "succeeded" else
                   result.error.get("kind") if result else None)
            for name, result in results.items()
        }  # fmt: skip
        all_good = outcomes == {
            "send": "changed",
            "sign": "changed",
            "activate": "changed",
            "back to draft": "illegal_transition",
            "activate again": "unchanged",
        }
        all_good = all_good and len(reminders) == 2
        all_good = all_good and all(child.run_at > datetime.now(UTC) for child in reminders)

        # No live transport: the replay reads the store's answers recorded with the job.
        replay = replay_recorded_job(
            client,
            jobs["activate"],
            registry=default_registry,
            job_types=job_types,
            connectors=ConnectorRegistry(),
        )
        print(f"\nReplay of the recorded activation job: {replay.verdict.value}")
        all_good = all_good and replay.matches
    print("The throwaway database is gone.")
    return 0 if all_good else 1


def _z(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


if __name__ == "__main__":
    sys.exit(main())
