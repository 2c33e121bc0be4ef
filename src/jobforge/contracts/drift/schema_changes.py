"""The kinds of schema change, with stable ids, and one change found between two schemas."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final

from jobforge.contracts.problems.rules import Rule

JsonSchema = Mapping[str, Any] | bool


class Role(StrEnum):
    """Which side of a job type a schema describes."""

    INPUT = "input"
    OUTPUT = "output"


def _rule(rule_id: str, name: str, summary: str) -> Rule:
    return Rule(rule_id, name, summary)


TYPE_NARROWED = _rule("JF501", "type-narrowed", "fewer JSON types are accepted")
TYPE_WIDENED = _rule("JF502", "type-widened", "more JSON types are accepted")
TYPE_CHANGED = _rule("JF503", "type-changed", "the accepted JSON types changed")
ENUM_NARROWED = _rule("JF504", "enum-narrowed", "fewer enum values are accepted")
ENUM_WIDENED = _rule("JF505", "enum-widened", "more enum values are accepted")
ENUM_CHANGED = _rule("JF506", "enum-changed", "enum values were both added and removed")
PROPERTY_ADDED = _rule("JF507", "property-added", "an optional property was added")
PROPERTY_REMOVED = _rule("JF508", "property-removed", "a property was removed")
REQUIRED_ADDED = _rule("JF509", "required-added", "a property became required")
REQUIRED_REMOVED = _rule("JF510", "required-removed", "a property is no longer required")
ADDITIONAL_CLOSED = _rule(
    "JF511", "additional-properties-closed", "additionalProperties became false"
)
ADDITIONAL_OPENED = _rule(
    "JF512", "additional-properties-opened", "additionalProperties is no longer false"
)
BOUND_TIGHTENED = _rule("JF513", "bound-tightened", "a minimum/maximum bound got stricter")
BOUND_LOOSENED = _rule("JF514", "bound-loosened", "a minimum/maximum bound got looser")
KEYWORD_CHANGED = _rule(
    "JF515", "keyword-changed", "a keyword not analysed precisely changed (counted as breaking)"
)
REF_UNRESOLVED = _rule(
    "JF516", "ref-changed", "a $ref outside the document changed (counted as breaking)"
)

RULES: Final[tuple[Rule, ...]] = (
    TYPE_NARROWED,
    TYPE_WIDENED,
    TYPE_CHANGED,
    ENUM_NARROWED,
    ENUM_WIDENED,
    ENUM_CHANGED,
    PROPERTY_ADDED,
    PROPERTY_REMOVED,
    REQUIRED_ADDED,
    REQUIRED_REMOVED,
    ADDITIONAL_CLOSED,
    ADDITIONAL_OPENED,
    BOUND_TIGHTENED,
    BOUND_LOOSENED,
    KEYWORD_CHANGED,
    REF_UNRESOLVED,
)


@dataclass(frozen=True, slots=True, order=True)
class SchemaChange:
    """One difference between two schemas. Sorts by path, then rule id, then detail."""

    path: str
    """JSON pointer (RFC 6901) into the schema, following ``$ref`` logically."""
    rule_id: str
    name: str
    detail: str
    breaks_input: bool
    breaks_output: bool

    def breaks(self, role: Role) -> bool:
        """Whether this change breaks a schema used as ``role``."""
        return self.breaks_input if role is Role.INPUT else self.breaks_output

    def describe(self) -> str:
        """``JF508 property-removed at /properties/x: ...`` for messages."""
        return f"{self.rule_id} {self.name} at {self.path or '/'}: {self.detail}"


def json_pointer(base: str, *parts: str) -> str:
    """``base`` extended by ``parts``, escaped as RFC 6901 asks (``~0``, ``~1``)."""
    escaped = (part.replace("~", "~0").replace("/", "~1") for part in parts)
    return base + "".join("/" + part for part in escaped)


def canonical_text(value: Any) -> str:
    """Canonical JSON text, to compare JSON values (1 and true differ, key order does not)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
