"""The AIAS runner end to end: an agent's task routed and run as a chain of follow-ups.

Run it from the repository root with ``python examples/integrations/aias_example.py``
(``--database-url URL`` uses a PostgreSQL server of your own instead of the embedded one).
It starts an embedded PostgreSQL, migrates it, and registers two in-process transports
(no network): ``aias.registry``, a capability catalogue of four targets with their load,
and ``aias.model``, a model gateway with canned answers whose ``mistral-eu`` target
times out on translations. It then enqueues three ``aias.task.route`` jobs, each drained
by a real worker in burst mode with the runner contract and both connectors' metadata
enforced:

1. a three-step support reply (summarise, translate, summarise) under an EU-only policy:
   each step is routed to the least loaded allowed target and asks for the next as a
   follow-up job, all under the route's trace id; the translation step's target times
   out (tried twice, as the metadata says) and the step falls back to the next target;
2. a code review whose only capable target the tenant's policy denies: refused
   (``no_allowed_target``), with the reason;
3. the support reply enqueued again: its steps already exist, so nothing is added.

It prints each job of the chain and its outcome, then replays the recorded route and the
step that fell back, and says whether they reproduced. Exit status 0 means all of that
happened as described.
"""

from __future__ import annotations

import argparse
import json
import sys
import uuid
from pathlib import Path
from typing import Any

from example_support import load_model

from jobforge.client import Job, JobForgeClient, JobResult
from jobforge.connectors.policy import policies_from_metadata
from jobforge.connectors.registry import ConnectorRegistry
from jobforge.contracts.models.contract_files import ConnectorMetadata, RunnerConfig
from jobforge.db.throwaway import throwaway_database
from jobforge.errors import ConnectorFailure
from jobforge.handlers import default_registry
from jobforge.replay.recorded import replay_recorded_job
from jobforge.runners.aias import handlers  # noqa: F401 - registers the two job types
from jobforge.runners.aias.names import (
    MODEL_CONNECTOR_ID,
    REGISTRY_CONNECTOR_ID,
    ROUTE_JOB_TYPE,
    RUNNER_ID,
)
from jobforge.worker import Worker, WorkerConfig
from jobforge.worker.job_types import contracts_by_job_type

ROOT = Path(__file__).resolve().parents[2]
RUNNER_CONTRACT = ROOT / "contracts" / "runners" / f"{RUNNER_ID}.yaml"
CONNECTOR_METADATA = [
    ROOT / "connectors" / REGISTRY_CONNECTOR_ID / "metadata.json",
    ROOT / "connectors" / MODEL_CONNECTOR_ID / "metadata.json",
]

CATALOGUE = [
    {"id": "claude-eu", "job_type": "aias.step.run", "capabilities": ["summarise", "translate"],
     "load": 0.35, "cost_tier": 2, "region": "eu-central"},
    {"id": "llama-us", "job_type": "aias.step.run", "capabilities": ["summarise", "translate"],
     "load": 0.1, "cost_tier": 1, "region": "us-east"},
    {"id": "mistral-eu", "job_type": "aias.step.run", "capabilities": ["summarise", "translate"],
     "load": 0.2, "cost_tier": 1, "region": "eu-west"},
    {"id": "review-bot", "job_type": "aias.step.run", "capabilities": ["code-review"],
     "load": 0.05, "cost_tier": 1, "region": "us-east"},
]  # fmt: skip
SUPPORT_REPLY = {
    "task": {
        "id": "ticket-4711",
        "kind": "support.reply",
        "required_capabilities": ["summarise"],
        "input": {"thread": "The invoice for May was charged twice. Please refund one."},
    },
    "agent": {"id": "support-agent-7"},
    "steps": [
        {"capability": "summarise"},
        {"capability": "translate", "input": {"language": "de"}},
        {"capability": "summarise", "input": {"style": "one line"}},
    ],
    "policy": {"data_residency": ["eu-west", "eu-central"], "max_cost_tier": 2},
}
CODE_REVIEW = {
    "task": {
        "id": "pr-981",
        "kind": "code.review",
        "required_capabilities": ["code-review"],
        "input": {"repository": "acme/billing", "pull_request": 981},
    },
    "agent": {"id": "ci-agent"},
    "policy": {"data_residency": ["eu-west", "eu-central"]},
}


def catalogue(operation: str, request: Any) -> Any:
    """The ``aias.registry`` transport: the targets serving any requested capability."""
    wanted = set(request["capabilities"])
    return {"targets": [target for target in CATALOGUE if wanted & set(target["capabilities"])]}


