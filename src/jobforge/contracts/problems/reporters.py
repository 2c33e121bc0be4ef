"""Rendering validation results: text for people, JSON for machines, GitHub annotations.

Reporters only render; the exit code is decided from the results by the caller.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from jobforge.contracts.checks.validation import ValidationResult
from jobforge.contracts.problems.problem_format import (
    github_annotation,
    json_document,
    json_object,
    text_line,
)

PROGRAM = "jobforge-contracts"


def render_text(result: ValidationResult) -> str:
    lines = [text_line(problem) for problem in result.problems]
    lines.append(summary(result))
    return "\n".join(lines) + "\n"


def render_json(result: ValidationResult) -> str:
    document: dict[str, Any] = {
        "ok": result.ok,
        "files_checked": {
            kind.value: count for kind, count in sorted(result.files_checked.items())
        },
        "cross_references_checked": result.cross_references_checked,
        "ignored": result.ignored,
        "problems": [json_object(problem) for problem in result.problems],
    }
    return json_document(document)


def render_github(result: ValidationResult) -> str:
    """GitHub Actions workflow commands: one ``::error`` annotation per problem."""
    lines = [github_annotation(problem) for problem in result.problems]
    lines.append(summary(result))
    return "\n".join(lines) + "\n"


def summary(result: ValidationResult) -> str:
    kinds = ", ".join(kind.counted(count) for kind, count in sorted(result.files_checked.items()))
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
