"""One problem as a text line, a JSON object or a GitHub annotation (shared by reporters).

Paths, field paths and messages can hold whatever a user's file holds, a key with a raw
newline included. Text and annotations are read line by line, so control characters are
written as visible escapes (``\\n``, ``\\x1b``) and one problem is always one line; JSON
keeps the raw text, which its own escaping already makes safe.

Lone surrogates (U+D800 to U+DFFF) are written as ``\\ud800`` in every format. The loader
refuses them in strings (JF118), but a path can hold one (a file name that is not UTF-8 is
decoded with ``surrogateescape``), and no UTF-8 stream can carry one: printing it would
end the run with a UnicodeEncodeError instead of the report.
"""

from __future__ import annotations

import json
import re
from typing import Any

from jobforge.contracts.problems.problem import Problem

# C0 and C1 controls, DEL, and the Unicode line and paragraph separators: everything
# str.splitlines() or a terminal would act on rather than print.
# Lone surrogates too, which no UTF-8 output can hold.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")
# The same but CR and LF, which GitHub's own escaping turns into line breaks it shows.
_CONTROL_BUT_LINE_BREAKS = re.compile(
    "[\x00-\x09\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]"
)
_SURROGATE = re.compile("[\ud800-\udfff]")
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


def json_document(document: Any) -> str:
    """``document`` as indented, sorted JSON that any UTF-8 stream can carry.

    Text stays readable (``ensure_ascii=False``); a lone surrogate, which ``json.dumps``
    would leave raw, becomes its ``\\uXXXX`` escape, which JSON parsers read back as it was.
    """
    text = json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False)
    return _SURROGATE.sub(lambda match: f"\\u{ord(match.group()):04x}", text) + "\n"


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
    field = f"{escape_control(problem.field_text)}: " if problem.field else ""
    return github_error(
        file=problem.path,
        line=problem.position.line,
        column=problem.position.column,
        title=problem.rule.title,
        message=field + problem.message,
    )


def github_error(
    *, file: str | None, line: int, title: str, message: str, column: int | None = None
) -> str:
    """A GitHub Actions ``::error`` workflow command at ``file:line`` (and ``column``); with
    no ``file``, an annotation of the run itself (GitHub shows it on the run's summary).

    GitHub's own escaping (``%25``, ``%0D``, ``%0A``, and ``%3A``, ``%2C`` in properties)
    keeps the command on one line; a line break in the message stays one (GitHub shows it),
    every other control character, and any in the file or title, is a visible escape.
    """
    properties = []
    if file is not None:
        properties += [f"file={_escape_property(escape_control(file))}", f"line={line}"]
        if column is not None:
            properties.append(f"col={column}")
    properties.append(f"title={_escape_property(escape_control(title))}")
    text = _CONTROL_BUT_LINE_BREAKS.sub(_visible, message)
    return f"::error {','.join(properties)}::{_escape_data(text)}"


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")
