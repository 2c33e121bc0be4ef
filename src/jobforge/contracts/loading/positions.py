"""Where each key and value of a loaded document sits in its file."""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field

from jobforge.contracts.problems.problem import START, FieldPath, Position


@dataclass(slots=True)
class PositionIndex:
    """Positions by field path: of each value, and of each mapping key.

    A path that is not recorded (a missing key) resolves to its nearest recorded parent,
    so every problem gets a position inside the file.
    """

    values: dict[FieldPath, Position] = field(default_factory=dict)
    keys: dict[FieldPath, Position] = field(default_factory=dict)

    def value(self, path: FieldPath) -> Position:
        for length in range(len(path), -1, -1):
            position = self.values.get(path[:length])
            if position is not None:
                return position
        return START

    def key(self, path: FieldPath) -> Position:
        position = self.keys.get(path)
        return position if position is not None else self.value(path)


class LineIndex:
    """Turns character offsets into 1-based line and column."""

    def __init__(self, text: str) -> None:
        self._starts = [0]
        offset = text.find("\n")
        while offset != -1:
            self._starts.append(offset + 1)
            offset = text.find("\n", offset + 1)

    def position(self, offset: int) -> Position:
        line = bisect_right(self._starts, offset)
        return Position(line, offset - self._starts[line - 1] + 1)
