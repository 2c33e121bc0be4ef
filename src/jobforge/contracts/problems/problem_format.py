"""One problem as a text line, a JSON object or a GitHub annotation (shared by reporters).

Paths, field paths and messages can hold whatever a user's file holds, a key with a raw
newline included. Text and annotations are read line by line, so control characters are
written as visible escapes (``\\n``, ``\\x1b``) and one problem is always one line; JSON
keeps the raw text, which its own escaping already makes safe.
"""

from __future__ import annotations

import re
from typing import Any

from jobforge.contracts.problems.problem import Problem

# C0 and C1 controls, DEL, and the Unicode line and paragraph separators: everything
# str.splitlines() or a terminal would act on rather than print.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
# The same but CR and LF, which GitHub's own escaping turns into line breaks it shows.
_CONTROL_BUT_LINE_BREAKS = re.compile("[\x00-\x09\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029]")
_NAMED_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def escape_control(text: str) -> str:
    """``text`` with each control character as a visible escape; printable text as is."""
    return _CONTROL.sub(_visible, text)


def _visible(match: re.Match[str]) -> str:
    character = match.group()
    if character in _NAMED_ESCAPES:
        return _NAMED_ESCAPES[character]
    code = ord(character)
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def text_line(problem: Problem) -> str:
    """``path:line:column: field.path: JF104 unknown-key: message``, on one line."""
    where = f"{escape_control(problem.path)}:{problem.position.line}:{problem.position.column}:"
    field = f" {escape_control(problem.field_text)}:" if problem.field else ""
    return f"{where}{field} {problem.rule.title}: {escape_control(problem.message)}"


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
    """A GitHub Actions ``::error`` workflow command pointing at the problem.

    GitHub's own escaping (``%25``, ``%0D``, ``%0A``, and ``%3A``, ``%2C`` in properties)
    keeps the command on one line; a line break in the message stays one (GitHub shows it),
    every other control character, and any in the path or field path, is a visible escape.
    """
    properties = ",".join(
        (
            f"file={_escape_property(escape_control(problem.path))}",
            f"line={problem.position.line}",
            f"col={problem.position.column}",
            f"title={_escape_property(problem.rule.title)}",
        )
    )
    field = f"{escape_control(problem.field_text)}: " if problem.field else ""
    message = _CONTROL_BUT_LINE_BREAKS.sub(_visible, problem.message)
    return f"::error {properties}::{_escape_data(field + message)}"


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")
