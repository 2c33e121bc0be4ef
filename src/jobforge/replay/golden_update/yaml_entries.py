"""Deleting and inserting whole entries of a block mapping or sequence, line by line.

An entry runs from its key (or dash) to the end of its value. Deleting removes its lines,
comments on them included, and nothing else; inserting adds lines at the entries' column
after the entry they follow. A first entry written after a dash (``- key: value``) is
handled in place: the next entry moves up behind the dash, or a new one takes the place.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from jobforge.replay.golden_update.yaml_edits import Edit
from jobforge.replay.golden_update.yaml_render import Layout, after_key, item_text, scalar_text
from jobforge.replay.golden_update.yaml_text import (
    blank_before,
    column,
    line_end,
    line_start,
    next_line_start,
    starts_line,
)
from jobforge.replay.golden_update.yaml_tree import YamlNode


@dataclass
class BlockEntries:
    """A block collection's entries as spans: key (or dash) to the end of the value."""

    starts: list[int]
    ends: list[int]
    column: int
    # (key, value) -> the entry's text at ``column``, its first line without indentation
    render: Callable[[tuple[Any, Any]], str]


def mapping_entries(text: str, node: YamlNode, layout: Layout) -> BlockEntries:
    """The entries of a block mapping: each key to the end of its value."""
    starts = [key.start for key, _ in node.entries]
    ends = [max(key.end, value.end) for key, value in node.entries]
    key_column = column(text, starts[0])
    key_style = key_style_of(node)

    def render(entry: tuple[Any, Any]) -> str:
        key, value = entry
        key_text = scalar_text(key, style=key_style)
        return key_text + ":" + after_key(value, key_column, layout)

    return BlockEntries(starts, ends, key_column, render)


def sequence_entries(text: str, node: YamlNode, layout: Layout) -> BlockEntries | None:
    """The entries of a block sequence: each dash to the end of its item (None if a
    comment sits between a dash and its item)."""
    dashes = []
    for item in node.items:
        dash = blank_before(text, item.start, across_lines=True) - 1
        if item.empty and text[item.start - 1 : item.start] == "-":
            dash = item.start - 1
        if dash < 0 or text[dash] != "-":
            return None  # a comment between dash and item: not worth guessing
        dashes.append(dash)
    dash_column = column(text, dashes[0])
    offset = item_offset(text, node) or layout.item_offset
    own_layout = dataclasses.replace(layout, item_offset=offset)

    def render(entry: tuple[Any, Any]) -> str:
        return "-" + " " * (offset - 1) + item_text(entry[1], dash_column + offset, own_layout)

    return BlockEntries(dashes, [item.end for item in node.items], dash_column, render)


def delete_entries(text: str, entries: BlockEntries, dropped: list[int]) -> list[Edit]:
    """Remove the lines of each run of dropped entries; a dropped first entry written
    after a dash (``- key: value``) gives its place to the next entry kept."""
    edits = []
    for first, last in _runs(dropped):
        start = entries.starts[first]
        if starts_line(text, start):
            begin = line_start(text, start)
            finish = next_line_start(text, entries.ends[last])
            if finish == len(text) and not text.endswith("\n") and begin > 0:
                begin, finish = line_end(text, begin - 1), len(text)
            edits.append(Edit(begin, finish, ""))
        else:
            edits.append(Edit(start, entries.starts[last + 1], ""))
    return edits


def insert_entries(
    text: str,
    entries: BlockEntries,
    values: list[tuple[Any, Any]],
    *,
    after: int | None,
    before: int | None = None,
) -> Edit:
    """New entries on lines of their own after entry ``after``, or (with nothing to follow)
    before entry ``before``."""
    indent = " " * entries.column
    rendered = [entries.render(value) for value in values]
    if after is not None:
        position = line_end(text, entries.ends[after])
        return Edit(position, position, "".join("\n" + indent + entry for entry in rendered))
    assert before is not None
    start = entries.starts[before]
    if starts_line(text, start):
        position = line_start(text, start)
        return Edit(position, position, "".join(indent + entry + "\n" for entry in rendered))
    return Edit(start, start, "".join(entry + "\n" + indent for entry in rendered))


def item_offset(text: str, sequence: YamlNode) -> int | None:
    """Columns from a dash to its item, if the first item says (None otherwise)."""
    first = sequence.items[0]
    dash = sequence.content_start
    if first.empty or line_start(text, first.start) != line_start(text, dash):
        return None
    offset = first.start - dash
    return offset if offset >= 2 else None


def key_style_of(node: YamlNode) -> str | None:
    """The quotes every key of ``node`` is written in, for a key added next to them."""
    styles = {key.style for key, _ in node.entries}
    return styles.pop() if len(styles) == 1 else None


def _runs(indices: list[int]) -> Iterator[tuple[int, int]]:
    """Consecutive runs in sorted ``indices`` as (first, last) pairs."""
    run: list[int] = []
    for index in sorted(indices):
        if run and index != run[-1] + 1:
            yield run[0], run[-1]
            run = []
        run.append(index)
    if run:
        yield run[0], run[-1]
