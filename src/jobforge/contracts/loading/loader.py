"""Reading a JSON or YAML contract file into plain data, with the position of every node.

JSON is parsed by the standard library (C speed); positions are computed by a small
scanner only when a problem needs one. YAML is parsed with ruamel.yaml, whose round-trip
nodes carry line and column; it is imported only when a YAML file is read. Both paths
produce the same thing: plain dicts, lists, str, int, float, bool and None.

Decision: JSON is not parsed with ruamel.yaml, although YAML 1.2 is a superset of JSON,
because YAML accepts what JSON refuses (comments, single quotes, ``.nan``) and its error
messages talk about YAML to someone who wrote JSON.
"""

from __future__ import annotations

import datetime
import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jobforge.contracts.loading import json_syntax
from jobforge.contracts.loading.positions import LineIndex, PositionIndex
from jobforge.contracts.loading.yaml_composer import AnchorRefused, NestingTooDeep, strict_composer
from jobforge.contracts.problems import rules
from jobforge.contracts.problems.problem import (
    START,
    FieldPath,
    Position,
    Problem,
    render_field_path,
)

if TYPE_CHECKING:
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

DEFAULT_MAX_FILE_BYTES = 1024 * 1024
# Arrays and objects (sequences and mappings) nested in one another, in JSON and YAML alike.
# Contract files nest a JSON Schema inside a runner contract; 100 levels is far beyond that,
# and keeps every recursive step (parsers, the position scanner, pydantic) well inside
# Python's recursion limit. A golden's payloads still meet the router's own limit of 64.
MAX_NESTING_DEPTH = 100
NESTING_MESSAGE = f"nesting deeper than {MAX_NESTING_DEPTH} levels"
MAX_SHOWN_VALUE_CHARACTERS = 60


class _Refused(Exception):
    """Raised from a json.loads hook: the scanner will say exactly where."""


@dataclass(slots=True)
class LoadedFile:
    """A file read into plain data, or the problems that stopped it from being read."""

    path: str
    data: Any = None
    problems: list[Problem] = field(default_factory=list)
    _positions: PositionIndex | None = None
    _position_source: Callable[[], PositionIndex] | None = None

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def positions(self) -> PositionIndex:
        """Positions of keys and values; computed on first use for JSON files."""
        if self._positions is None:
            self._positions = self._position_source() if self._position_source else PositionIndex()
        return self._positions

    def problem(self, field_path: FieldPath, rule: rules.Rule, message: str) -> Problem:
        """A problem located at the value of ``field_path`` (or its nearest parent)."""
        return Problem(self.path, self.positions.value(field_path), field_path, rule, message)

    def key_problem(self, field_path: FieldPath, rule: rules.Rule, message: str) -> Problem:
        """A problem located at the key of ``field_path``."""
        return Problem(self.path, self.positions.key(field_path), field_path, rule, message)


def load_file(
    file_path: Path, display_path: str, *, max_bytes: int = DEFAULT_MAX_FILE_BYTES
) -> LoadedFile:
    """Read ``file_path`` (JSON if it ends with .json, else YAML); never raises for bad input."""
    loaded = LoadedFile(display_path)
    try:
        size = file_path.stat().st_size
        if size > max_bytes:
            return _fail(
                loaded,
                rules.FILE_TOO_LARGE,
                f"file is {size} bytes, above the limit of {max_bytes} bytes "
                "(max_file_bytes in [tool.jobforge.contracts])",
            )
        raw = file_path.read_bytes()
    except OSError as exc:
        return _fail(loaded, rules.UNREADABLE_FILE, f"cannot read the file: {exc.strerror}")
    text = _decode(raw, loaded)
    if text is None:
        return loaded
    if not text.strip():
        return _fail(loaded, rules.EMPTY_FILE, "the file is empty: expected an object")
    if file_path.suffix == ".json":
        _load_json(text, loaded)
    else:
        _load_yaml(text, loaded)
    if loaded.ok and not isinstance(loaded.data, dict):
        loaded.problems.append(
            loaded.problem(
                (),
                rules.WRONG_TYPE,
                f"expected an object at the top level, got {describe_value(loaded.data)}",
            )
        )
    return loaded


