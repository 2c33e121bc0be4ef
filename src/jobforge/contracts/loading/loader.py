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
from jobforge.contracts.loading.surrogates import (
    MAY_ESCAPE_SURROGATES,
    has_surrogate,
    replaced,
    surrogate_message,
)
from jobforge.contracts.loading.yaml_composer import AnchorRefused, NestingTooDeep, strict_composer
from jobforge.contracts.problems import rules
from jobforge.contracts.problems.json_names import describe_value, quoted, show_value
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


class _Refused(Exception):
    """Raised from a json.loads hook: the scanner will say exactly where."""


@dataclass(slots=True)
class LoadedFile:
    """A file read into plain data, or the problems that stopped it from being read.

    A file can be ``readable`` and still have problems: a value refused after the document
    was read (NaN, a YAML date or tag, a non-string key, a lone surrogate) is a problem at
    its place, listed in ``refused``, and the rest of the document is read as written, so
    the checks that follow can report the file's other problems in the same run.
    """

    path: str
    data: Any = None
    problems: list[Problem] = field(default_factory=list)
    readable: bool = False
    """The document was read into ``data``, an object; only ``refused`` values are wrong."""
    refused: list[FieldPath] = field(default_factory=list)
    """The paths of refused values (of the mapping, for a refused key): not as written."""
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
    if not loaded.readable:
        return loaded
    if not isinstance(loaded.data, dict):
        loaded.readable = False
        if () not in loaded.refused:
            loaded.problems.append(
                loaded.problem(
                    (),
                    rules.WRONG_TYPE,
                    f"expected an object at the top level, got {describe_value(loaded.data)}",
                )
            )
    return loaded


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


@dataclass(slots=True)
class _JsonHooks:
    """``json.loads`` hooks: a duplicate key stops the parse (which value is meant?); a
    non-finite number is read as null and reported where it is, once the parse is done."""

    non_finite: bool = False

    def constant(self, _: str) -> Any:
        self.non_finite = True
        return None

    def number(self, text: str) -> Any:
        value = float(text)
        if math.isinf(value):
            self.non_finite = True
            return None
        return value

    @staticmethod
    def unique_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
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
    hooks = _JsonHooks()
    try:
        loaded.data = json.loads(
            text,
            object_pairs_hook=hooks.unique_pairs,
            parse_constant=hooks.constant,
            parse_float=hooks.number,
        )
    except _Refused:
        _report_json_refusals(text, loaded, scan_json)
        return
    except json.JSONDecodeError as exc:
        message, offset = json_syntax.explain(text, exc)
        _fail(loaded, rules.INVALID_JSON, message, LineIndex(text).position(offset))
        return
    except ValueError as exc:
        # int() refuses numbers of more than 4300 digits.
        _fail(loaded, rules.INVALID_JSON, f"cannot parse: {exc}")
        return
    loaded.readable = True
    if hooks.non_finite:
        _report_json_refusals(text, loaded, scan_json)
    if MAY_ESCAPE_SURROGATES.search(text):
        loaded.data = _refuse_surrogates(loaded.data, (), (), loaded)


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
                f"duplicate key {quoted(str(duplicate.path[-1]))} (first at line {first.line}, "
                f"column {first.column})",
            )
        )
    for path, position, literal in scanned.non_finite:
        loaded.refused.append(path)
        loaded.problems.append(
            Problem(
                loaded.path,
                position,
                path,
                rules.NON_FINITE_NUMBER,
                f"{literal} is not a JSON number; use a finite number or null",
            )
        )


