"""The smallest text edits that make a golden's ``expected_output`` pass against an output.

The golden is judged as replay judges it: ``expected_output`` must be contained in the
actual output, or equal it with ``exact: true``. Only the nodes that fail that judgement
are rewritten, each in place: a scalar gets a new scalar in a compatible style, a block
mapping or sequence loses or gains whole entries (the others keep their lines, comments
included), a flow collection is rewritten as a flow collection. A node that changes type
is rendered afresh in the style its context calls for. Nothing outside those spans moves.

Anchors and aliases: an alias whose value must change is replaced by the value written
out (the sharing is dropped at that spot only); an anchored node whose value must change
while an alias elsewhere names it is refused, since changing it would change the alias.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from jobforge.replay.compare import is_subset, restrict
from jobforge.replay.golden_update.sequence_alignment import Step, align
from jobforge.replay.golden_update.yaml_edits import Edit, PatchRefused, apply_edits
from jobforge.replay.golden_update.yaml_entries import (
    delete_entries,
    insert_entries,
    item_offset,
    key_style_of,
    mapping_entries,
    sequence_entries,
)
from jobforge.replay.golden_update.yaml_render import Layout, after_key, flow_text, scalar_text
from jobforge.replay.golden_update.yaml_rewrite import NodeWriter
from jobforge.replay.golden_update.yaml_text import column
from jobforge.replay.golden_update.yaml_tree import YamlNode, YamlTree

EXPECTED_OUTPUT = "expected_output"


def plan_expected_output(tree: YamlTree, actual: Any, *, exact: bool) -> list[Edit]:
    """The edits that make ``expected_output`` in ``tree`` pass against ``actual``."""
    root = tree.root
    if root.kind != "mapping":
        raise PatchRefused("expected a mapping at the top level of the golden", root.start)
    planner = _Planner(tree, exact=exact, layout=measure_layout(tree))
    for key, value in root.entries:
        if key.value == EXPECTED_OUTPUT:
            return planner.node(value, actual)
    return [planner.append_expected_output(actual)]


def measure_layout(tree: YamlTree) -> Layout:
    """The indentation the file already uses for nested mappings, sequences and items."""
    text = tree.text
    found: dict[str, int] = {}
    for node in tree.walk():
        if node.is_block_collection and node.kind == "sequence":
            offset = item_offset(text, node)
            if offset is not None:
                found.setdefault("item_offset", offset)
        if not node.is_block_collection or node.kind != "mapping":
            continue
        for key, value in node.entries:
            if not value.is_block_collection or value.tagged or value.anchor:
                continue
            delta = column(text, value.content_start) - column(text, key.start)
            if value.kind == "mapping" and delta > 0:
                found.setdefault("mapping_indent", delta)
            elif value.kind == "sequence" and delta >= 0:
                found.setdefault("sequence_indent", delta)
    return Layout(**found)


class _Planner:
    def __init__(self, tree: YamlTree, *, exact: bool, layout: Layout) -> None:
        self.tree = tree
        self.text = tree.text
        self.exact = exact
        self.layout = layout
        self.writer = NodeWriter(tree.text, layout)

    # ------------------------------------------------------------ judging

    def matches(self, expected: Any, actual: Any) -> bool:
        return bool(expected == actual) if self.exact else is_subset(expected, actual)

    def target(self, expected: Any, actual: Any) -> Any:
        """What a node judged wrong should hold: the output, cut down to the keys the
        golden names unless the golden is exact."""
        return actual if self.exact else restrict(actual, expected)

    # ------------------------------------------------------------ nodes

    def node(self, node: YamlNode, actual: Any) -> list[Edit]:
        if self.matches(node.value, actual):
            return []
        if node.kind == "alias":
            return [self.writer.replace(node, self.target(node.value, actual))]
        if node.anchor is not None and node.anchor in self.tree.aliased_anchors:
            raise PatchRefused(
                f"this value carries the anchor &{node.anchor}, which an alias uses; "
                "changing it would change the alias too, so write the value out in full",
                node.start,
            )
        if node.kind == "mapping" and isinstance(actual, dict) and not node.merges:
            return self.mapping(node, actual)
        if node.kind == "sequence" and isinstance(actual, list):
            return self.sequence(node, actual)
        return [self.writer.replace(node, self.target(node.value, actual))]

    def mapping(self, node: YamlNode, actual: dict[str, Any]) -> list[Edit]:
        kept = [i for i, (key, _) in enumerate(node.entries) if key.value in actual]
        written = {key.value for key, _ in node.entries}
        missing = {k: v for k, v in actual.items() if k not in written} if self.exact else {}
        if len(kept) == len(node.entries) and not missing:
            return [
                edit for key, value in node.entries for edit in self.node(value, actual[key.value])
            ]
        if node.flow_style:
            return [self.rebuild_flow_mapping(node, actual, kept, missing)]
        if not kept:
            return [self.writer.replace(node, self.target(node.value, actual))]
        entries = mapping_entries(self.text, node, self.layout)
        dropped = [i for i in range(len(node.entries)) if i not in kept]
        edits = delete_entries(self.text, entries, dropped)
        for i in kept:
            key, value = node.entries[i]
            edits.extend(self.node(value, actual[key.value]))
        if missing:
            edits.append(insert_entries(self.text, entries, list(missing.items()), after=kept[-1]))
        return edits

    def sequence(self, node: YamlNode, actual: list[Any]) -> list[Edit]:
        steps = align([item.value for item in node.items], actual, self.matches)
        survivors = [(s.old, s.new) for s in steps if s.old is not None and s.new is not None]
        if len(survivors) == len(steps):
            return [
                edit for old, new in survivors for edit in self.node(node.items[old], actual[new])
            ]
        if node.flow_style:
            return [self.rebuild_flow_sequence(node, actual, steps)]
        entries = sequence_entries(self.text, node, self.layout)
        if not survivors or entries is None:
            return [self.writer.replace(node, self.target(node.value, actual))]
        dropped = [step.old for step in steps if step.new is None and step.old is not None]
        edits = delete_entries(self.text, entries, dropped)
        for old, new in survivors:
            edits.extend(self.node(node.items[old], actual[new]))
        for after, before, values in _insertions(steps, actual):
            edits.append(insert_entries(self.text, entries, values, after=after, before=before))
        return edits

    # ------------------------------------------------------------ flow collections

    def rebuild_flow_mapping(
        self, node: YamlNode, actual: dict[str, Any], kept: list[int], missing: dict[str, Any]
    ) -> Edit:
        texts = []
        for i in kept:
            key, value = node.entries[i]
            edits = self.node(value, actual[key.value])
            texts.append(self.patched(key.start, max(key.end, value.end), edits))
        key_style = key_style_of(node)
        texts.extend(
            f"{scalar_text(k, style=key_style, flow=True)}: {flow_text(v)}"
            for k, v in missing.items()
        )
        return Edit(node.content_start, node.end, self.writer.flow_layout(node, texts))

    def rebuild_flow_sequence(self, node: YamlNode, actual: list[Any], steps: list[Step]) -> Edit:
        texts = []
        for step in steps:
            if step.new is None:
                continue
            if step.old is None:
                texts.append(flow_text(actual[step.new]))
                continue
            item = node.items[step.old]
            texts.append(self.patched(item.start, item.end, self.node(item, actual[step.new])))
        return Edit(node.content_start, node.end, self.writer.flow_layout(node, texts))

    def patched(self, start: int, end: int, edits: list[Edit]) -> str:
        shifted = [Edit(e.start - start, e.end - start, e.replacement) for e in edits]
        return apply_edits(self.text[start:end], shifted)

    # ------------------------------------------------------------ a missing expected_output

    def append_expected_output(self, actual: Any) -> Edit:
        root = self.tree.root
        if root.flow_style:
            at = root.end - 1
            separator = ", " if root.entries else ""
            return Edit(at, at, f"{separator}{EXPECTED_OUTPUT}: {flow_text(actual)}")
        key_column = column(self.text, root.content_start)
        entry = (
            " " * key_column + EXPECTED_OUTPUT + ":" + after_key(actual, key_column, self.layout)
        )
        separator = "" if not self.text or self.text.endswith("\n") else "\n"
        return Edit(len(self.text), len(self.text), separator + entry + "\n")


def _insertions(
    steps: list[Step], actual: list[Any]
) -> Iterator[tuple[int | None, int | None, list[tuple[None, Any]]]]:
    """Each run of new items, with the surviving item it follows (or, at the front, the one
    it precedes)."""
    previous: int | None = None
    pending: list[tuple[None, Any]] = []
    for step in steps:
        if step.old is None and step.new is not None:
            pending.append((None, actual[step.new]))
            continue
        if step.old is not None and step.new is not None:
            if pending:
                yield previous, (step.old if previous is None else None), pending
                pending = []
            previous = step.old
    if pending:
        yield previous, None, pending
