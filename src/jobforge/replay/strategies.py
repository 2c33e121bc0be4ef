"""Hypothesis strategies for the JSON Schema subset runner contracts use.

Covers type (one or several), enum, const, properties / required /
additionalProperties, items, min/max items and length, minimum / maximum (inclusive and
exclusive), multipleOf for integers, pattern, anyOf / oneOf, allOf (by filtering) and
local ``$ref``. Every generated value is checked against the whole schema, so a keyword
this module does not know can only make generation filter harder, never produce an
invalid example.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hypothesis import strategies as st
from jsonschema import Draft202012Validator

MAX_COLLECTION_SIZE = 5
MAX_STRING_SIZE = 20
# Characters a job payload can hold: PostgreSQL's jsonb refuses U+0000, and UTF-8 cannot
# encode lone surrogates.
STORABLE_CHARACTERS = st.characters(exclude_categories=["Cs"], exclude_characters="\x00")

JsonStrategy = st.SearchStrategy[Any]


def from_schema(schema: Mapping[str, Any]) -> JsonStrategy:
    """Values valid against ``schema`` (a Draft 2020-12 JSON Schema)."""
    validator = Draft202012Validator(schema)
    return _strategy(schema, schema).filter(validator.is_valid)


def _strategy(schema: Any, root: Mapping[str, Any]) -> JsonStrategy:  # noqa: PLR0911 - one branch per keyword family
    if schema is True or schema == {}:
        return _any_json()
    if schema is False:
        return st.nothing()
    if "$ref" in schema:
        return _strategy(_resolve(schema["$ref"], root), root)
    if "const" in schema:
        return st.just(schema["const"])
    if "enum" in schema:
        return st.sampled_from(list(schema["enum"]))
    for keyword in ("anyOf", "oneOf"):
        if keyword in schema:
            return st.one_of([_strategy({**_without(schema, keyword), **option}, root)
                              for option in schema[keyword]])  # fmt: skip
    if "allOf" in schema:
        merged = _without(schema, "allOf")
        for part in schema["allOf"]:
            merged = {**merged, **part}
        return _strategy(merged, root)
    types = schema.get("type")
    if types is None:
        types = _guess_type(schema)
    if isinstance(types, list):
        return st.one_of([_strategy({**schema, "type": one}, root) for one in types])
    return _for_type(types, schema, root)


def _for_type(kind: str | None, schema: Mapping[str, Any], root: Mapping[str, Any]) -> JsonStrategy:  # noqa: PLR0911
    if kind == "object":
        return _object(schema, root)
    if kind == "array":
        items = schema.get("items", {})
        return st.lists(
            _strategy(items, root),
            min_size=schema.get("minItems", 0),
            max_size=schema.get("maxItems", max(schema.get("minItems", 0), MAX_COLLECTION_SIZE)),
            unique_by=repr if schema.get("uniqueItems") else None,
        )
    if kind == "string":
        if "pattern" in schema:
            return st.from_regex(schema["pattern"], fullmatch=True, alphabet=STORABLE_CHARACTERS)
        min_size = schema.get("minLength", 0)
        return st.text(
            STORABLE_CHARACTERS,
            min_size=min_size,
            max_size=schema.get("maxLength", max(min_size, MAX_STRING_SIZE)),
        )
    if kind == "integer":
        return _integers(schema)
    if kind == "number":
        return st.floats(
            min_value=schema.get("minimum", schema.get("exclusiveMinimum")),
            max_value=schema.get("maximum", schema.get("exclusiveMaximum")),
            exclude_min="exclusiveMinimum" in schema,
            exclude_max="exclusiveMaximum" in schema,
            allow_nan=False,
            allow_infinity=False,
        ) | _integers(schema)
    if kind == "boolean":
        return st.booleans()
    if kind == "null":
        return st.none()
    return _any_json()


def _object(schema: Mapping[str, Any], root: Mapping[str, Any]) -> JsonStrategy:
    properties: Mapping[str, Any] = schema.get("properties", {})
    required = [name for name in schema.get("required", []) if name in properties]
    optional = [name for name in properties if name not in required]
    required_part = st.fixed_dictionaries(
        {name: _strategy(properties[name], root) for name in required},
        optional={name: _strategy(properties[name], root) for name in optional},
    )
    extra = schema.get("additionalProperties", True)
    if extra is False or not isinstance(extra, Mapping | bool):
        return required_part
    extra_values = _any_json() if extra is True else _strategy(extra, root)
    extras = st.dictionaries(
        st.text(STORABLE_CHARACTERS, max_size=8).filter(lambda key: key not in properties),
        extra_values,
        max_size=2,
    )
    return st.builds(lambda fixed, more: {**more, **fixed}, required_part, extras)


def _integers(schema: Mapping[str, Any]) -> JsonStrategy:
    low = schema.get("minimum")
    high = schema.get("maximum")
    if "exclusiveMinimum" in schema:
        low = int(schema["exclusiveMinimum"]) + 1
    if "exclusiveMaximum" in schema:
        high = int(schema["exclusiveMaximum"]) - 1
    integers = st.integers(
        min_value=None if low is None else int(low), max_value=None if high is None else int(high)
    )
    step = schema.get("multipleOf")
    if isinstance(step, int) and step > 0:
        return integers.map(lambda value: value - value % step)
    return integers


def _any_json() -> JsonStrategy:
    scalars = (
        st.none()
        | st.booleans()
        | st.integers()
        | st.text(STORABLE_CHARACTERS, max_size=MAX_STRING_SIZE)
    )
    return st.recursive(
        scalars,
        lambda inner: (
            st.lists(inner, max_size=3)
            | st.dictionaries(st.text(STORABLE_CHARACTERS, max_size=5), inner, max_size=3)
        ),
        max_leaves=8,
    )


def _guess_type(schema: Mapping[str, Any]) -> str | None:
    if "properties" in schema or "required" in schema:
        return "object"
    if "items" in schema:
        return "array"
    return None


def _without(schema: Mapping[str, Any], keyword: str) -> dict[str, Any]:
    return {key: value for key, value in schema.items() if key != keyword}


def _resolve(reference: str, root: Mapping[str, Any]) -> Any:
    if not reference.startswith("#"):
        raise ValueError(f"only local $ref is supported, got {reference!r}")
    node: Any = root
    for part in reference.lstrip("#").strip("/").split("/"):
        if part:
            node = node[part.replace("~1", "/").replace("~0", "~")]
    return node
