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


def _problem_with_controls() -> Problem:
    return Problem(
        "connectors/x\ny/metadata.json",
        Position(4, 5),
        ("job_types", "bad\nkey", "tab\there", "esc\x1bape", "line\u2028sep"),
        rules.UNKNOWN_KEY,
        "unknown key\r\nsplit \x00 \x7f \x85 end",
    )


def test_text_escapes_control_characters_so_a_problem_is_one_line() -> None:
    lines = render_text(_result(_problem_with_controls())).splitlines()
    assert len(lines) == 2
    assert lines[0] == (
        "connectors/x\\ny/metadata.json:4:5: "
        'job_types["bad\\nkey"]["tab\\there"]["esc\\x1bape"]["line\\u2028sep"]: '
        "JF104 unknown-key: unknown key\\r\\nsplit \\x00 \\x7f \\x85 end"
    )


def test_text_keeps_printable_text_and_backslashes_as_they_are() -> None:
    problem = Problem(
        "goldens/ä/case.yaml", Position(1, 1), ("naïve",), rules.UNKNOWN_KEY, r"pattern '^\d+$' ✓"
    )
    assert render_text(_result(problem)).splitlines()[0] == (
        "goldens/ä/case.yaml:1:1: [\"naïve\"]: JF104 unknown-key: pattern '^\\d+$' ✓"
    )


def test_github_annotation_is_one_line_whatever_the_field_path_holds() -> None:
    lines = render_github(_result(_problem_with_controls())).splitlines()
    assert len(lines) == 2
    assert lines[0] == (
        "::error file=connectors/x\\ny/metadata.json,line=4,col=5,title=JF104 unknown-key::"
        'job_types["bad\\nkey"]["tab\\there"]["esc\\x1bape"]["line\\u2028sep"]: '
        "unknown key%0D%0Asplit \\x00 \\x7f \\x85 end"
    )


def test_github_properties_escape_percent_colon_and_comma() -> None:
    problem = Problem("a%b,c:d.json", Position(1, 1), (), rules.INVALID_JSON, "x")
    assert render_github(_result(problem)).splitlines()[0] == (
        "::error file=a%25b%2Cc%3Ad.json,line=1,col=1,title=JF101 invalid-json::x"
    )


def test_json_report_keeps_the_raw_text() -> None:
    problem = _problem_with_controls()
    [reported] = json.loads(render_json(_result(problem)))["problems"]
    assert reported["message"] == problem.message
    assert reported["path"] == problem.path


def _problem_with_surrogates() -> Problem:
    # A lone surrogate never reaches a message from a file (JF118 refuses it at load), but a
    # path can hold one: a file name that is not UTF-8 is decoded with surrogateescape.
    return Problem(
        "goldens/x\udcff/case.yaml",
        Position(2, 3),
        ("input", "k\ud800"),
        rules.INVALID_VALUE,
        'got "\ud834\udd1e" and \udfff',
    )


def test_text_and_github_write_lone_surrogates_as_escapes() -> None:
    problem = _problem_with_surrogates()
    text = render_text(_result(problem))
    github = render_github(_result(problem))
    for output in (text, github):
        output.encode("utf-8")  # printable on any UTF-8 stream: no UnicodeEncodeError
    assert text.splitlines()[0] == (
        'goldens/x\\udcff/case.yaml:2:3: input["k\\ud800"]: JF112 invalid-value: '
        'got "\\ud834\\udd1e" and \\udfff'
    )
    assert github.splitlines()[0] == (
        "::error file=goldens/x\\udcff/case.yaml,line=2,col=3,title=JF112 invalid-value::"
        'input["k\\ud800"]: got "\\ud834\\udd1e" and \\udfff'
    )


def test_json_writes_lone_surrogates_as_json_escapes_and_reads_back() -> None:
    problem = _problem_with_surrogates()
    output = render_json(_result(problem))
    output.encode("utf-8")
    assert "\\udcff" in output
    [reported] = json.loads(output)["problems"]
    assert reported["path"] == problem.path
    assert reported["field"] == 'input["k\ud800"]'
    # A high surrogate escape followed by a low one is a pair to any JSON reader.
    assert reported["message"] == 'got "\U0001d11e" and \udfff'


def test_json_keeps_characters_outside_the_basic_plane_as_they_are() -> None:
    problem = Problem("a.json", Position(1, 1), (), rules.INVALID_VALUE, "clef \U0001d11e")
    assert "clef \U0001d11e" in render_json(_result(problem))
