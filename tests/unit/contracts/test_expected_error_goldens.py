"""Goldens expecting a failure: which schema checks apply to their input and output."""

from __future__ import annotations

from pathlib import Path

import pytest

from jobforge.contracts.checks.validation import validate
from jobforge.contracts.config import load_config
from tests.unit.contracts.support import make_project

HEAD = "name: n\njob_type: autopilot.ops.scan\ntenant: t\n"


def problems(root: Path, golden: str) -> list[str]:
    path = root / "goldens" / "autopilot.ops.scan" / "expecting-an-error.yaml"
    path.write_text(HEAD + golden, encoding="utf-8")
    result = validate(load_config(root))
    return [f"{p.path}:{p.position.line}: {p.field_text}: {p.rule.id}" for p in result.problems]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return make_project(
        tmp_path, pyproject='[tool.jobforge]\nhandler_modules = ["jobforge.runners.ops.scan"]\n'
    )


def test_an_invalid_input_golden_is_not_held_to_the_input_schema(project: Path) -> None:
    # The zone is required: the schema (or the handler's own checks) refuse this input.
    assert (
        problems(project, "input: {checks: [tls]}\nexpected_error: {kind: invalid_input}\n") == []
    )


def test_another_expected_error_still_needs_a_valid_input(project: Path) -> None:
    found = problems(project, "input: {checks: [tls]}\nexpected_error: {kind: exception}\n")
    assert found == ["goldens/autopilot.ops.scan/expecting-an-error.yaml:4: input: JF206"]


def test_an_expected_error_golden_has_no_output_to_check(project: Path) -> None:
    golden = "input: {zone: a.example}\nexpected_error: {kind: connector_timeout}\n"
    assert problems(project, golden) == []
