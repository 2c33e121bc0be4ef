"""Property: `--update` changing one value of a golden touches only that value's lines.

Random goldens are written with every style a person uses (block and flow collections,
compact and indented sequences, plain, single- and double-quoted, literal and multi-line
plain scalars, comments on lines of their own and after values, an empty value standing
for null, anchors and aliases outside expected_output). One leaf inside expected_output
(a scalar or an empty collection) is changed in the output, which may also carry a key
the golden leaves out; after the update, the lines before and after that leaf's original
lines must be byte-identical, every comment must still be there, and reading the file
back must give the old document with just that value changed.
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from jobforge.replay.compare import is_subset
from jobforge.replay.update import write_expected_output

Path_ = tuple[str | int, ...]

_SIMPLE_WORD = re.compile(r"[A-Za-z][A-Za-z0-9_-]*")
_YAML_WORDS = {"true", "false", "null", "yes", "no", "on", "off", "y", "n", "nan", "inf"}


# ---------------------------------------------------------------- a golden, with styles


@dataclass
class Styled:
    """A value and how it is written: block or flow collections, a scalar style."""

    value: Any
    style: str  # block | flow | plain | single | double | literal | folded_plain | empty
    children: list[tuple[str | int, Styled]] = field(default_factory=list)
    anchor: str | None = None


def _is_simple(text: str) -> bool:
    words = text.split(" ")
    return all(_SIMPLE_WORD.fullmatch(word) for word in words) and not (
        {word.lower() for word in words} & _YAML_WORDS
    )


def _double_quoted(text: str) -> str:
    """Printable ASCII as is, everything else as a \\u or \\U escape."""
    out = []
    for ch in text:
        if " " <= ch <= "~" and ch not in '"\\':
            out.append(ch)
        else:
            out.append(f"\\u{ord(ch):04x}" if ord(ch) < 0x10000 else f"\\U{ord(ch):08x}")
    return '"' + "".join(out) + '"'


def _literal_safe(text: str) -> bool:
    return (
        "\n" in text
        and text[0] not in " \n"
        and not text.endswith("\n\n")
        and text.split("\n", 1)[0].strip() != ""
        and all(" " <= ch <= "~" or ch == "\n" for ch in text)
    )


def _scalar_styles(value: Any) -> list[str]:
    if not isinstance(value, str):
        return ["plain"] + (["empty"] if value is None else [])
    styles = ["double"]
    if "\n" not in value and all(" " <= ch <= "~" for ch in value):
        styles.append("single")
    if value and _is_simple(value):
        styles.append("plain")
        if " " in value:
            styles.append("folded_plain")
    if _literal_safe(value):
        styles.append("literal")
    return styles


strings = st.one_of(
    st.sampled_from(
        [
            "high",
            "low",
            "medium risk",
            "it's",
            'say "hi"',
            "true",
            "null",
            "1",
            "1.5",
            "a: b",
            "# not a comment",
            "",
            " lead",
            "trail ",
            "-x",
            "[x]",
            "{y}",
            "a,b",
            "~",
            "<<",
            "0x1F",
            "line one\nline two",
            "two\nlines\n",
            "tab\there",
            "é ü 漢",
            "x\u2028y",
            "nbsp\xa0here",
            "del\x7f",
            "multi word value",
        ]
    ),
    st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=10),
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**6), 10**6),
    st.floats(allow_nan=False, allow_infinity=False, width=64),
    strings,
)
keys = st.one_of(st.from_regex(r"[a-z][a-z0-9_]{0,6}", fullmatch=True), strings)


@st.composite
def styled(
    draw: st.DrawFn, depth: int = 0, in_flow: bool = False, in_sequence: bool = False
) -> Styled:
    if depth >= 4 or draw(st.integers(0, 9)) < (1, 4, 6, 7)[depth]:
        value = draw(scalars)
        styles = _scalar_styles(value)
        if in_flow:
            styles = [s for s in styles if s not in ("literal", "folded_plain", "empty")]
        if in_sequence:
            styles = [s for s in styles if s != "empty"]
        return Styled(value, draw(st.sampled_from(styles)))
    flow = in_flow or draw(st.integers(0, 3)) == 0
    if draw(st.booleans()):
        names = draw(st.lists(keys, max_size=4, unique=True))
        children = [(name, draw(styled(depth + 1, flow))) for name in names]
        value = {name: child.value for name, child in children}
    else:
        items = draw(st.lists(styled(depth + 1, flow, in_sequence=True), max_size=4))
        children = list(enumerate(items))
        value = [child.value for child in items]
    return Styled(value, "flow" if flow or not children else "block", children)


# ---------------------------------------------------------------- writing it as YAML


class Writer:
    """Writes a Styled tree as YAML text, numbering every comment it adds."""

    def __init__(self, draw: st.DrawFn, sequence_indent: int) -> None:
        self.draw = draw
        self.sequence_indent = sequence_indent
        self.comments = 0

    def comment(self) -> str:
        if not self.draw(st.booleans()):
            return ""
        self.comments += 1
        return f"  # c{self.comments}"

    def comment_line(self, indent: int) -> str:
        if self.draw(st.integers(0, 4)) > 0:
            return ""
        self.comments += 1
        return " " * indent + f"# c{self.comments}\n"

    def scalar(self, node: Styled, indent: int) -> str:
        value = node.value
        if node.style == "empty":
            return ""
        if not isinstance(value, str):
            return json.dumps(value) if not isinstance(value, float) else repr(value)
        if node.style == "double":
            return _double_quoted(value)
        if node.style == "plain":
            return value
        if node.style == "folded_plain":
            head, _, tail = value.partition(" ")
            return head + "\n" + " " * (indent + 2) + tail
        if node.style == "single":
            return "'" + value.replace("'", "''") + "'"
        if node.style == "literal":
            chomp = "" if value.endswith("\n") else "-"
            body = value[:-1] if value.endswith("\n") else value
            lines = [" " * (indent + 2) + line if line else "" for line in body.split("\n")]
            return f"|{chomp}\n" + "\n".join(lines)
        raise AssertionError(node.style)

    def key(self, name: str) -> str:
        return name if _is_simple(name) else _double_quoted(name)

    def flow(self, node: Styled) -> str:
        if isinstance(node.value, dict):
            inner = ", ".join(f"{self.key(str(k))}: {self.flow(c)}" for k, c in node.children)
            return "{" + inner + "}"
        if isinstance(node.value, list):
            return "[" + ", ".join(self.flow(c) for _, c in node.children) + "]"
        return self.scalar(node, 0)

    def after_indicator(self, node: Styled, indent: int) -> str:
        """What follows `key:` at ``indent``: a scalar or flow node on the line, or a block."""
        anchor = f" &{node.anchor}" if node.anchor else ""
        if node.style == "block":
            step = self.sequence_indent if isinstance(node.value, list) else 2
            return anchor + self.comment() + "\n" + self.block(node, indent + step)
        return anchor + self.inline(node, indent)

    def inline(self, node: Styled, indent: int) -> str:
        if node.style == "flow":
            return " " + self.flow(node) + self.comment() + "\n"
        text = self.scalar(node, indent)
        lead = " " if text else ""
        return lead + text + ("" if node.style == "literal" else self.comment()) + "\n"

    def item(self, node: Styled, indent: int) -> str:
        """A sequence item after its dash at ``indent``: compact (`- k: v`) or not."""
        if node.style != "block":
            return self.inline(node, indent)
        if self.draw(st.booleans()):
            return " " + self.block(node, indent + 2, compact=True)
        return self.comment() + "\n" + self.block(node, indent + 2)

    def block(self, node: Styled, indent: int, *, compact: bool = False) -> str:
        out = []
        for position, (name, child) in enumerate(node.children):
            first = compact and position == 0
            out.append("" if first else self.comment_line(indent))
            lead = "" if first else " " * indent
            if isinstance(name, str):
                out.append(lead + self.key(name) + ":" + self.after_indicator(child, indent))
            else:
                out.append(lead + "-" + self.item(child, indent))
        return "".join(out)


@st.composite
def goldens(draw: st.DrawFn) -> tuple[str, Any, bool, int]:
    """A golden's text, its expected_output value, whether it is exact, and how many
    comments it has."""
    writer = Writer(draw, sequence_indent=draw(st.sampled_from([0, 2])))
    expected = draw(styled())
    shared = draw(st.none() | styled(depth=1))
    exact = draw(st.booleans())
    parts = ["# A golden written by the property test.\n", "name: a case  # c0\n"]
    if shared is not None:
        shared.anchor = "shared"
        parts.append("shared:" + writer.after_indicator(shared, 0))
    parts.append("input:" + writer.after_indicator(draw(styled(depth=1)), 0))
    if exact:
        parts.append("exact: true\n")
    parts.append("expected_output:" + writer.after_indicator(expected, 0))
    parts.append(writer.comment_line(0))
    parts.append("deterministic: true\n")
    if shared is not None:
        parts.append("connector_responses:\n  - connector_id: readylayer.cdn\n")
        parts.append("    response: *shared" + writer.comment() + "\n")
    return "".join(parts), expected.value, exact, writer.comments


# ---------------------------------------------------------------- looking at the result


def _leaves(value: Any, path: Path_ = ()) -> list[Path_]:
    """Paths to the scalars and empty collections of ``value``."""
    if isinstance(value, dict) and value:
        return [leaf for key, item in value.items() for leaf in _leaves(item, (*path, key))]
    if isinstance(value, list) and value:
        return [leaf for index, item in enumerate(value) for leaf in _leaves(item, (*path, index))]
    return [path]


def _set(value: Any, path: Path_, new: Any) -> Any:
    if not path:
        return new
    changed = copy.deepcopy(value)
    holder = changed
    for step in path[:-1]:
        holder = holder[step]
    holder[path[-1]] = new
    return changed


def _strict(value: Any) -> Any:
    """A value with every scalar tagged by its type, so that 1, 1.0 and true differ."""
    if isinstance(value, dict):
        return {"map": sorted((str(k), _strict(v)) for k, v in value.items())}
    if isinstance(value, list):
        return {"seq": [_strict(item) for item in value]}
    return (type(value).__name__, value)


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    return str(value)


def _line_span(text: str, path: Path_) -> tuple[int, int, int]:
    """First and last line (0-based) of the value at expected_output/path, from ruamel's
    marks, and the column it starts at. An empty value (`key:`) is on its key's line."""
    node = YAML(typ="rt").compose(text)
    key = None
    for step in ("expected_output", *path):
        if isinstance(step, str):
            key, node = next((k, v) for k, v in node.value if k.value == step)
        else:
            key, node = None, node.value[step]
    start, end = node.start_mark, node.end_mark
    if node.value == "" and node.style is None and start.index == end.index:
        assert key is not None, "the generator writes empty values in mappings only"
        return key.end_mark.line, key.end_mark.line, key.end_mark.column + 1
    lines = text.split("\n")
    last = end.line if end.column > 0 or end.line == start.line else end.line - 1
    while last > start.line and not lines[last].strip():
        last -= 1  # a block scalar's marks take in the blank lines after it
    return start.line, last, start.column