def _refuse_surrogates(value: Any, path: FieldPath, read_as: FieldPath, loaded: LoadedFile) -> Any:
    """A JF118 for each key and string of a JSON document that holds a lone surrogate, and
    the document with U+FFFD in their place (``path`` as written, ``read_as`` as replaced)."""
    if isinstance(value, dict):
        result = {}
        for key, item in value.items():
            read_key = replaced(key)
            child, read_child = (*path, key), (*read_as, read_key)
            if read_key != key:
                at = loaded.positions.key(child)
                _refuse_surrogate(key, child, read_child, at, loaded, is_key=True)
            result[read_key] = _refuse_surrogates(item, child, read_child, loaded)
        return result
    if isinstance(value, list):
        return [
            _refuse_surrogates(item, (*path, index), (*read_as, index), loaded)
            for index, item in enumerate(value)
        ]
    if isinstance(value, str) and has_surrogate(value):
        at = loaded.positions.value(path)
        _refuse_surrogate(value, path, read_as, at, loaded, is_key=False)
        return replaced(value)
    return value


def _refuse_surrogate(
    text: str,
    path: FieldPath,
    read_as: FieldPath,
    at: Position,
    loaded: LoadedFile,
    *,
    is_key: bool,
    pairs_combine: bool = True,
) -> None:
    loaded.refused.append(read_as)
    message = surrogate_message(text, is_key=is_key, pairs_combine=pairs_combine)
    loaded.problems.append(Problem(loaded.path, at, path, rules.LONE_SURROGATE, message))


# ---------------------------------------------------------------- YAML


def _yaml_loader() -> Any:
    """A fresh round-trip loader per file: the composer keeps state (depth, refusals)."""
    from ruamel.yaml import YAML  # noqa: PLC0415 - YAML costs ~50 ms to import

    yaml = YAML(typ="rt")
    # ruamel's own max_depth (off by default) counts scalars too; the strict composer
    # counts arrays and objects, as the JSON limit does.
    yaml.Composer = strict_composer(MAX_NESTING_DEPTH)
    return yaml


def _unreadable_scalar(text: str) -> tuple[Position, str]:
    """Where the first scalar ruamel.yaml cannot construct is, and its text."""
    from ruamel.yaml.nodes import MappingNode, ScalarNode, SequenceNode  # noqa: PLC0415

    yaml = _yaml_loader()
    pending = [yaml.compose(text)]
    while pending:
        node = pending.pop(0)
        if isinstance(node, MappingNode):
            pending[:0] = [part for pair in node.value for part in pair]
        elif isinstance(node, SequenceNode):
            pending[:0] = list(node.value)
        elif isinstance(node, ScalarNode):
            try:
                yaml.constructor.construct_object(node)
            except (ValueError, IndexError, ArithmeticError):
                mark = node.start_mark
                return Position(mark.line + 1, mark.column + 1), str(node.value)
    return START, text.strip()[:40]


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
                f"duplicate key {quoted(key[1]) if key else '?'} "
                "(a key may appear once per mapping)"
            )
        _fail(loaded, rule, message, at)
        return
    except YAMLError as exc:
        _fail(loaded, rules.INVALID_YAML, str(exc).strip().splitlines()[0])
        return
    except (ValueError, IndexError, ArithmeticError):
        # ruamel.yaml resolves a few malformed numbers (``._``, ``-_``, ``0x_``) as numbers,
        # then fails to build them.
        at, scalar = _unreadable_scalar(text)
        _fail(
            loaded,
            rules.INVALID_YAML,
            f"{quoted(scalar)} looks like a number but is not one; quote it if it is text",
            at,
        )
        return
    if document is None and not yaml.composer.refused:
        _fail(loaded, rules.EMPTY_FILE, "the file holds no document: expected an object")
        return
    positions = PositionIndex()
    positions.values[()] = START
    loaded._positions = positions
    reader = _YamlReader(loaded, positions, surrogates=bool(MAY_ESCAPE_SURROGATES.search(text)))
    loaded.data = reader.plain(document, ())
    loaded.readable = True
    _refuse_tagged_nodes(yaml.composer.refused, loaded, positions)


