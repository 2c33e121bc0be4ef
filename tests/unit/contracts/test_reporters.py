"""Reporters render collected results; the text, json and github formats."""

from __future__ import annotations

import json
from collections import Counter

from jobforge.contracts.checks.validation import ValidationResult
from jobforge.contracts.loading.layout import FileKind
from jobforge.contracts.problems import rules
from jobforge.contracts.problems.problem import Position, Problem
from jobforge.contracts.problems.reporters import render_github, render_json, render_text

PROBLEM = Problem(
    "connectors/x/metadata.json",
    Position(3, 7),
    ("rate_limits", "retry_after_headr"),
    rules.UNKNOWN_KEY,
    "unknown key 'retry_after_headr'; did you mean 'retry_after_header'?",
)


def _result(*problems: Problem) -> ValidationResult:
    return ValidationResult(problems=list(problems), files_checked=Counter({FileKind.CONNECTOR: 2}))


def test_text_ok_is_one_line() -> None:
    assert render_text(_result()) == (
        "jobforge-contracts: ok: 2 files checked (2 connectors), no problems\n"
    )


def test_text_problem_line() -> None:
    assert render_text(_result(PROBLEM)).splitlines() == [
        "connectors/x/metadata.json:3:7: rate_limits.retry_after_headr: JF104 unknown-key: "
        "unknown key 'retry_after_headr'; did you mean 'retry_after_header'?",
        "jobforge-contracts: 1 problem in 1 file; 2 files checked (2 connectors)",
    ]


def test_json_report() -> None:
    document = json.loads(render_json(_result(PROBLEM)))
    assert document["ok"] is False
    assert document["problems"] == [
        {
            "path": "connectors/x/metadata.json",
            "line": 3,
            "column": 7,
            "field": "rate_limits.retry_after_headr",
            "rule": "JF104",
            "name": "unknown-key",
            "message": PROBLEM.message,
        }
    ]


def test_github_annotations_escape_their_syntax() -> None:
    problem = Problem(
        "connectors/a,b:c/metadata.json", Position(1, 2), (), rules.INVALID_JSON, "50%\nbad"
    )
    lines = render_github(_result(problem)).splitlines()
    assert lines[0] == (
        "::error file=connectors/a%2Cb%3Ac/metadata.json,line=1,col=2,"
        "title=JF101 invalid-json::50%25%0Abad"
    )
    assert lines[1].startswith("jobforge-contracts: 1 problem in 1 file")
