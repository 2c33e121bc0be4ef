"""Golden replay through the real client and worker, on both PostgreSQL servers."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest

from jobforge.replay.cases import GoldenSpec
from jobforge.replay.engine import GoldenOutcome, run_goldens
from jobforge.replay.session import replay_goldens
from jobforge.worker.job_types import JobTypeContract
from tests.integration.replay.golden_handlers import registry

HEALTHY = {
    "connector_id": "readylayer.cdn",
    "operation": "zone_status",
    "response": {"healthy": True},
}


def golden(name: str, job_type: str = "test.scan", **fields: Any) -> GoldenSpec:
    defaults: dict[str, Any] = {
        "input": {"assets": ["hot-a", "cold-b"], "zone": "eu"},
        "expected_output": {"hot": ["hot-a"], "zone_healthy": True},
        "connector_responses": (HEALTHY,),
    }
    return GoldenSpec(
        name=name,
        path=Path(f"goldens/{name}.yaml"),
        line=1,
        job_type=job_type,
        tenant_id=str(uuid.uuid4()),
        **{**defaults, **fields},
    )


def run(database_url: str, *goldens: GoldenSpec, **kwargs: Any) -> list[GoldenOutcome]:
    return run_goldens(database_url, goldens, registry=registry, job_types={}, **kwargs)


def test_a_matching_golden_passes_with_its_records(database_url: str) -> None:
    [outcome] = run(database_url, golden("ok", expected_trace_keys=("timestamp", "hot")))
    assert outcome.passed, outcome.problems
    assert outcome.actual_output["scanned_at"] == "2000-01-01T00:00:00+00:00"
    assert len(outcome.job_ids) == 2  # deterministic goldens run twice


def test_a_wrong_expected_output_fails_with_a_diff(database_url: str) -> None:
    [outcome] = run(database_url, golden("wrong", expected_output={"hot": ["cold-b"]}))
    assert not outcome.passed
    [problem] = outcome.problems
    assert "expected_output is not contained in the actual output" in problem
    assert '-    "cold-b"' in problem
    assert '+    "hot-a"' in problem
    assert str(outcome.job_ids[0]) in problem


def test_exact_goldens_need_equality(database_url: str) -> None:
    [outcome] = run(database_url, golden("exact", exact=True))
    assert not outcome.passed
    assert "is not equal" in outcome.problems[0]


def test_a_handler_reading_the_wall_clock_is_caught(database_url: str) -> None:
    [outcome] = run(database_url, golden("clock", "test.clock", expected_output={}))
    [problem] = outcome.problems
    assert problem.startswith("not deterministic")
    assert "output.at" in problem


def test_an_unrecorded_connector_call_is_caught_and_named(database_url: str) -> None:
    [outcome] = run(database_url, golden("unrecorded", connector_responses=()))
    [problem] = outcome.problems
    assert "unrecorded_connector_call" in problem
    assert 'readylayer.cdn.zone_status({"zone":"eu"})' in problem


TIMED_OUT = {
    "connector_id": "readylayer.cdn",
    "operation": "zone_status",
    "failure": {
        "type": "timeout",
        "kind": "connector_timeout",
        "message": "zone_status timed out (4 tries; dead-lettered)",
        "dead_letter": True,
        "retry_in_seconds": None,
    },
}


def test_a_recorded_connector_failure_reaches_the_handler_and_is_judged(
    database_url: str,
) -> None:
    expected = {"kind": "connector_timeout", "message_contains": "4 tries; dead-lettered"}
    [outcome] = run(
        database_url,
        golden("timed-out", connector_responses=(TIMED_OUT,), expected_error=expected),
    )
    assert outcome.passed, outcome.problems
    [wrong] = run(
        database_url,
        golden(
            "other-kind",
            connector_responses=(TIMED_OUT,),
            expected_error={"kind": "connector_server_error"},
        ),
    )
    [problem] = wrong.problems
    assert "expected_error kind 'connector_server_error'" in problem
    assert "connector_timeout" in problem


def test_direct_network_access_is_refused(database_url: str) -> None:
    [outcome] = run(database_url, golden("network", "test.network", expected_output={}))
    [problem] = outcome.problems
    assert "network_access" in problem


def test_missing_trace_and_artifact_keys_are_reported(database_url: str) -> None:
    [outcome] = run(
        database_url,
        golden("keys", expected_trace_keys=("no_such_key",), expected_artifact_keys=("absent",)),
    )
    assert "decision 'classified' lacks expected_trace_keys ['no_such_key']" in outcome.problems
    assert any("expected_artifact_keys ['absent']" in p for p in outcome.problems)


def test_the_input_schema_is_enforced_without_retry(database_url: str) -> None:
    contract = JobTypeContract(
        runner_id="test.runner",
        runner_version="1.0.0",
        input_schema={"type": "object", "required": ["assets", "zone"]},
    )
    [outcome] = run_goldens(
        database_url,
        [golden("invalid", input={"assets": []})],
        registry=registry,
        job_types={"test.scan": contract},
    )
    [problem] = outcome.problems
    assert "invalid_input" in problem
    assert "'zone' is a required property" in problem


@pytest.mark.parametrize("parallel", [1, 3])
def test_replay_on_throwaway_databases_keeps_input_order(server_url: str, parallel: int) -> None:
    goldens = [golden(f"g{i}") for i in range(5)] + [golden("bad", expected_output={"x": 1})]
    outcomes = replay_goldens(
        goldens, database_url=server_url, parallel=parallel, registry=registry, job_types={}
    )
    assert [o.golden.name for o in outcomes] == [g.name for g in goldens]
    assert [o.passed for o in outcomes] == [True] * 5 + [False]


def test_an_expected_error_passes_when_the_job_fails_so_twice(database_url: str) -> None:
    expected = {"kind": "exception", "message_contains": "assets"}
    [outcome] = run(database_url, golden("raises", input={"zone": "eu"}, expected_error=expected))
    assert outcome.passed, outcome.problems
    assert len(outcome.job_ids) == 2


def test_an_expected_invalid_input_is_judged_against_the_contract(database_url: str) -> None:
    contract = JobTypeContract(
        runner_id="test",
        runner_version="1.0.0",
        input_schema={"type": "object", "required": ["assets", "zone"]},
        output_schema=None,
        timeout_seconds=None,
    )
    expected = {"kind": "invalid_input", "message_contains": "zone"}
    [outcome] = run_goldens(
        database_url,
        [golden("invalid", input={"assets": []}, expected_error=expected)],
        registry=registry,
        job_types={"test.scan": contract},
    )
    assert outcome.passed, outcome.problems


@pytest.mark.parametrize(
    ("payload", "expected", "problem"),
    [
        (
            {"assets": ["hot-a"], "zone": "eu"},
            {"kind": "exception"},
            "expected_error 'exception', but job",
        ),
        ({"zone": "eu"}, {"kind": "invalid_input"}, "expected_error kind 'invalid_input', but"),
        (
            {"zone": "eu"},
            {"kind": "exception", "message_contains": "zone"},
            "expected_error message to contain 'zone', but",
        ),
    ],
    ids=["succeeded", "other-kind", "other-message"],
)
def test_an_expected_error_fails_when_the_job_does_not_fail_so(
    database_url: str, payload: dict[str, Any], expected: dict[str, Any], problem: str
) -> None:
    [outcome] = run(database_url, golden("not-so", input=payload, expected_error=expected))
    [found] = outcome.problems
    assert found.startswith(problem), found
