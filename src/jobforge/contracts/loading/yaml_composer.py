"""The YAML composer the loader uses: what a contract file may hold, decided per node.

ruamel.yaml's composer turns parser events into nodes; the constructor then turns nodes
into values. Deciding here, from the events, means nothing is ever built from a refused
node: an alias bomb never expands, a ``!!python/...`` tag never reaches a constructor, and
nesting stops at the limit before the recursive constructor sees it.

Decision: the tags of the YAML 1.2 core schema are accepted when written out
(``!!str``, ``!!int``, ``!!float``, ``!!bool``, ``!!null``, ``!!seq``, ``!!map``), because
they name exactly the plain values a contract holds: ``version: !!str 1.0`` is a common way
to keep a version a string. A core tag must fit its node (``!!map`` on a mapping) and its
value must be one the core schema gives that tag (``!!int 0x1F``, not ``!!int 1_000``).
Every other tag, including ``!!set``, ``!!omap``, ``!!pairs``, ``!!binary``,
``!!timestamp``, ``!!merge``, the non-specific ``!`` and local tags, is refused (JF115) and
its node is read as if untagged, so the rest of the file is still checked.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from jobforge.contracts.problems.problem import Position

if TYPE_CHECKING:
    from ruamel.yaml.composer import Composer

CORE_TAG_PREFIX = "tag:yaml.org,2002:"
# The YAML 1.2 core schema's values for each scalar tag (section 10.3.2 of the spec).
_CORE_SCALARS: dict[str, tuple[re.Pattern[str], str]] = {
    "str": (re.compile(r".*", re.DOTALL), "a string"),
    "int": (re.compile(r"[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+"), "an integer"),
    "float": (
        re.compile(
            r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?"
            r"|[-+]?\.(inf|Inf|INF)|\.nan|\.NaN|\.NAN"
        ),
        "a number",
    ),
    "bool": (re.compile(r"true|True|TRUE|false|False|FALSE"), "true or false"),
    "null": (re.compile(r"null|Null|NULL|~|"), "null"),
}
_CORE_COLLECTIONS = {"seq": "sequence", "map": "mapping"}
_UNTAGGED_HINTS = {
    "scalar": "remove it (quote the value to keep it as text)",
    "sequence": "remove it to write a plain sequence",
    "mapping": "remove it to write a plain mapping",
}
MERGE_KEY_MESSAGE = (
    "<< (a YAML merge key) is not supported; write the keys out in full, "
    'or quote "<<" for a key of that name'
)


@dataclass(frozen=True, slots=True)
class RefusedNode:
    """A node the composer read as untagged plain data, and why it is a problem."""

    position: Position
    message: str


class AnchorRefused(Exception):
    """Raised at the first anchor or alias, before anything is built."""

    def __init__(self, position: Position) -> None:
        super().__init__(position)
        self.position = position


class NestingTooDeep(Exception):
    """Raised at the first sequence or mapping nested deeper than the limit."""

    def __init__(self, position: Position) -> None:
        super().__init__(position)
        self.position = position


def _position(event: Any) -> Position:
    return Position(event.start_mark.line + 1, event.start_mark.column + 1)


def _written(tag: Any) -> str:
    """The tag as the file spells it: ``!!omap``, ``!foo``, ``!<tag:example.com:x>``."""
    if tag.handle is not None:
        return f"{tag.handle}{tag.suffix}"
    suffix = str(tag.suffix)
    return suffix if suffix == "!" else f"!<{suffix}>"


@functools.cache
def strict_composer(max_depth: int) -> type[Composer]:
    """A ruamel composer class that enforces the rules above and ``max_depth`` levels.

    The depth counts sequences and mappings nested in one another, as the router counts
    the arrays and objects of a payload; ruamel's own ``max_depth`` counts scalars too.
    """
    from ruamel.yaml.composer import Composer  # noqa: PLC0415 - ruamel is imported lazily
    from ruamel.yaml.events import (  # noqa: PLC0415
        AliasEvent,
        MappingStartEvent,
        ScalarEvent,
        SequenceStartEvent,
    )

    def node_kind(event: Any) -> str:
        if isinstance(event, SequenceStartEvent):
            return "sequence"
        if isinstance(event, MappingStartEvent):
            return "mapping"
        return "scalar"

    class StrictComposer(Composer):
        def __init__(self, loader: Any = None) -> None:
            super().__init__(loader)
            self.refused: list[RefusedNode] = []
            self.container_depth = 0

        def compose_node(self, parent: Any, index: Any) -> Any:
            event = self.parser.peek_event()
            if isinstance(event, AliasEvent) or event.anchor is not None:
                raise AnchorRefused(_position(event))
            kind = node_kind(event)
            if event.ctag is not None:
                self._check_tag(event, kind)
            elif isinstance(event, ScalarEvent) and event.style is None:
                self._check_plain(event)
            if kind == "scalar":
                return super().compose_node(parent, index)
            self.container_depth += 1
            if self.container_depth > max_depth:
                raise NestingTooDeep(_position(event))
            node = super().compose_node(parent, index)
            self.container_depth -= 1
            return node

        def _check_tag(self, event: Any, kind: str) -> None:
            tag = event.ctag
            name = str(tag).removeprefix(CORE_TAG_PREFIX) if str(tag) != "!" else "!"
            problem = None
            if not str(tag).startswith(CORE_TAG_PREFIX) or (
                name not in _CORE_SCALARS and name not in _CORE_COLLECTIONS
            ):
                problem = f"the YAML tag {_written(tag)} is not allowed; {_UNTAGGED_HINTS[kind]}"
            elif name in _CORE_COLLECTIONS and _CORE_COLLECTIONS[name] != kind:
                needed = _CORE_COLLECTIONS[name]
                problem = f"the YAML tag {_written(tag)} needs a {needed}, got a {kind}; remove it"
            elif name in _CORE_SCALARS and kind != "scalar":
                problem = f"the YAML tag {_written(tag)} needs a scalar, got a {kind}; remove it"
            elif name in _CORE_SCALARS:
                pattern, needed = _CORE_SCALARS[name]
                if not pattern.fullmatch(event.value):
                    problem = (
                        f"the YAML tag {_written(tag)} needs {needed}, "
                        f"got {json.dumps(event.value, ensure_ascii=False)}; remove it"
                    )
                elif name == "str":
                    # ruamel keeps an explicit !!str as a TaggedScalar; untagged and not
                    # implicit, the resolver gives the plain string the tag asks for.
                    event.ctag = None
                    event.implicit = (False, False)
            if problem is not None:
                self.refused.append(RefusedNode(_position(event), problem))
                # Read as untagged: nothing is constructed from the tag.
                event.ctag = None

        def _check_plain(self, event: Any) -> None:
            # The core schema has no merge and no value type; ruamel resolves plain ``<<``
            # and ``=`` to them (YAML 1.1 types) even in YAML 1.2 documents.
            if event.value == "<<":
                self.refused.append(RefusedNode(_position(event), MERGE_KEY_MESSAGE))
                event.implicit = (False, False)
            elif event.value == "=":
                event.implicit = (False, False)

    return StrictComposer
