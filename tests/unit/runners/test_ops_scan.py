"""The shipped ``autopilot.ops.*`` runner, run on its goldens without a database.

Each golden runs through the worker's own ``JobRunner`` with the runner contract
enforced (so an invalid payload fails as ``invalid_input``), the goldens' recorded
connector responses answering the handler's calls and the goldens' fixed clock. The
output must match ``expected_output`` the way golden replay compares it, or the job must
fail as ``expected_error`` says. The full replay through PostgreSQL is the replay suite's.
"""

from __future__ import annotations

import functools
import json
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from jobforge.contracts.loading.loader import load_file
from jobforge.contracts.models.contract_files import GoldenCase, RunnerConfig
from jobforge.handlers import default_registry
from jobforge.replay.cases import DEFAULT_NOW, DEFAULT_SEED
from jobforge.replay.compare import is_subset
from jobforge.runners.ops import inventory_scans, scan
from jobforge.worker.execution import ClaimedJob, Failed, JobRunner, Outcome, Succeeded
from jobforge.worker.job_types import contracts_by_job_type

ROOT = Path(__file__).resolve().parents[3]
RUNNER_ID = "autopilot.ops.scan"
GOLDENS = sorted((ROOT / "goldens" / RUNNER_ID).glob("*.yaml"))
NEW_JOB_TYPES = (
    inventory_scans.COST_JOB_TYPE,
    inventory_scans.SECURITY_JOB_TYPE,
    inventory_scans.DRIFT_JOB_TYPE,
)


def _loaded(path: Path) -> dict[str, Any]:
    loaded = load_file(path, path.name)
    assert loaded.ok, loaded.problems
    assert isinstance(loaded.data, dict)
    return loaded.data


@functools.cache
def _runner() -> JobRunner:
    """One runner, as a worker thread keeps one: the contract and its schemas load once."""
    path = ROOT / "contracts" / "runners" / f"{RUNNER_ID}.yaml"
    contract = RunnerConfig.model_validate(_loaded(path))
    return JobRunner(default_registry, "test", None, job_types=contracts_by_job_type([contract]))


def run_job(
    job_type: str, payload: Any, connector_responses: list[Any], now: datetime = DEFAULT_NOW
) -> Outcome:
    """Run one job the way replay runs it, minus the database."""
    job = ClaimedJob(
        id=uuid.UUID(int=1),
        tenant_id=uuid.UUID(int=2),
        type=job_type,
        payload=payload,
        attempt=1,
        max_attempts=3,
        trace_id="trace",
        started_at=now,
        replay_context={
            "now": now.isoformat(),
            "seed": DEFAULT_SEED,
            "connector_responses": connector_responses,
        },
    )
    return _runner().run(job)


def run_golden(data: dict[str, Any]) -> Outcome:
    """Run one golden document (as loaded) on its clock and recorded responses."""
    golden = GoldenCase.model_validate(data)
    now = datetime.fromisoformat(golden.now) if golden.now else DEFAULT_NOW
    return run_job(golden.job_type, golden.input, data.get("connector_responses", []), now)


def handler_decisions(outcome: Outcome) -> list[dict[str, Any]]:
    assert outcome.records is not None
    records = json.loads("{" + outcome.records.json_members + "}")
    return [event for event in records["decision_trace"] if event["source"] == "handler"]


def test_the_handlers_are_registered() -> None:
    assert default_registry.get(scan.JOB_TYPE).function is scan.scan
    assert default_registry.get(inventory_scans.COST_JOB_TYPE).function is (
        inventory_scans.cost_scan
    )
    assert default_registry.get(inventory_scans.SECURITY_JOB_TYPE).function is (
        inventory_scans.security_scan
    )
    assert default_registry.get(inventory_scans.DRIFT_JOB_TYPE).function is (
        inventory_scans.drift_scan
    )


@pytest.mark.parametrize("job_type", NEW_JOB_TYPES)
def test_each_inventory_scan_has_a_normal_an_invalid_and_an_edge_golden(job_type: str) -> None:
    goldens = [data for data in map(_loaded, GOLDENS) if data["job_type"] == job_type]
    succeeding = [data for data in goldens if "expected_output" in data]
    refused = [
        data for data in goldens if data.get("expected_error", {}).get("kind") == "invalid_input"
    ]
    assert len(succeeding) >= 2, job_type  # a normal case and an edge case
    assert refused, job_type


@pytest.mark.parametrize("path", GOLDENS, ids=lambda p: p.stem)
def test_golden_outcome_matches(path: Path) -> None:
    data = _loaded(path)
    outcome = run_golden(data)
    if "expected_error" in data:
        assert isinstance(outcome, Failed), outcome
        expected = data["expected_error"]
        assert outcome.error["kind"] == expected["kind"], outcome.error
        assert expected.get("message_contains", "") in outcome.error["message"]
        return
    assert isinstance(outcome, Succeeded), getattr(outcome, "error", None)
    output = json.loads(outcome.output_json)
    if data.get("exact"):
        assert output == data["expected_output"]
    else:
        assert is_subset(data["expected_output"], output), output
    decisions = handler_decisions(outcome)
    assert decisions
    for event in decisions:  # every decision the handler records carries every expected key
        assert set(data.get("expected_trace_keys", [])) <= set(event), event
    again = run_golden(data)  # deterministic: same input, same artifact
    assert isinstance(again, Succeeded)
    assert again.artifact_sha256 == outcome.artifact_sha256


def test_scan_time_is_the_context_clock() -> None:
    data = {**_loaded(GOLDENS[0]), "now": "2031-05-06T07:08:09Z"}
    outcome = run_golden(data)
    assert isinstance(outcome, Succeeded)
    scanned_at = json.loads(outcome.output_json)["scanned_at"]
    assert scanned_at == datetime(2031, 5, 6, 7, 8, 9, tzinfo=UTC).isoformat()


def test_an_invalid_input_golden_fails_before_the_handler_runs() -> None:
    """The refusal comes from the contract, not from the handler tripping over the value."""
    data = _loaded(ROOT / "goldens" / RUNNER_ID / "cost-invalid-idle-days.yaml")
    outcome = run_golden(data)
    assert isinstance(outcome, Failed)
    assert outcome.retryable is False
    assert handler_decisions(outcome) == []
