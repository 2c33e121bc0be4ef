"""A small JSON scanner that records the position of every key and value.

``json.loads`` (C) does the parsing; this scanner runs only when a position is needed:
to report a duplicate key, a NaN, or a model error. It accepts what ``json.loads``
accepts (including NaN and Infinity, so it can point at them) and reports duplicates.
"""

from __future__ import annotations

import json.decoder
import json.scanner
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from jobforge.contracts.loading.positions import LineIndex, PositionIndex
from jobforge.contracts.problems.problem import FieldPath, Position

# The C string scanner json.loads uses; typeshed does not declare it.
_scanstring: Callable[[str, int], tuple[str, int]] = json.decoder.scanstring  # type: ignore[attr-defined]
_WHITESPACE = re.compile(r"[ \t\n\r]*")
_NUMBER = json.scanner.NUMBER_RE
_CONSTANTS = {"NaN": True, "Infinity": True, "-Infinity": True}
_LITERALS = ("true", "false", "null", "NaN", "Infinity", "-Infinity")


@dataclass(frozen=True, slots=True)
class DuplicateKey:
    path: FieldPath
    position: Position
    first: Position


@dataclass(slots=True)
class JsonScan:
    positions: PositionIndex = field(default_factory=PositionIndex)
    duplicates: list[DuplicateKey] = field(default_factory=list)
    non_finite: list[tuple[FieldPath, Position, str]] = field(default_factory=list)


def scan_json(text: str) -> JsonScan:
    """Scan ``text``, which ``json.loads`` already accepted, recording positions."""
    scanner = _Scanner(text)
    scanner.scan_value(scanner.skip(0), ())
    return scanner.result


class _Scanner:
    def __init__(self, text: str) -> None:
        self.text = text
        self.lines = LineIndex(text)
        self.result = JsonScan()

    def skip(self, offset: int) -> int:
        match = _WHITESPACE.match(self.text, offset)
        assert match is not None
        return match.end()

    def scan_value(self, offset: int, path: FieldPath) -> int:
        self.result.positions.values[path] = self.lines.position(offset)
        char = self.text[offset]
        if char == "{":
            return self.scan_object(offset + 1, path)
        if char == "[":
            return self.scan_array(offset + 1, path)
        if char == '"':
            return _scanstring(self.text, offset + 1)[1]
        for literal in _LITERALS:
            if self.text.startswith(literal, offset):
                if literal in _CONSTANTS:
                    self.result.non_finite.append((path, self.lines.position(offset), literal))
                return offset + len(literal)
        match = _NUMBER.match(self.text, offset)
        assert match is not None, f"scan_json given text json.loads refuses at {offset}"
        number_text = match.group(0)
        if "e" in number_text.lower() or "." in number_text:
            value = float(number_text)
            if value in (float("inf"), float("-inf")):
                self.result.non_finite.append((path, self.lines.position(offset), number_text))
        return match.end()

    def scan_object(self, offset: int, path: FieldPath) -> int:
        offset = self.skip(offset)
        seen: dict[str, Position] = {}
        if self.text[offset] == "}":
            return offset + 1
        while True:
            key_position = self.lines.position(offset)
            key, offset = _scanstring(self.text, offset + 1)
            child: FieldPath = (*path, key)
            if key in seen:
                self.result.duplicates.append(DuplicateKey(child, key_position, seen[key]))
            else:
                seen[key] = key_position
                self.result.positions.keys[child] = key_position
            offset = self.skip(self.skip(offset) + 1)  # past the colon
            if key in seen and seen[key] is not key_position:
                # A duplicate's value is scanned into a throwaway index: the first one wins
                # positions, as the first one is what the error message points back to.
                saved = self.result.positions
                self.result.positions = PositionIndex()
                offset = self.scan_value(offset, child)
                self.result.positions = saved
            else:
                offset = self.scan_value(offset, child)
            offset = self.skip(offset)
            if self.text[offset] == "}":
                return offset + 1
            offset = self.skip(offset + 1)  # past the comma

    def scan_array(self, offset: int, path: FieldPath) -> int:
        offset = self.skip(offset)
        if self.text[offset] == "]":
            return offset + 1
        index = 0
        while True:
            offset = self.skip(self.scan_value(offset, (*path, index)))
            index += 1
            if self.text[offset] == "]":
                return offset + 1
            offset = self.skip(offset + 1)
