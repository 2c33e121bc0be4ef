"""The shipped ``truthcore.records.verify`` runner, run on its goldens without a database.

Recorded connector responses answer the handler's calls, the clock is the goldens' fixed
one, and the output must match ``expected_output`` as golden replay compares it; a golden
with ``expected_error`` must fail so. Inputs are checked against the contract's
input_schema first, as the worker checks them. The full replay through the worker and
PostgreSQL is the replay suite's job (and the example's acceptance test).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from jobforge.connectors.calls import RecordedResponse
from jobforge.connectors.registry import ConnectorRegistry
from jobforge.connectors.session import ConnectorSession
from jobforge.context import JobContext
from jobforge.contracts.loading.loader import load_file
from jobforge.contracts.models.contract_files import GoldenCase, RunnerConfig
from jobforge.determinism.trace import DecisionTrace
from jobforge.errors import ConnectorFailure
from jobforge.handlers import default_registry
from jobforge.replay.cases import DEFAULT_NOW
from jobforge.replay.compare import is_subset
from jobforge.runners.truthcore import verify
from jobforge.runners.truthcore.errors import TruthCoreError

ROOT = Path(__file__).resolve().parents[3]
GOLDENS_DIR = ROOT / "goldens" / "truthcore.verify"
GOLDENS = sorted(GOLDENS_DIR.glob("*.yaml"))
CONTRACT = ROOT / "contracts" / "runners" / "truthcore.verify.yaml"


def _contract() -> RunnerConfig:
    loaded = load_file(CONTRACT, CONTRACT.name)
    assert loaded.ok, loaded.problems
    return RunnerConfig.model_validate(loaded.data)


def _golden(path: Path) -> GoldenCase:
    loaded = load_file(path, path.name)
    assert loaded.ok, loaded.problems
    return GoldenCase.model_validate(loaded.data)


def _run(golden: GoldenCase) -> tuple[Any, list[dict[str, Any]]]:
    trace = DecisionTrace(runner_id="truthcore.verify")
    recordings = [RecordedResponse.from_json(r.to_recording()) for r in golden.connector_responses]
    ctx = JobContext(
        job_id=uuid.UUID(int=1),
        tenant_id=uuid.UUID(int=2),
        job_type=golden.job_type,
        attempt=1,
        max_attempts=3,
        trace_id="trace",
        worker_id="test",
        now=datetime.fromisoformat(golden.now) if golden.now else DEFAULT_NOW,
        seed=golden.seed or 0,
        trace=trace,
        runner_id="truthcore.verify",
        connectors=ConnectorSession(ConnectorRegistry(), recordings, trace.record),
    )
    output = default_registry.get(golden.job_type).function(golden.input, ctx)
    return output, [event for event in trace.events() if event["source"] == "handler"]


def _input_errors(payload: Any) -> list[str]:
    schema = _contract().job_types[verify.JOB_TYPE].input_schema
    return [error.message for error in Draft202012Validator(schema).iter_errors(payload)]


def test_the_handler_is_registered() -> None:
    assert default_registry.get(verify.JOB_TYPE).function is verify.verify


def test_there_are_goldens_of_every_kind() -> None:
    goldens = [_golden(path) for path in GOLDENS]
    refused = [golden.input for golden in goldens if golden.expected_error is not None]
    assert any(_input_errors(payload) for payload in refused)  # by the input schema
    assert any(not _input_errors(payload) for payload in refused)  # by the handler
    assert sum(golden.expected_error is None for golden in goldens) >= 3


@pytest.mark.parametrize("path", GOLDENS, ids=lambda p: p.stem)
def test_golden(path: Path) -> None:
    golden = _golden(path)
    problems = _input_errors(golden.input)
    expected_error = golden.expected_error
    if problems:  # the worker refuses the payload before the handler runs
        assert expected_error is not None, problems
        assert expected_error.kind == "invalid_input"
        return
    if expected_error is not None:
        with pytest.raises((TruthCoreError, ConnectorFailure)) as raised:
            _run(golden)
        assert raised.value.error_kind == expected_error.kind
        assert expected_error.message_contains in str(raised.value)
        return
    output, decisions = _run(golden)
    if golden.exact:
        assert output == golden.expected_output
    else:
        assert is_subset(golden.expected_output, output), output
    assert decisions[0]["decision"] == "records_loaded"
    assert decisions[-1]["decision"] == "verdict"
    assert _run(golden)[0] == output  # deterministic: same input, same output


@pytest.mark.parametrize("path", GOLDENS, ids=lambda p: p.stem)
def test_golden_outputs_obey_the_output_schema(path: Path) -> None:
    golden = _golden(path)
    if golden.expected_error is not None:
        return
    schema = _contract().job_types[verify.JOB_TYPE].output_schema
    assert list(Draft202012Validator(schema).iter_errors(golden.expected_output)) == []


def test_verdict_time_is_the_context_clock() -> None:
    golden = _golden(GOLDENS_DIR / "orders-dataset.yaml").model_copy(
        update={"now": "2031-05-06T07:08:09+00:00"}
    )
    output, _ = _run(golden)
    assert output["verified_at"] == "2031-05-06T07:08:09+00:00"