def show_value(value: Any) -> str:
    """A plain value as JSON, cut to a length that fits in a message."""
    try:
        text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    except (TypeError, ValueError):
        text = repr(value)
    if len(text) > MAX_SHOWN_VALUE_CHARACTERS:
        text = text[: MAX_SHOWN_VALUE_CHARACTERS - 1] + "…"
    return text


def describe_value(value: Any) -> str:
    """A plain value named for a message: ``null``, ``true``, ``the number 3``,
    ``the string "x"``, ``an array``, ``an object``."""
    if value is None or isinstance(value, bool):
        return show_value(value)
    if isinstance(value, int | float):
        return f"the number {show_value(value)}"
    if isinstance(value, str):
        return f"the string {show_value(value)}"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return f"a {type(value).__name__}"


def _fail(loaded: LoadedFile, rule: rules.Rule, message: str, at: Position = START) -> LoadedFile:
    loaded.problems.append(Problem(loaded.path, at, (), rule, message))
    return loaded


def _decode(raw: bytes, loaded: LoadedFile) -> str | None:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = raw[: exc.start].decode("utf-8", errors="replace")
        at = LineIndex(before).position(len(before))
        _fail(
            loaded,
            rules.INVALID_ENCODING,
            f"byte 0x{raw[exc.start]:02x} at offset {exc.start} is not UTF-8; "
            "save the file as UTF-8",
            at,
        )
        return None


# ---------------------------------------------------------------- JSON


def _refuse_constant(_: str) -> Any:
    raise _Refused


