"""Properties of the schema differ that must hold for every schema, checked with hypothesis."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import assume, given
from hypothesis import strategies as st

from jobforge.contracts.drift.schema_diff import Role, breaking_changes, diff_schemas

NAMES = st.text(alphabet="abcdefgh/~_", min_size=1, max_size=4)
TYPES = st.sampled_from(["string", "integer", "number", "boolean", "null", "array", "object"])
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-3, 3), st.text("xyz", max_size=2))


def _leaf() -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {},
        optional={
            "type": st.one_of(TYPES, st.lists(TYPES, min_size=1, max_size=3, unique=True)),
            "enum": st.lists(SCALARS, min_size=1, max_size=4, unique_by=json.dumps),
            "minLength": st.integers(0, 5),
            "description": st.text(max_size=5),
        },
    )


def _extend(children: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    objects = st.dictionaries(NAMES, children, max_size=4).flatmap(
        lambda properties: st.fixed_dictionaries(
            {"type": st.just("object"), "properties": st.just(properties)},
            optional={
                "required": st.lists(
                    st.sampled_from(sorted(properties)) if properties else st.nothing(),
                    unique=True,
                ),
                "additionalProperties": st.one_of(st.booleans(), children),
            },
        )
    )
    arrays = st.fixed_dictionaries({"type": st.just("array"), "items": children})
    return st.one_of(objects, arrays)


SCHEMAS = st.recursive(_leaf(), _extend, max_leaves=12)
OBJECT_SCHEMAS = _extend(SCHEMAS).filter(lambda s: s["type"] == "object")


def _reordered(value: Any) -> Any:
    """The same JSON value with every object's keys in reverse order."""
    if isinstance(value, dict):
        return {key: _reordered(value[key]) for key in reversed(list(value))}
    if isinstance(value, list):
        return [_reordered(item) for item in value]
    return value


@given(SCHEMAS)
def test_a_schema_never_changes_against_itself(schema: dict[str, Any]) -> None:
    assert diff_schemas(schema, schema) == []
    assert diff_schemas(schema, _reordered(schema)) == []


@given(SCHEMAS, SCHEMAS)
def test_key_order_never_changes_the_result(old: dict[str, Any], new: dict[str, Any]) -> None:
    assert diff_schemas(old, new) == diff_schemas(_reordered(old), _reordered(new))


@given(OBJECT_SCHEMAS, NAMES, SCHEMAS)
def test_adding_an_optional_property_never_breaks_an_input(
    schema: dict[str, Any], name: str, property_schema: dict[str, Any]
) -> None:
    assume(name not in schema["properties"] and name not in schema.get("required", []))
    widened = {**schema, "properties": {**schema["properties"], name: property_schema}}
    assert breaking_changes(schema, widened, Role.INPUT) == []
    assert [c.name for c in diff_schemas(schema, widened)] == ["property-added"]


@given(OBJECT_SCHEMAS, NAMES, SCHEMAS)
def test_removing_a_required_output_property_always_breaks(
    base: dict[str, Any], name: str, property_schema: dict[str, Any]
) -> None:
    schema = {
        **base,
        "properties": {**base["properties"], name: property_schema},
        "required": sorted({*base.get("required", []), name}),
    }
    reduced = {
        **schema,
        "properties": {k: v for k, v in schema["properties"].items() if k != name},
        "required": [r for r in schema["required"] if r != name],
    }
    broken = breaking_changes(schema, reduced, Role.OUTPUT)
    assert {c.name for c in broken} >= {"property-removed", "required-removed"}


@given(SCHEMAS, SCHEMAS)
def test_swapping_old_and_new_swaps_who_breaks_for_type_and_enum(
    old: dict[str, Any], new: dict[str, Any]
) -> None:
    """A narrowing one way is a widening the other way: input and output trade places."""
    forward = {(c.path, c.breaks_input, c.breaks_output) for c in diff_schemas(old, new)}
    backward = {(c.path, c.breaks_output, c.breaks_input) for c in diff_schemas(new, old)}
    keyword_paths = ("/type", "/enum")
    assert {f for f in forward if f[0].endswith(keyword_paths)} == {
        b for b in backward if b[0].endswith(keyword_paths)
    }
