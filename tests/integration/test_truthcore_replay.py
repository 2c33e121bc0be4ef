"""``truthcore.records.verify`` through the real client, worker and PostgreSQL.

The goldens pass through the worker with the input schema enforced. And a live run
replays byte for byte although its payload came from jsonb and its replay from the
canonical snapshot, which hold object keys in different orders: the evidence quotes
JSON Schema messages that print whole objects, so it would notice a different order.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from jobforge.client import JobForgeClient
from jobforge.connectors.registry import ConnectorRegistry
from jobforge.contracts.config import load_config
from jobforge.handlers import default_registry
from jobforge.replay.engine import run_goldens
from jobforge.replay.project import load_replay_inputs
from jobforge.replay.recorded import replay_recorded_job
from jobforge.runners.truthcore import verify
from jobforge.worker import Worker, WorkerConfig

ROOT = Path(__file__).resolve().parents[2]
GOLDENS = sorted((ROOT / "goldens" / "truthcore.verify").glob("*.yaml"))

# Keys deliberately out of order, and of different lengths (jsonb orders by length first).
PAGE = {
    "next_cursor": None,
    "records": [
        {"zz_total": -1, "id": "r-1", "nested": {"yy": 1, "b": 2, "aaa": 3}},
        {"nested": [], "id": "r-2", "extra_field": True, "zz_total": 3},
    ],
}
RULES: list[dict[str, Any]] = [
    {
        "type": "schema",
        "schema": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "id": {"type": "string"},
                "zz_total": {"minimum": 0},
                "nested": {"type": "array"},
            },
        },
    },
    {"type": "range", "field": "zz_total", "min": 0, "max": 2},
]


def test_every_golden_passes_through_the_worker(database_url: str) -> None:
    inputs = load_replay_inputs(load_config(ROOT), GOLDENS)
    assert verify.JOB_TYPE in inputs.job_types
    assert len(inputs.goldens) == len(GOLDENS) >= 5
    outcomes = run_goldens(
        database_url, inputs.goldens, registry=default_registry, job_types=inputs.job_types
    )
    failed = {outcome.golden.name: outcome.problems for outcome in outcomes if not outcome.passed}
    assert failed == {}


def test_a_live_verdict_replays_from_its_snapshot(database_url: str) -> None:
    job_types = load_replay_inputs(load_config(ROOT), GOLDENS).job_types
    connectors = ConnectorRegistry()
    connectors.register("truthcore.source", lambda operation, request: PAGE)
    payload = {"source": {"dataset": "d"}, "id_field": "id", "rules": RULES}
    with JobForgeClient(database_url) as client:
        job = client.enqueue_job(
            tenant_id=uuid.uuid4(), type=verify.JOB_TYPE, payload=payload, max_attempts=1
        )
        Worker(
            database_url,
            registry=default_registry,
            config=WorkerConfig(burst=True, poll_interval_seconds=0.05),
            job_types=job_types,
            connectors=connectors,
        ).run()
        result = client.get_result(job.id)
        assert result is not None
        assert result.outcome == "succeeded", result.error
        schema_report = result.output["rules"][0]
        messages = [item.get("message", "") for item in schema_report["evidence"]]
        assert "{'aaa': 3, 'b': 2, 'yy': 1} is not of type 'array'" in messages
        assert result.output["summary"] == {"rules": 2, "rules_failed": 2, "violations": 5}

        replay = replay_recorded_job(
            client,
            job.id,
            registry=default_registry,
            job_types=job_types,
            connectors=ConnectorRegistry(),  # no transport: the page comes from the record
        )
        assert replay.matches, replay.report
