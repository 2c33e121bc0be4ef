"""Writing a new value where a node of a golden was, in the style of its place.

A scalar keeps its quotes when the new value fits them; a flow collection stays flow, laid
out like the original (one line, or one entry per line); a new block collection is
written at the indentation the file uses, pulled onto its key's line when it becomes a
scalar, or moved below it (its comment staying on the key's line) when a scalar becomes
a block. Nothing outside the node's span and, when a block moves, the rest of its line
changes.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any

from jobforge.replay.golden_update.yaml_edits import Edit
from jobforge.replay.golden_update.yaml_render import (
    Layout,
    block_scalar,
    block_text,
    flow_text,
    is_block_collection,
    is_collection,
    scalar_text,
    wants_literal,
)
from jobforge.replay.golden_update.yaml_text import (
    blank_before,
    column,
    line_end,
    line_start,
    next_line_start,
    rest_of_line,
    starts_line,
)
from jobforge.replay.golden_update.yaml_tree import BLOCK_STYLES, NodeKind, YamlNode

_BLOCK_HEADER = re.compile(r"[|>][-+0-9]*")


class NodeWriter:
    """Edits that put a value where a node was, in the text of one document."""

    def __init__(self, text: str, layout: Layout) -> None:
        self.text = text
        self.layout = layout

    def replace(self, node: YamlNode, value: Any) -> Edit:
        start = node.start if node.tagged else node.content_start
        if node.in_flow:
            if is_collection(value):
                return Edit(start, node.end, flow_text(value))
            return Edit(start, node.end, scalar_text(value, style=_quote_style(node), flow=True))
        if node.flow_style and is_collection(value):
            texts = (
                [f"{scalar_text(k, flow=True)}: {flow_text(v)}" for k, v in value.items()]
                if isinstance(value, dict)
                else [flow_text(item) for item in value]
            )
            kind: NodeKind = "mapping" if isinstance(value, dict) else "sequence"
            return Edit(
                start, node.end, self.flow_layout(dataclasses.replace(node, kind=kind), texts)
            )
        if is_block_collection(value):
            return self.place_block(node, start, value)
        return self.place_inline(node, start, value)

    def place_block(self, node: YamlNode, start: int, value: Any) -> Edit:
        """A non-empty collection in block style where ``node`` was."""
        text = self.text
        if node.is_block_collection and not node.tagged:
            return Edit(start, node.end, block_text(value, column(text, start), self.layout))
        rest = rest_of_line(text, node.end)
        if rest is None:  # something follows on the line: stay on it, in flow style
            return Edit(start, node.end, flow_text(value))
        behind_anchor = start > node.start  # `- &a` with nothing after: the block goes below
        if (node.role == "item" and not behind_anchor) or starts_line(text, start):
            child = column(text, start) if not node.empty else node.parent_column + 2
            first, newline, others = block_text(value, child, self.layout).partition("\n")
            lead = self.lead(node, start)
            begin = line_start(text, start) if starts_line(text, start) else start
            indent = " " * child if starts_line(text, start) else lead
            return Edit(begin, line_end(text, node.end), indent + first + rest + newline + others)
        if node.role == "item":
            step = self.layout.item_offset
        elif isinstance(value, dict):
            step = self.layout.mapping_indent
        else:
            step = self.layout.sequence_indent
        child = node.parent_column + step
        gap = blank_before(text, start, across_lines=False)
        body = block_text(value, child, self.layout)
        return Edit(gap, line_end(text, node.end), rest + "\n" + " " * child + body)

    def place_inline(self, node: YamlNode, start: int, value: Any) -> Edit:
        """A scalar (or an empty collection) where ``node`` was."""
        text = self.text
        style = node.style if node.kind == "scalar" else None
        comment = self.block_header_comment(node)
        begin, lead = start, self.lead(node, start)
        if node.is_block_collection:  # pull the scalar up behind its key or dash
            gap = blank_before(text, start, across_lines=True)
            if gap > 0 and "#" not in text[gap:start]:
                begin, lead = gap, " "
        rest = rest_of_line(text, node.end)
        if wants_literal(value, style) and rest is not None:
            header = block_scalar(
                value,
                folded=style == ">",
                content_column=self.block_content_column(node),
                header_comment=comment or rest,
            )
            return Edit(begin, line_end(text, node.end), lead + header)
        inline = scalar_text(value, style=None if style in BLOCK_STYLES else style)
        return Edit(begin, node.end, lead + inline + comment)

    def lead(self, node: YamlNode, start: int) -> str:
        """The space an empty node needs before the value written in its place."""
        return " " if node.empty and not self.text[start - 1 : start].isspace() else ""

    def block_header_comment(self, node: YamlNode) -> str:
        if node.kind != "scalar" or node.style not in BLOCK_STYLES:
            return ""
        header = self.text[node.content_start : line_end(self.text, node.content_start)]
        match = _BLOCK_HEADER.match(header)
        remainder = header[match.end() :] if match else ""
        return remainder.rstrip() if remainder.strip().startswith("#") else ""

    def block_content_column(self, node: YamlNode) -> int:
        if node.kind == "scalar" and node.style in BLOCK_STYLES:
            position = next_line_start(self.text, node.content_start)
            while position < node.end:
                line = self.text[position : line_end(self.text, position)]
                if line.strip():
                    return len(line) - len(line.lstrip(" "))
                position = next_line_start(self.text, position)
        if node.role == "item":
            return node.parent_column + self.layout.item_offset
        return node.parent_column + self.layout.mapping_indent

    def flow_layout(self, node: YamlNode, texts: list[str]) -> str:
        """Entries in flow style, laid out like the original: one line, or one per line."""
        opening, closing = ("{", "}") if node.kind == "mapping" else ("[", "]")
        source = self.text[node.content_start : node.end]
        if not texts:
            return opening + closing
        if "\n" not in source:
            padded = len(source) > 2 and source[1] == " "
            inner = ", ".join(texts)
            return f"{opening} {inner} {closing}" if padded else opening + inner + closing
        children = [key for key, _ in node.entries] or node.items
        own_column = column(self.text, node.content_start)
        item_column = column(self.text, children[0].start) if children else own_column + 2
        body = ",\n".join(" " * item_column + text for text in texts)
        close_at = node.end - 1
        if starts_line(self.text, close_at):
            return opening + "\n" + body + "\n" + " " * column(self.text, close_at) + closing
        return opening + "\n" + body + closing


def _quote_style(node: YamlNode) -> str | None:
    return node.style if node.kind == "scalar" and node.style in ("'", '"') else None