def _finite_float(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise _Refused
    return value


def _unique_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    document = dict(pairs)
    if len(document) != len(pairs):
        raise _Refused
    return document


def _load_json(text: str, loaded: LoadedFile) -> None:
    from jobforge.contracts.loading.json_positions import scan_json  # noqa: PLC0415 - only on demand

    too_deep = json_syntax.nesting_too_deep(text, MAX_NESTING_DEPTH)
    if too_deep is not None:
        _fail(loaded, rules.INVALID_JSON, NESTING_MESSAGE, LineIndex(text).position(too_deep))
        return
    loaded._position_source = lambda: scan_json(text).positions
    try:
        loaded.data = json.loads(
            text,
            object_pairs_hook=_unique_pairs,
            parse_constant=_refuse_constant,
            parse_float=_finite_float,
        )
    except _Refused:
        _report_json_refusals(text, loaded, scan_json)
    except json.JSONDecodeError as exc:
        message, offset = json_syntax.explain(text, exc)
        _fail(loaded, rules.INVALID_JSON, message, LineIndex(text).position(offset))
    except ValueError as exc:
        # int() refuses numbers of more than 4300 digits.
        _fail(loaded, rules.INVALID_JSON, f"cannot parse: {exc}")


def _report_json_refusals(text: str, loaded: LoadedFile, scan: Callable[[str], Any]) -> None:
    scanned = scan(text)
    loaded._positions = scanned.positions
    for duplicate in scanned.duplicates:
        first = duplicate.first
        loaded.problems.append(
            Problem(
                loaded.path,
                duplicate.position,
                duplicate.path,
                rules.DUPLICATE_KEY,
                f"duplicate key {duplicate.path[-1]!r} (first at line {first.line}, "
                f"column {first.column})",
            )
        )
    for path, position, literal in scanned.non_finite:
        loaded.problems.append(
            Problem(
                loaded.path,
                position,
                path,
                rules.NON_FINITE_NUMBER,
                f"{literal} is not a JSON number; use a finite number or null",
            )
        )


# ---------------------------------------------------------------- YAML


def _yaml_loader() -> Any:
    """A fresh round-trip loader per file: the composer keeps state (depth, refusals)."""
    from ruamel.yaml import YAML  # noqa: PLC0415 - YAML costs ~50 ms to import

    yaml = YAML(typ="rt")
    # ruamel's own max_depth (off by default) counts scalars too; the strict composer
    # counts arrays and objects, as the JSON limit does.
    yaml.Composer = strict_composer(MAX_NESTING_DEPTH)
    return yaml


def _load_yaml(text: str, loaded: LoadedFile) -> None:
    from ruamel.yaml.error import MarkedYAMLError, YAMLError  # noqa: PLC0415

    yaml = _yaml_loader()
    try:
        document = yaml.load(text)
    except AnchorRefused as refused:
        _fail(
            loaded,
            rules.YAML_ANCHOR,
            "YAML anchors and aliases are not allowed; write the value out in full",
            refused.position,
        )
        return
    except NestingTooDeep as too_deep:
        _fail(loaded, rules.INVALID_YAML, NESTING_MESSAGE, too_deep.position)
        return
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        at = Position(mark.line + 1, mark.column + 1) if mark is not None else START
        is_duplicate = "duplicate key" in str(exc.problem)
        rule = rules.DUPLICATE_KEY if is_duplicate else rules.INVALID_YAML
        parts = [str(part) for part in (exc.context, exc.problem) if part]
        message = ", ".join(parts) or "invalid YAML"
        if is_duplicate:
            key = re.search(r'duplicate key "(.*?)" with', message)
            message = (
                f"duplicate key {key[1] if key else '?'!r} (a key may appear once per mapping)"
            )
        _fail(loaded, rule, message, at)
        return
    except YAMLError as exc:
        _fail(loaded, rules.INVALID_YAML, str(exc).strip().splitlines()[0])
        return
    for node in yaml.composer.refused:
        _fail(loaded, rules.UNSUPPORTED_YAML_VALUE, node.message, node.position)
    if document is None and loaded.ok:
        _fail(loaded, rules.EMPTY_FILE, "the file holds no document: expected an object")
        return
    positions = PositionIndex()
    positions.values[()] = START
    loaded._positions = positions
    loaded.data = _plain(document, (), loaded, positions)


def _plain(node: Any, path: FieldPath, loaded: LoadedFile, positions: PositionIndex) -> Any:
    """Copy ruamel's round-trip tree into plain values, recording positions on the way."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq  # noqa: PLC0415

    if isinstance(node, CommentedMap):
        return _plain_map(node, path, loaded, positions)
    if isinstance(node, CommentedSeq):
        return _plain_seq(node, path, loaded, positions)
    if node is None or isinstance(node, bool):
        return node
    if isinstance(node, str | int):
        # ruamel's ScalarString and ScalarInt subclasses become plain str and int.
        return str(node) if isinstance(node, str) else int(node)
    if isinstance(node, float):
        if not math.isfinite(node):
            loaded.problems.append(
                loaded.problem(
                    path,
                    rules.NON_FINITE_NUMBER,
                    "NaN and infinities are not JSON numbers; use a finite number or null",
                )
            )
        return float(node)
    loaded.problems.append(
        loaded.problem(
            path,
            rules.UNSUPPORTED_YAML_VALUE,
            f"a YAML {_yaml_type_name(node)} has no JSON equivalent; quote it to make it a string",
        )
    )
    return None


def _plain_map(
    node: CommentedMap, path: FieldPath, loaded: LoadedFile, positions: PositionIndex
) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in node.items():
        key_line, key_column = node.lc.key(key)
        value_line, value_column = node.lc.value(key)
        if not isinstance(key, str):
            loaded.problems.append(
                Problem(
                    loaded.path,
                    Position(key_line + 1, key_column + 1),
                    path,
                    rules.UNSUPPORTED_YAML_VALUE,
                    f"key {key!r} in {render_field_path(path)} is not a string; quote it",
                )
            )
            continue
        child: FieldPath = (*path, str(key))
        positions.keys[child] = Position(key_line + 1, key_column + 1)
        positions.values[child] = Position(value_line + 1, value_column + 1)
        result[str(key)] = _plain(value, child, loaded, positions)
    return result


def _plain_seq(
    node: CommentedSeq, path: FieldPath, loaded: LoadedFile, positions: PositionIndex
) -> list[Any]:
    result: list[Any] = []
    for index, value in enumerate(node):
        line, column = node.lc.item(index)
        child: FieldPath = (*path, index)
        positions.values[child] = Position(line + 1, column + 1)
        result.append(_plain(value, child, loaded, positions))
    return result


def _yaml_type_name(value: Any) -> str:
    if isinstance(value, datetime.datetime):
        return "timestamp"
    if isinstance(value, datetime.date):
        return "date"
    return type(value).__name__