def model(operation: str, request: Any) -> Any:
    """The ``aias.model`` transport: a canned answer per capability; mistral-eu cannot
    translate in time."""
    capabilities = request["capabilities"]
    if "translate" in capabilities:
        if request["target"] == "mistral-eu":
            raise ConnectorFailure("timeout", "no answer within 60 s")
        return {"output": {"text": "Die Mai-Rechnung wurde doppelt belastet; eine Erstattung."}}
    if request["previous_output"] is None:
        return {"output": {"text": "Charged twice for May; the customer asks for one refund."}}
    return {"output": {"text": "Refund one May charge."}}


def describe(job: Job, result: JobResult | None) -> str:
    if result is None or result.outcome != "succeeded":
        error = job.last_error if isinstance(job.last_error, dict) else {}
        return f"{job.state}: {error.get('kind')}: {error.get('message')}"
    output = result.output
    if job.type == ROUTE_JOB_TYPE:
        route = output["route"]
        return f"routed step 0 to {route['target']} ({route['job_type']})"
    fell_back = "".join(
        f", after {item['target']} failed ({item['error_kind']})"
        for item in output["fallbacks_taken"]
    )
    text = json.dumps(output["output"]["text"], ensure_ascii=False)
    return f"step {output['step']} on {output['target']}{fell_back}: {text}"


def chain_of(client: JobForgeClient, route_id: uuid.UUID) -> list[Job]:
    """The route job and the step jobs that followed it, in order."""
    chain = [client.get_job(route_id)]
    while children := client.get_follow_ups(chain[-1].id):
        chain.append(children[0])
    return chain


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="a PostgreSQL server (default: embedded)")
    args = parser.parse_args(argv)

    runner: RunnerConfig = load_model(RUNNER_CONTRACT, RunnerConfig)
    metadata = [load_model(path, ConnectorMetadata) for path in CONNECTOR_METADATA]
    job_types = contracts_by_job_type([runner])
    connectors = ConnectorRegistry()
    connectors.register(REGISTRY_CONNECTOR_ID, catalogue)
    connectors.register(MODEL_CONNECTOR_ID, model)

    def drain(url: str) -> None:
        Worker(
            url,
            registry=default_registry,
            config=WorkerConfig(burst=True, concurrency=1),
            job_types=job_types,
            connectors=connectors,
            connector_policies=policies_from_metadata(metadata),
        ).run()

    print("Starting a throwaway PostgreSQL and migrating it ...")
    with throwaway_database(args.database_url) as url, JobForgeClient(url) as client:
        tenant = uuid.uuid4()
        routes: dict[str, uuid.UUID] = {}
        for name, payload, trace_id in [
            ("support reply", SUPPORT_REPLY, "agent-run-support"),
            ("code review", CODE_REVIEW, "agent-run-review"),
            ("support reply again", SUPPORT_REPLY, "agent-run-support-again"),
        ]:
            receipt = client.enqueue_job(
                tenant_id=tenant, type=ROUTE_JOB_TYPE, payload=payload, trace_id=trace_id
            )
            routes[name] = receipt.id
            drain(url)
            print(f"\n{name} (trace {trace_id}):")
            for job in chain_of(client, receipt.id):
                print(f"  {job.type} {describe(job, client.get_result(job.id))}")
                key = f", idempotency key {job.idempotency_key}" if job.idempotency_key else ""
                print(f"    trace {job.trace_id}{key}")

        support = chain_of(client, routes["support reply"])
        review = client.get_job(routes["code review"])
        again = client.get_result(routes["support reply again"])
        all_good = (
            len(support) == 4
            and all(job.state == "succeeded" for job in support)
            and {job.trace_id for job in support} == {"agent-run-support"}
            and client.get_result(support[-1].id).output["chain_complete"]
            and review.state == "dead"
            and review.last_error["kind"] == "no_allowed_target"
            and again is not None
            and [follow_up["created"] for follow_up in again.follow_ups] == [False]
        )
        if again is not None:
            made = "a new step" if again.follow_ups[0]["created"] else "no new step"
            print(f"\nThe support reply enqueued again made {made}: its step 0 already exists.")

        # No live transports: the replays read the answers recorded with each job.
        for label, job in [("the route", support[0]), ("the step that fell back", support[2])]:
            replay = replay_recorded_job(
                client,
                job.id,
                registry=default_registry,
                job_types=job_types,
                connectors=ConnectorRegistry(),
            )
            print(f"Replay of {label} ({job.type}): {replay.verdict.value}")
            all_good = all_good and replay.matches
    print("The throwaway database is gone.")
    return 0 if all_good else 1


if __name__ == "__main__":
    sys.exit(main())
