"""The shipped ``autopilot.ops.scan`` runner, run on its goldens without a database.

The goldens' recorded connector responses answer the handler's calls (replay mode), the
clock is the goldens' fixed one, and the output must match ``expected_output`` the way
golden replay compares it. The full replay through the worker is the replay suite's job.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from jobforge.connectors.calls import RecordedResponse
from jobforge.connectors.registry import ConnectorRegistry
from jobforge.connectors.session import ConnectorSession
from jobforge.context import JobContext
from jobforge.contracts.loading.loader import load_file
from jobforge.contracts.models.contract_files import GoldenCase
from jobforge.determinism.trace import DecisionTrace
from jobforge.handlers import default_registry
from jobforge.replay.cases import DEFAULT_NOW
from jobforge.replay.compare import is_subset
from jobforge.runners.ops import scan

GOLDENS = sorted(
    (Path(__file__).resolve().parents[3] / "goldens" / "autopilot.ops.scan").glob("*.yaml")
)


def _run(golden: GoldenCase) -> tuple[Any, list[str]]:
    trace = DecisionTrace(runner_id="autopilot.ops.scan")
    recordings = [RecordedResponse.from_json(r.model_dump()) for r in golden.connector_responses]
    now = datetime.fromisoformat(golden.now) if golden.now else DEFAULT_NOW
    ctx = JobContext(
        job_id=uuid.UUID(int=1),
        tenant_id=uuid.UUID(int=2),
        job_type=golden.job_type,
        attempt=1,
        max_attempts=3,
        trace_id="trace",
        worker_id="test",
        now=now,
        seed=golden.seed or 0,
        trace=trace,
        runner_id="autopilot.ops.scan",
        connectors=ConnectorSession(ConnectorRegistry(), recordings, trace.record),
    )
    output = default_registry.get(golden.job_type).function(golden.input, ctx)
    return output, [event for event in trace.events() if event["source"] == "handler"]


def test_the_handler_is_registered() -> None:
    assert default_registry.get(scan.JOB_TYPE).function is scan.scan


def test_there_are_goldens() -> None:
    assert len(GOLDENS) >= 2


@pytest.mark.parametrize("path", GOLDENS, ids=lambda p: p.stem)
def test_golden_output_matches(path: Path) -> None:
    loaded = load_file(path, path.name)
    assert loaded.ok, loaded.problems
    golden = GoldenCase.model_validate(loaded.data)
    output, decisions = _run(golden)
    if golden.exact:
        assert output == golden.expected_output
    else:
        assert is_subset(golden.expected_output, output), output
    assert decisions
    for event in decisions:  # every decision the handler records carries every expected key
        assert set(golden.expected_trace_keys) <= set(event), event
    assert _run(golden)[0] == output  # deterministic: same input, same output


def test_scan_time_is_the_context_clock() -> None:
    loaded = load_file(GOLDENS[0], GOLDENS[0].name)
    golden = GoldenCase.model_validate({**loaded.data, "now": "2031-05-06T07:08:09Z"})
    output, _ = _run(golden)
    assert output["scanned_at"] == datetime(2031, 5, 6, 7, 8, 9, tzinfo=UTC).isoformat()