def _refuse_tagged_nodes(refused: list[Any], loaded: LoadedFile, positions: PositionIndex) -> None:
    """Each node the composer refused (a tag, a merge key), at the path it was read into.

    The composer sees events, not paths; a refused node was read as if untagged, and its
    position is that of the key (a tagged key, a merge key) or value recorded for its path.
    Keys first: an untagged block value starts where its first key does, a tagged node at
    its tag. A node found nowhere makes the whole document unreliable.
    """
    by_key = {position: path for path, position in positions.keys.items()}
    by_value = {position: path for path, position in reversed(positions.values.items())}
    for node in refused:
        path = by_key.get(node.position)
        if path is None:
            path = by_value.get(node.position, ())
        loaded.refused.append(path)
        loaded.problems.append(
            Problem(loaded.path, node.position, path, rules.UNSUPPORTED_YAML_VALUE, node.message)
        )


@dataclass(slots=True)
class _YamlReader:
    """Copies ruamel's round-trip tree into plain values, recording positions on the way."""

    loaded: LoadedFile
    positions: PositionIndex
    surrogates: bool
    """Whether the text may escape a surrogate (``\\ud800``): only then are strings searched."""

    def plain(self, node: Any, path: FieldPath) -> Any:
        from ruamel.yaml.comments import CommentedMap, CommentedSeq  # noqa: PLC0415

        if isinstance(node, CommentedMap):
            return self.plain_map(node, path)
        if isinstance(node, CommentedSeq):
            return self.plain_seq(node, path)
        if node is None or isinstance(node, bool):
            return node
        if isinstance(node, str | int | float):
            return self.plain_scalar(node, path)
        self.refuse(
            path,
            rules.UNSUPPORTED_YAML_VALUE,
            f"a YAML {_yaml_type_name(node)} has no JSON equivalent; quote it to make it a string",
        )
        return None

    def plain_scalar(self, node: str | int | float, path: FieldPath) -> Any:
        """A string, integer or number: ruamel's subclasses of them become plain ones."""
        if isinstance(node, str):
            if self.surrogates and has_surrogate(node):
                self.refuse(path, rules.LONE_SURROGATE, surrogate_message(str(node)))
                return replaced(node)
            return str(node)
        if isinstance(node, int):
            return int(node)
        if not math.isfinite(node):
            self.refuse(
                path,
                rules.NON_FINITE_NUMBER,
                "NaN and infinities are not JSON numbers; use a finite number or null",
            )
        return float(node)

    def refuse(self, path: FieldPath, rule: rules.Rule, message: str) -> None:
        self.loaded.refused.append(path)
        self.loaded.problems.append(self.loaded.problem(path, rule, message))

    def plain_map(self, node: CommentedMap, path: FieldPath) -> dict[str, Any]:
        result: dict[str, Any] = {}
        loaded = self.loaded
        for key, value in node.items():
            key_line, key_column = node.lc.key(key)
            value_line, value_column = node.lc.value(key)
            key_at = Position(key_line + 1, key_column + 1)
            if not isinstance(key, str):
                # Left out; what the mapping would hold with it is unknown.
                loaded.refused.append(path)
                loaded.problems.append(
                    Problem(
                        loaded.path,
                        key_at,
                        path,
                        rules.UNSUPPORTED_YAML_VALUE,
                        f"key {show_value(key)} in {render_field_path(path)} is not a string; "
                        "quote it",
                    )
                )
                continue
            read_key = replaced(key) if self.surrogates else str(key)
            child: FieldPath = (*path, read_key)
            self.positions.keys[child] = key_at
            self.positions.values[child] = Position(value_line + 1, value_column + 1)
            if read_key != key:
                _refuse_surrogate(
                    key, (*path, str(key)), child, key_at, loaded, is_key=True, pairs_combine=False
                )
            result[read_key] = self.plain(value, child)
        return result

    def plain_seq(self, node: CommentedSeq, path: FieldPath) -> list[Any]:
        result: list[Any] = []
        for index, value in enumerate(node):
            line, column = node.lc.item(index)
            child: FieldPath = (*path, index)
            self.positions.values[child] = Position(line + 1, column + 1)
            result.append(self.plain(value, child))
        return result


def _yaml_type_name(value: Any) -> str:
    if isinstance(value, datetime.datetime):
        return "timestamp"
    if isinstance(value, datetime.date):
        return "date"
    return type(value).__name__
