"""Text edits of a golden: what replaces which span, applied all at once."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


class PatchRefused(Exception):
    """The golden cannot be edited in place; ``offset`` is where in its text, and why."""

    def __init__(self, message: str, offset: int) -> None:
        super().__init__(message)
        self.message = message
        self.offset = offset


@dataclass(frozen=True)
class Edit:
    """Replace ``text[start:end]`` with ``replacement``."""

    start: int
    end: int
    replacement: str


def apply_edits(text: str, edits: Sequence[Edit]) -> str:
    """``text`` with every edit made; edits must not overlap (that would be a bug)."""
    pieces: list[str] = []
    position = 0
    for edit in sorted(edits, key=lambda edit: (edit.start, edit.end)):
        if edit.start < position:
            raise PatchRefused("two edits of the golden overlap", edit.start)
        pieces.extend((text[position : edit.start], edit.replacement))
        position = edit.end
    pieces.append(text[position:])
    return "".join(pieces)
