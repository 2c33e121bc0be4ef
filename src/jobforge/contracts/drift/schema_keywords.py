"""The keyword-level comparisons of the schema differ: type, enum/const, and the rest.

Numeric bounds (``minimum``, ``maxLength`` ...) are compared by direction; any other
keyword not handled structurally by ``schema_diff`` is compared by value and counts as
breaking both ways when it differs.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, Final

from jobforge.contracts.drift.schema_changes import (
    BOUND_LOOSENED,
    BOUND_TIGHTENED,
    ENUM_CHANGED,
    ENUM_NARROWED,
    ENUM_WIDENED,
    KEYWORD_CHANGED,
    TYPE_CHANGED,
    TYPE_NARROWED,
    TYPE_WIDENED,
    SchemaChange,
    canonical_text,
    json_pointer,
)

ALL_TYPES: Final = frozenset({"array", "boolean", "integer", "null", "number", "object", "string"})
# Keywords that describe, never constrain.
ANNOTATIONS: Final = frozenset(
    {
        "$schema",
        "$id",
        "$anchor",
        "$comment",
        "$defs",
        "definitions",
        "title",
        "description",
        "default",
        "examples",
        "deprecated",
        "readOnly",
        "writeOnly",
        "contentMediaType",
        "contentEncoding",
    }
)
# Keywords analysed structurally below; everything else is compared by value.
STRUCTURAL: Final = frozenset(
    {"type", "enum", "const", "properties", "required", "additionalProperties", "items", "$ref"}
)
# Numeric bounds: for a "min" bound a larger value is stricter, for a "max" bound smaller.
LOWER_BOUNDS: Final = frozenset(
    {"minimum", "exclusiveMinimum", "minLength", "minItems", "minProperties", "minContains"}
)
UPPER_BOUNDS: Final = frozenset(
    {"maximum", "exclusiveMaximum", "maxLength", "maxItems", "maxProperties", "maxContains"}
)


def _types(schema: Mapping[str, Any]) -> frozenset[str]:
    """The JSON types a schema admits, with "number" implying "integer"."""
    value = schema.get("type")
    if value is None:
        types = set(ALL_TYPES)
    elif isinstance(value, str):
        types = {value}
    elif isinstance(value, list):
        types = {item for item in value if isinstance(item, str)}
    else:
        types = set(ALL_TYPES)
    if "number" in types:
        types.add("integer")
    return frozenset(types)


def _type_label(types: frozenset[str]) -> str:
    if types == ALL_TYPES:
        return "any type"
    shown = sorted(types - {"integer"} if "number" in types else types)
    return "/".join(shown) if shown else "nothing"


def compare_types(
    old: Mapping[str, Any], new: Mapping[str, Any], path: str
) -> Iterator[SchemaChange]:
    old_types, new_types = _types(old), _types(new)
    if old_types == new_types:
        return
    detail = f"type was {_type_label(old_types)}, is now {_type_label(new_types)}"
    where = json_pointer(path, "type")
    if new_types < old_types:
        yield SchemaChange(
            where, TYPE_NARROWED.id, TYPE_NARROWED.name, detail, True, breaks_output=False
        )
    elif new_types > old_types:
        yield SchemaChange(
            where, TYPE_WIDENED.id, TYPE_WIDENED.name, detail, False, breaks_output=True
        )
    else:
        yield SchemaChange(
            where, TYPE_CHANGED.id, TYPE_CHANGED.name, detail, True, breaks_output=True
        )


def _enum_values(schema: Mapping[str, Any]) -> frozenset[str] | None:
    """Canonical JSON of each allowed value (``const`` is a one-value enum), None if free."""
    if "const" in schema:
        const = frozenset({canonical_text(schema["const"])})
        if isinstance(schema.get("enum"), list):  # both: only values in each are valid
            return const & {canonical_text(v) for v in schema["enum"]}
        return const
    listed = schema.get("enum")
    if isinstance(listed, list):
        return frozenset(canonical_text(v) for v in listed)
    return None


def compare_enums(
    old: Mapping[str, Any], new: Mapping[str, Any], path: str
) -> Iterator[SchemaChange]:
    old_values, new_values = _enum_values(old), _enum_values(new)
    if old_values == new_values:
        return
    where = json_pointer(path, "enum")
    if new_values is None:
        yield SchemaChange(
            where, ENUM_WIDENED.id, ENUM_WIDENED.name, "enum removed: any value accepted",
            breaks_input=False, breaks_output=True,
        )  # fmt: skip
        return
    if old_values is None:
        yield SchemaChange(
            where, ENUM_NARROWED.id, ENUM_NARROWED.name,
            f"enum added: only {', '.join(sorted(new_values))} accepted",
            breaks_input=True, breaks_output=False,
        )  # fmt: skip
        return
    removed, added = sorted(old_values - new_values), sorted(new_values - old_values)
    parts = ([f"removed {', '.join(removed)}"] if removed else []) + (
        [f"added {', '.join(added)}"] if added else []
    )
    rule = ENUM_CHANGED if removed and added else ENUM_NARROWED if removed else ENUM_WIDENED
    yield SchemaChange(
        where, rule.id, rule.name, "enum " + "; ".join(parts),
        breaks_input=bool(removed), breaks_output=bool(added),
    )  # fmt: skip


def compare_other_keywords(
    old: Mapping[str, Any], new: Mapping[str, Any], path: str
) -> Iterator[SchemaChange]:
    keywords = (old.keys() | new.keys()) - ANNOTATIONS - STRUCTURAL
    for keyword in sorted(keywords):
        old_value, new_value = old.get(keyword), new.get(keyword)
        if canonical_text(old_value) == canonical_text(new_value):
            continue
        where = json_pointer(path, keyword)
        tightened = _bound_tightened(keyword, old_value, new_value)
        if tightened is None:
            yield SchemaChange(
                where, KEYWORD_CHANGED.id, KEYWORD_CHANGED.name,
                f"{keyword} changed from {_shown(old_value)} to {_shown(new_value)}",
                breaks_input=True, breaks_output=True,
            )  # fmt: skip
            continue
        rule = BOUND_TIGHTENED if tightened else BOUND_LOOSENED
        yield SchemaChange(
            where, rule.id, rule.name,
            f"{keyword} changed from {_shown(old_value)} to {_shown(new_value)}",
            breaks_input=tightened, breaks_output=not tightened,
        )  # fmt: skip


def _bound_tightened(keyword: str, old: Any, new: Any) -> bool | None:
    """True if a numeric bound got stricter, False if looser, None if not a numeric bound."""
    if keyword not in LOWER_BOUNDS | UPPER_BOUNDS:
        return None
    if (old is not None and not _is_number(old)) or (new is not None and not _is_number(new)):
        return None
    if old is None:
        return True  # a bound appeared
    if new is None:
        return False  # a bound went away
    return bool(new > old) if keyword in LOWER_BOUNDS else bool(new < old)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _shown(value: Any) -> str:
    return "absent" if value is None else canonical_text(value)
