"""Rendering validation results: text for people, JSON for machines, GitHub annotations.

Reporters only render; the exit code is decided from the results by the caller.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from jobforge.contracts.problems import Problem
from jobforge.contracts.validation import ValidationResult

PROGRAM = "jobforge-contracts"


def render_text(result: ValidationResult) -> str:
    lines = [_text_line(problem) for problem in result.problems]
    lines.append(summary(result))
    return "\n".join(lines) + "\n"


def _text_line(problem: Problem) -> str:
    where = f"{problem.path}:{problem.position.line}:{problem.position.column}:"
    field = f" {problem.field_text}:" if problem.field else ""
    return f"{where}{field} {problem.rule.title}: {problem.message}"


def render_json(result: ValidationResult) -> str:
    document: dict[str, Any] = {
        "ok": result.ok,
        "files_checked": {
            kind.value: count for kind, count in sorted(result.files_checked.items())
        },
        "cross_references_checked": result.cross_references_checked,
        "ignored": result.ignored,
        "problems": [
            {
                "path": problem.path,
                "line": problem.position.line,
                "column": problem.position.column,
                "field": problem.field_text,
                "rule": problem.rule.id,
                "name": problem.rule.name,
                "message": problem.message,
            }
            for problem in result.problems
        ],
    }
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def render_github(result: ValidationResult) -> str:
    """GitHub Actions workflow commands: one ``::error`` annotation per problem."""
    lines = []
    for problem in result.problems:
        properties = ",".join(
            (
                f"file={_escape_property(problem.path)}",
                f"line={problem.position.line}",
                f"col={problem.position.column}",
                f"title={_escape_property(problem.rule.title)}",
            )
        )
        field = f"{problem.field_text}: " if problem.field else ""
        lines.append(f"::error {properties}::{_escape_data(field + problem.message)}")
    lines.append(summary(result))
    return "\n".join(lines) + "\n"


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def summary(result: ValidationResult) -> str:
    kinds = ", ".join(
        f"{count} {kind.value}{'' if count == 1 else 's'}"
        for kind, count in sorted(result.files_checked.items())
    )
    checked = f"{result.file_count} file{'' if result.file_count == 1 else 's'} checked"
    if kinds:
        checked += f" ({kinds})"
    ignored = f", {result.ignored} ignored by configuration" if result.ignored else ""
    if result.ok:
        return f"{PROGRAM}: ok: {checked}, no problems{ignored}"
    files = len({problem.path for problem in result.problems})
    count = len(result.problems)
    return (
        f"{PROGRAM}: {count} problem{'' if count == 1 else 's'} in "
        f"{files} file{'' if files == 1 else 's'}; {checked}{ignored}"
    )


REPORTERS: dict[str, Callable[[ValidationResult], str]] = {
    "text": render_text,
    "json": render_json,
    "github": render_github,
}
