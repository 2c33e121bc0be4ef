"""One problem as a text line, a JSON object or a GitHub annotation (shared by reporters)."""

from __future__ import annotations

from typing import Any

from jobforge.contracts.problems.problem import Problem


def text_line(problem: Problem) -> str:
    """``path:line:column: field.path: JF104 unknown-key: message``."""
    where = f"{problem.path}:{problem.position.line}:{problem.position.column}:"
    field = f" {problem.field_text}:" if problem.field else ""
    return f"{where}{field} {problem.rule.title}: {problem.message}"


def json_object(problem: Problem) -> dict[str, Any]:
    return {
        "path": problem.path,
        "line": problem.position.line,
        "column": problem.position.column,
        "field": problem.field_text,
        "rule": problem.rule.id,
        "name": problem.rule.name,
        "message": problem.message,
    }


def github_annotation(problem: Problem) -> str:
    """A GitHub Actions ``::error`` workflow command pointing at the problem."""
    properties = ",".join(
        (
            f"file={_escape_property(problem.path)}",
            f"line={problem.position.line}",
            f"col={problem.position.column}",
            f"title={_escape_property(problem.rule.title)}",
        )
    )
    field = f"{problem.field_text}: " if problem.field else ""
    return f"::error {properties}::{_escape_data(field + problem.message)}"


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")
