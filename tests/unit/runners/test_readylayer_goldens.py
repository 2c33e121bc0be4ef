"""The ``readylayer.edge`` goldens, run in-process without a database.

Recorded connector responses answer the handler's calls (replay mode), so a golden that
needs a call it does not record fails here. Goldens expecting ``invalid_input`` from the
input schema are checked against the contract's schema, as the worker does before the
handler runs. The full replay through the worker and PostgreSQL is
tests/integration/test_readylayer_goldens.py.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from jobforge.contracts.loading.loader import load_file
from jobforge.contracts.models.contract_files import GoldenCase
from jobforge.errors import JobForgeError
from jobforge.handlers import default_registry
from jobforge.runners.readylayer import optimize, warm
from tests.unit.runners.readylayer_support import GOLDENS, JOB_TYPES, Run, job_type_contract

GOLDEN_FILES = sorted(GOLDENS.glob("*.yaml"))


def load_golden(path: Path) -> GoldenCase:
    loaded = load_file(path, path.name)
    assert loaded.ok, loaded.problems
    return GoldenCase.model_validate(loaded.data)


def test_the_handlers_are_registered() -> None:
    assert default_registry.get(warm.JOB_TYPE).function is warm.warm_cache
    assert default_registry.get(optimize.JOB_TYPE).function is optimize.optimize_assets


def test_each_job_type_has_a_normal_an_invalid_and_an_edge_golden() -> None:
    goldens = [load_golden(path) for path in GOLDEN_FILES]
    kinds = Counter((g.job_type, "error" if g.expected_error else "output") for g in goldens)
    for job_type in JOB_TYPES:
        assert kinds[(job_type, "output")] >= 2, kinds  # a normal case and an edge case
        assert kinds[(job_type, "error")] >= 1, kinds
        assert any(
            g.job_type == job_type
            and g.expected_error is not None
            and g.expected_error.kind == "invalid_input"
            and job_type_contract(job_type).input_errors(g.input)
            for g in goldens
        ), f"{job_type} has no golden whose input the schema refuses"


@pytest.mark.parametrize("path", GOLDEN_FILES, ids=lambda path: path.stem)
def test_golden(path: Path) -> None:
    golden = load_golden(path)
    recordings = [response.model_dump() for response in golden.connector_responses]
    schema_errors = job_type_contract(golden.job_type).input_errors(golden.input)
    if golden.expected_error is not None:
        expected = golden.expected_error
        if schema_errors:
            assert expected.kind == "invalid_input"
            message = "; ".join(schema_errors)
        else:
            with pytest.raises(JobForgeError) as caught:
                Run(golden.job_type, golden.input, recordings=recordings)
            assert getattr(caught.value, "error_kind", None) == expected.kind
            message = str(caught.value)
        assert expected.message_contains is None or expected.message_contains in message
        return
    assert schema_errors == []
    first = Run(golden.job_type, golden.input, recordings=recordings)
    assert golden.exact
    assert first.output == golden.expected_output
    assert job_type_contract(golden.job_type).output_errors(first.output) == []
    for decision in first.decisions():
        assert set(golden.expected_trace_keys) <= set(decision), decision
    again = Run(golden.job_type, golden.input, recordings=recordings)
    assert again.output == first.output
    assert again.decisions() == first.decisions()
