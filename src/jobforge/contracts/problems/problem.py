"""A problem found in a file: where it is, which rule it breaks, and what to do."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from jobforge.contracts.problems.rules import Rule

FieldPath = tuple[str | int, ...]
_IDENTIFIER = re.compile(r"^[A-Za-z_$][A-Za-z0-9_$]*$")


@dataclass(frozen=True, slots=True)
class Position:
    """1-based line and column of a key or value in a file."""

    line: int
    column: int


START = Position(1, 1)


@dataclass(frozen=True, slots=True)
class Problem:
    path: str
    """The file, relative to the project root when it lies inside it, with ``/`` separators."""
    position: Position
    field: FieldPath
    rule: Rule
    message: str

    @property
    def field_text(self) -> str:
        return render_field_path(self.field)

    def sort_key(self) -> tuple[str, int, int, str, str]:
        return (self.path, self.position.line, self.position.column, self.rule.id, self.message)


def render_field_path(field: Sequence[str | int]) -> str:
    """``failure_modes[0].type``, empty for the whole file.

    Keys that are not identifiers are quoted: ``job_types["a.b"]``.
    """
    text = ""
    for part in field:
        if isinstance(part, int):
            text += f"[{part}]"
        elif _IDENTIFIER.fullmatch(part):
            text += f".{part}" if text else part
        else:
            text += f'["{part}"]'
    return text
