"""Compare two JSON Schemas and say which changes break callers (inputs) or readers (outputs).

A change to an INPUT schema breaks when some input that used to be accepted is now
rejected (the schema narrowed). A change to an OUTPUT schema breaks when the runner may
now produce something a reader of the old schema does not expect (the schema widened or
changed), or stops promising something readers relied on (a property removed or no longer
required). Keywords this module does not analyse precisely (``anyOf``, ``oneOf``,
``allOf``, ``not``, ``pattern``, ``format`` ...) are compared by value and, when they
differ, reported as breaking in both directions: a false alarm costs a major bump, a
missed break costs users.

Annotations (``title``, ``description``, ``examples``, ``default``, ``$comment`` ...)
never count. ``$ref`` pointing inside the same document (``#/$defs/x``) is followed;
changes are reported at the logical path where the reference is used.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from jobforge.contracts.drift.schema_changes import (
    ADDITIONAL_CLOSED,
    ADDITIONAL_OPENED,
    PROPERTY_ADDED,
    PROPERTY_REMOVED,
    REF_UNRESOLVED,
    REQUIRED_ADDED,
    REQUIRED_REMOVED,
    RULES,
    JsonSchema,
    Role,
    SchemaChange,
    canonical_text,
    json_pointer,
)
from jobforge.contracts.drift.schema_keywords import (
    compare_enums,
    compare_other_keywords,
    compare_types,
)

__all__ = ["RULES", "JsonSchema", "Role", "SchemaChange", "breaking_changes", "diff_schemas"]


def diff_schemas(old: JsonSchema, new: JsonSchema) -> list[SchemaChange]:
    """Every change from ``old`` to ``new``, sorted; empty when they constrain alike."""
    differ = _Differ(old, new)
    changes = set(differ.compare(old, new, "", frozenset()))
    return sorted(changes)


def breaking_changes(old: JsonSchema, new: JsonSchema, role: Role) -> list[SchemaChange]:
    """The changes from ``old`` to ``new`` that break a schema used as ``role``."""
    return [change for change in diff_schemas(old, new) if change.breaks(role)]


def _as_mapping(schema: Any) -> Mapping[str, Any]:
    """``true`` accepts everything (``{}``); ``false`` accepts nothing (no type at all)."""
    if schema is True:
        return {}
    if schema is False:
        return {"type": []}
    if isinstance(schema, Mapping):
        return schema
    return {"$jobforge-invalid": schema}


class _Differ:
    """Walks two schemas side by side; holds both documents to resolve local ``$ref``."""

    def __init__(self, old_root: JsonSchema, new_root: JsonSchema) -> None:
        self._old_root = old_root
        self._new_root = new_root

    def compare(
        self, old: Any, new: Any, path: str, seen: frozenset[tuple[str, str]]
    ) -> Iterator[SchemaChange]:
        old_map, new_map = _as_mapping(old), _as_mapping(new)
        old_ref, new_ref = old_map.get("$ref"), new_map.get("$ref")
        if isinstance(old_ref, str) or isinstance(new_ref, str):
            yield from self._compare_refs(old_map, new_map, path, seen)
            return
        yield from compare_types(old_map, new_map, path)
        yield from compare_enums(old_map, new_map, path)
        yield from self._compare_properties(old_map, new_map, path, seen)
        yield from self._compare_additional(old_map, new_map, path, seen)
        if "items" in old_map or "items" in new_map:
            yield from self.compare(
                old_map.get("items", True),
                new_map.get("items", True),
                json_pointer(path, "items"),
                seen,
            )
        yield from compare_other_keywords(old_map, new_map, path)

    def _compare_refs(
        self,
        old: Mapping[str, Any],
        new: Mapping[str, Any],
        path: str,
        seen: frozenset[tuple[str, str]],
    ) -> Iterator[SchemaChange]:
        old_ref, new_ref = old.get("$ref"), new.get("$ref")
        pair = (canonical_text(old_ref), canonical_text(new_ref))
        if pair in seen:  # a recursive schema: this pair is already being compared
            return
        old_target = _resolve(self._old_root, old_ref) if isinstance(old_ref, str) else old
        new_target = _resolve(self._new_root, new_ref) if isinstance(new_ref, str) else new
        if old_target is None or new_target is None:
            if old_ref != new_ref:
                yield SchemaChange(
                    json_pointer(path, "$ref"),
                    REF_UNRESOLVED.id,
                    REF_UNRESOLVED.name,
                    f"$ref changed from {canonical_text(old_ref)} to {canonical_text(new_ref)}",
                    breaks_input=True,
                    breaks_output=True,
                )
            return
        # Sibling keywords of $ref apply too (Draft 2020-12); merge them over the target.
        merged_old = _merge_ref(old, old_target)
        merged_new = _merge_ref(new, new_target)
        yield from self.compare(merged_old, merged_new, path, seen | {pair})

    def _compare_properties(
        self,
        old: Mapping[str, Any],
        new: Mapping[str, Any],
        path: str,
        seen: frozenset[tuple[str, str]],
    ) -> Iterator[SchemaChange]:
        old_props = _mapping_keyword(old, "properties")
        new_props = _mapping_keyword(new, "properties")
        old_required = _required(old)
        new_required = _required(new)
        new_closed = new.get("additionalProperties") is False
        old_closed = old.get("additionalProperties") is False
        for name in sorted(old_props.keys() - new_props.keys()):
            yield SchemaChange(
                json_pointer(path, "properties", name),
                PROPERTY_REMOVED.id,
                PROPERTY_REMOVED.name,
                f"property {name!r} was removed"
                + (" and additionalProperties is false" if new_closed else ""),
                # Inputs: an input carrying the property is rejected only by a closed schema.
                breaks_input=new_closed,
                breaks_output=True,
            )
        for name in sorted(new_props.keys() - old_props.keys()):
            yield SchemaChange(
                json_pointer(path, "properties", name),
                PROPERTY_ADDED.id,
                PROPERTY_ADDED.name,
                f"property {name!r} was added"
                + (" where additionalProperties was false" if old_closed else ""),
                breaks_input=False,
                # Readers validating with the old, closed schema would reject the new field.
                breaks_output=old_closed,
            )
        for name in sorted(old_props.keys() & new_props.keys()):
            yield from self.compare(
                old_props[name], new_props[name], json_pointer(path, "properties", name), seen
            )
        for name in sorted(new_required - old_required):
            yield SchemaChange(
                json_pointer(path, "properties", name),
                REQUIRED_ADDED.id,
                REQUIRED_ADDED.name,
                f"property {name!r} is now required",
                breaks_input=True,
                breaks_output=False,
            )
        for name in sorted(old_required - new_required):
            yield SchemaChange(
                json_pointer(path, "properties", name),
                REQUIRED_REMOVED.id,
                REQUIRED_REMOVED.name,
                f"property {name!r} is no longer required",
                breaks_input=False,
                breaks_output=True,
            )

    def _compare_additional(
        self,
        old: Mapping[str, Any],
        new: Mapping[str, Any],
        path: str,
        seen: frozenset[tuple[str, str]],
    ) -> Iterator[SchemaChange]:
        old_extra = old.get("additionalProperties", True)
        new_extra = new.get("additionalProperties", True)
        where = json_pointer(path, "additionalProperties")
        if new_extra is False and old_extra is not False:
            yield SchemaChange(
                where,
                ADDITIONAL_CLOSED.id,
                ADDITIONAL_CLOSED.name,
                "additionalProperties is now false: unlisted properties are rejected",
                breaks_input=True,
                breaks_output=False,
            )
        elif old_extra is False and new_extra is not False:
            yield SchemaChange(
                where,
                ADDITIONAL_OPENED.id,
                ADDITIONAL_OPENED.name,
                "additionalProperties is no longer false: unlisted properties may appear",
                breaks_input=False,
                breaks_output=True,
            )
        elif "additionalProperties" in old or "additionalProperties" in new:
            yield from self.compare(old_extra, new_extra, where, seen)


def _resolve(root: JsonSchema, ref: str) -> Any:
    """The subschema a local ``#/...`` reference points at, or None if it leaves the document."""
    if ref == "#":
        return root
    if not ref.startswith("#/"):
        return None
    node: Any = root
    for raw in ref[2:].split("/"):
        part = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(node, Mapping) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return None
    return node


def _merge_ref(referrer: Mapping[str, Any], target: Any) -> Any:
    siblings = {key: value for key, value in referrer.items() if key != "$ref"}
    if not siblings:
        return target
    if target is True:
        return siblings
    if isinstance(target, Mapping):
        return {**target, **siblings}
    return target


def _mapping_keyword(schema: Mapping[str, Any], keyword: str) -> Mapping[str, Any]:
    value = schema.get(keyword, {})
    return value if isinstance(value, Mapping) else {}


def _required(schema: Mapping[str, Any]) -> frozenset[str]:
    value = schema.get("required", [])
    if not isinstance(value, list):
        return frozenset()
    return frozenset(item for item in value if isinstance(item, str))