@given(golden=goldens(), data=st.data())
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_changing_one_value_touches_only_its_lines(
    tmp_path_factory: pytest.TempPathFactory,
    golden: tuple[str, Any, bool, int],
    data: st.DataObject,
) -> None:
    text, expected, exact, comments = golden
    loaded = _plain(YAML(typ="rt").load(text))
    assert _strict(loaded["expected_output"]) == _strict(expected), "the generator wrote badly"
    path = data.draw(st.sampled_from(_leaves(expected)), label="path")
    old = expected if not path else _get(expected, path)
    new = data.draw(
        scalars | st.dictionaries(keys, scalars, max_size=2) | st.lists(scalars, max_size=2),
        label="new value",
    )
    assume(not (old == new if exact else is_subset(old, new)))
    actual = _set(expected, path, new)
    if not exact and isinstance(actual, dict):
        actual["extra_key_left_out"] = {"not": "written"}
    golden_file = tmp_path_factory.mktemp("golden") / "case.yaml"
    golden_file.write_bytes(text.encode("utf-8"))

    assert write_expected_output(golden_file, actual) is True

    after = golden_file.read_bytes().decode("utf-8")
    first, last, start_column = _line_span(text, path)
    before_lines, after_lines = text.split("\n"), after.split("\n")
    kept_after = len(before_lines) - last - 1
    assert after_lines[:first] == before_lines[:first], after
    assert after_lines[len(after_lines) - kept_after :] == before_lines[last + 1 :], after
    assert after_lines[first].startswith(before_lines[first][:start_column].rstrip()), after
    for number in range(comments + 1):
        assert re.search(rf"# c{number}\b", after), f"comment c{number} lost:\n{after}"
    reloaded = _plain(YAML(typ="rt").load(after))
    wanted = dict(loaded, expected_output=_set(loaded["expected_output"], path, new))
    assert _strict(reloaded) == _strict(wanted), after


def _get(value: Any, path: Path_) -> Any:
    for step in path:
        value = value[step]
    return value


@given(golden=goldens())
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_a_golden_that_already_passes_is_left_byte_for_byte(
    tmp_path_factory: pytest.TempPathFactory, golden: tuple[str, Any, bool, int]
) -> None:
    text, expected, exact, _ = golden
    actual = copy.deepcopy(expected)
    if not exact and isinstance(actual, dict):
        actual["extra_key_left_out"] = 1
    golden_file = tmp_path_factory.mktemp("golden") / "case.yaml"
    golden_file.write_bytes(text.encode("utf-8"))
    assert write_expected_output(golden_file, actual) is False
    assert golden_file.read_bytes() == text.encode("utf-8")
