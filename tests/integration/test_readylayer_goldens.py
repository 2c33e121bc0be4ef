"""The ``readylayer.edge`` goldens replayed through the real client, worker and PostgreSQL:
input schema enforced, connector calls answered from the recordings, each run twice."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from jobforge.contracts.config import load_config
from jobforge.handlers import default_registry
from jobforge.replay.cases import GoldenSpec
from jobforge.replay.engine import run_goldens
from jobforge.replay.project import ReplayInputs, load_replay_inputs
from jobforge.runners.readylayer import optimize, warm

ROOT = Path(__file__).resolve().parents[2]
GOLDENS = sorted((ROOT / "goldens" / "readylayer.edge").glob("*.yaml"))


def _inputs() -> ReplayInputs:
    inputs = load_replay_inputs(load_config(ROOT), GOLDENS)
    assert {warm.JOB_TYPE, optimize.JOB_TYPE} <= set(inputs.job_types)
    assert len(inputs.goldens) == len(GOLDENS) >= 6
    return inputs


def test_every_golden_passes_through_the_worker(database_url: str) -> None:
    inputs = _inputs()
    outcomes = run_goldens(
        database_url, inputs.goldens, registry=default_registry, job_types=inputs.job_types
    )
    failed = {outcome.golden.name: outcome.problems for outcome in outcomes if not outcome.passed}
    assert failed == {}


def test_a_golden_expecting_another_output_fails(database_url: str) -> None:
    """The replay can fail: one outcome of the normal warm golden changed."""
    inputs = _inputs()
    [normal] = [g for g in inputs.goldens if g.path.name == "warm-two-batches.yaml"]
    expected = dict(normal.expected_output)
    expected["summary"] = {**expected["summary"], "warmed": 12, "failed": 0}
    tampered: GoldenSpec = dataclasses.replace(normal, expected_output=expected)
    [outcome] = run_goldens(
        database_url, [tampered], registry=default_registry, job_types=inputs.job_types
    )
    assert not outcome.passed
    [problem] = outcome.problems
    assert problem.startswith("expected_output is not equal")
    assert '+    "warmed": 11' in problem
