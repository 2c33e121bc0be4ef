"""A YAML document as nodes that know their place in the text, for editing it in place.

ruamel.yaml's composer gives every node its start and end marks; this module keeps them
(as character offsets), trims them to what a person would call the node's text, and adds
what a splice needs: the node's value as plain data, whether it sits in a flow collection,
the column of the block collection holding it, and where each alias occurs (the composer
itself hands back the anchored node for an alias, losing the alias's own position).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from jobforge.replay.golden_update.yaml_text import column, line_end, skip_blank_and_comments

if TYPE_CHECKING:
    from ruamel.yaml.composer import Composer

NodeKind = Literal["scalar", "mapping", "sequence", "alias"]
Role = Literal["root", "key", "value", "item"]

MERGE_TAG = "tag:yaml.org,2002:merge"
BLOCK_STYLES = ("|", ">")


@dataclass(frozen=True)
class Opaque:
    """A YAML value with no JSON equivalent (a date, a tagged scalar): equal to no output."""

    kind: str
    text: str


@dataclass(eq=False)
class YamlNode:
    """One node of the document and the span of text it was read from."""

    kind: NodeKind
    start: int  # first character, anchor and tag included
    content_start: int  # first character after the anchor and tag
    end: int  # one past the last character (a block scalar: of its last content line)
    value: Any = None  # the node as plain data (dicts, lists, str, int, float, bool, None)
    role: Role = "root"
    parent_column: int = 0  # column of the key or dash of the block collection holding it
    in_flow: bool = False  # written inside [...] or {...}
    flow_style: bool = False  # a collection written as [...] or {...} itself
    style: str | None = None  # a scalar's style: None (plain), "'", '"', "|" or ">"
    empty: bool = False  # a scalar with no text at all (`key:` followed by nothing)
    anchor: str | None = None
    tagged: bool = False  # carries an explicit tag (`!!str`)
    merges: bool = False  # a mapping with a `<<` merge key
    entries: list[tuple[YamlNode, YamlNode]] = field(default_factory=list)
    items: list[YamlNode] = field(default_factory=list)
    target: YamlNode | None = None  # what an alias stands for

    @property
    def is_collection(self) -> bool:
        return self.kind in ("mapping", "sequence")

    @property
    def is_block_collection(self) -> bool:
        return self.is_collection and not self.flow_style


@dataclass
class YamlTree:
    """The root node of a document, and the anchors its aliases refer to."""

    text: str
    root: YamlNode
    aliased_anchors: set[str]

    def walk(self) -> list[YamlNode]:
        """Every node once, in document order (alias targets are not entered again)."""
        found: list[YamlNode] = []
        pending = [self.root]
        while pending:
            node = pending.pop()
            found.append(node)
            children = [n for pair in node.entries for n in pair] + node.items
            pending.extend(reversed(children))
        return found


class _AliasOccurrence:
    """Where an alias was written, standing in the composed tree for the node it names."""

    def __init__(self, target: Any, start: int, end: int) -> None:
        self.target = target
        self.start = start
        self.end = end


def parse_tree(text: str) -> YamlTree:
    """Compose ``text`` (one YAML document) into located nodes; ruamel errors propagate."""
    from ruamel.yaml import YAML  # noqa: PLC0415 - YAML costs ~50 ms to import

    yaml = YAML(typ="rt")
    yaml.Composer = _locating_composer()
    composed = yaml.compose(text)
    if composed is None:
        raise ValueError("the document is empty")
    builder = _Builder(text, yaml.constructor)
    root = builder.node(composed, role="root", parent_column=0, in_flow=False)
    return YamlTree(text, root, builder.aliased_anchors)


@functools.cache
def _locating_composer() -> type[Composer]:
    from ruamel.yaml.composer import Composer  # noqa: PLC0415
    from ruamel.yaml.events import AliasEvent  # noqa: PLC0415

    class LocatingComposer(Composer):
        def compose_node(self, parent: Any, index: Any) -> Any:
            event = self.parser.peek_event()
            node = super().compose_node(parent, index)
            if isinstance(event, AliasEvent):
                return _AliasOccurrence(node, event.start_mark.index, event.end_mark.index)
            return node

    return LocatingComposer


class _Builder:
    def __init__(self, text: str, constructor: Any) -> None:
        self.text = text
        self.constructor = constructor
        self.built: dict[int, YamlNode] = {}
        self.aliased_anchors: set[str] = set()

    def node(self, composed: Any, *, role: Role, parent_column: int, in_flow: bool) -> YamlNode:
        if isinstance(composed, _AliasOccurrence):
            target = self.built[id(composed.target)]
            if target.anchor is not None:
                self.aliased_anchors.add(target.anchor)
            return YamlNode(
                "alias",
                composed.start,
                composed.start,
                composed.end,
                value=target.value,
                role=role,
                parent_column=parent_column,
                in_flow=in_flow,
                target=target,
            )
        from ruamel.yaml.nodes import MappingNode, SequenceNode  # noqa: PLC0415

        if isinstance(composed, MappingNode):
            built = self._mapping(composed, in_flow)
        elif isinstance(composed, SequenceNode):
            built = self._sequence(composed, in_flow)
        else:
            built = self._scalar(composed)
        built.role = role
        built.parent_column = parent_column
        built.in_flow = in_flow
        built.anchor = composed.anchor
        self.built[id(composed)] = built
        return built

    def _properties(self, start: int, first_child: int | None) -> tuple[int, int, bool]:
        """Where an anchor and tag end, where the content starts after them, and whether
        a tag was written."""
        text = self.text
        if start >= len(text) or text[start] not in "&!" or first_child == start:
            return start, start, False
        position, properties_end, tagged = start, start, False
        while position < len(text) and text[position] in "&!":
            tagged = tagged or text[position] == "!"
            while position < len(text) and not text[position].isspace():
                position += 1
            properties_end = position
            position = skip_blank_and_comments(text, position)
        return properties_end, position, tagged

    def _scalar(self, composed: Any) -> YamlNode:
        start, end = composed.start_mark.index, composed.end_mark.index
        properties_end, content_start, tagged = self._properties(start, None)
        style = composed.style if composed.style in ("'", '"', *BLOCK_STYLES) else None
        if style in BLOCK_STYLES:
            end = _block_scalar_end(self.text, content_start, end)
        value = _plain(self.constructor.construct_object(composed, deep=True))
        empty = style is None and composed.value == ""
        if empty:  # nothing written: the node sits right after its anchor and tag, if any
            content_start = end = properties_end if properties_end > start else end
        return YamlNode(
            "scalar", start, content_start, end, value=value, style=style, empty=empty,
            tagged=tagged,
        )  # fmt: skip

    def _mapping(self, composed: Any, in_flow: bool) -> YamlNode:
        flow = bool(composed.flow_style) or in_flow
        first_key = _start_of(composed.value[0][0]) if composed.value else None
        start = composed.start_mark.index
        _, content_start, tagged = self._properties(start, first_key)
        node = YamlNode("mapping", start, content_start, composed.end_mark.index, tagged=tagged)
        node.flow_style = bool(composed.flow_style)
        explicit: dict[Any, Any] = {}
        merged: list[dict[Any, Any]] = []
        for key, value in composed.value:
            key_node = self.node(key, role="key", parent_column=0, in_flow=flow)
            key_node.value = _hashable(key_node.value)
            key_column = column(self.text, key_node.start)
            value_node = self.node(value, role="value", parent_column=key_column, in_flow=flow)
            if value_node.empty and value_node.start == value_node.content_start:
                _place_after_colon(self.text, key_node, value_node)
            if getattr(key, "tag", None) == MERGE_TAG:
                node.merges = True
                merged.extend(_merge_sources(value_node.value))
            else:
                explicit[key_node.value] = value_node.value
            node.entries.append((key_node, value_node))
        node.value = {}
        for source in reversed(merged):  # the first source listed wins, explicit keys win
            node.value.update(source)
        node.value.update(explicit)
        if not node.flow_style and node.entries:
            node.end = max(node.entries[-1][0].end, node.entries[-1][1].end)
        return node

    def _sequence(self, composed: Any, in_flow: bool) -> YamlNode:
        flow = bool(composed.flow_style) or in_flow
        start = composed.start_mark.index
        _, content_start, tagged = self._properties(start, None)
        node = YamlNode("sequence", start, content_start, composed.end_mark.index, tagged=tagged)
        node.flow_style = bool(composed.flow_style)
        dash_column = column(self.text, content_start)
        for item in composed.value:
            node.items.append(self.node(item, role="item", parent_column=dash_column, in_flow=flow))
        node.value = [item.value for item in node.items]
        if not node.flow_style and node.items:
            node.end = node.items[-1].end
        return node


def _start_of(composed: Any) -> int:
    if isinstance(composed, _AliasOccurrence):
        return composed.start
    return int(composed.start_mark.index)


def _block_scalar_end(text: str, content_start: int, mark_end: int) -> int:
    """The end of a block scalar's last line with text, not of the blank lines after it."""
    last = mark_end
    while last > content_start and text[last - 1].isspace():
        last -= 1
    return min(line_end(text, last), mark_end) if last > content_start else mark_end


def _place_after_colon(text: str, key: YamlNode, value: YamlNode) -> None:
    """ruamel places an empty value at the next token; put it right after the key's colon."""
    position = key.end
    while position < len(text) and text[position] in " \t":
        position += 1
    where = position + 1 if position < len(text) and text[position] == ":" else key.end
    value.start = value.content_start = value.end = where


def _merge_sources(value: Any) -> list[dict[Any, Any]]:
    if isinstance(value, dict):
        return [value]
    if isinstance(value, list):
        return [item for item in value if isinstance(item, dict)]
    return []


def _hashable(value: Any) -> Any:
    try:
        hash(value)
    except TypeError:
        return Opaque("key", repr(value))
    return value


def _plain(value: Any) -> Any:
    """A constructed ruamel scalar as plain data, the way the contracts loader reads it."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str):
        return str(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value) if math.isfinite(value) else Opaque("number", repr(float(value)))
    if isinstance(value, dict | list):
        return Opaque("collection", repr(value))
    return Opaque(type(value).__name__, repr(value))


def plain_data(value: Any) -> Any:
    """A loaded ruamel document as plain data, read the same way as ``YamlNode.value``."""
    if isinstance(value, dict):
        return {_hashable(plain_data(key)): plain_data(item) for key, item in value.items()}
    if isinstance(value, list):
        return [plain_data(item) for item in value]
    return _plain(value)
