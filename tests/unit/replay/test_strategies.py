"""The schema strategies generate only valid values, for every keyword family they know."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from jsonschema import Draft202012Validator

from jobforge.replay.strategies import from_schema

SCHEMAS: list[dict[str, Any]] = [
    {"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]},
    {
        "type": "object",
        "properties": {
            "assets": {"type": "array", "items": {"type": "string", "pattern": "^h-[a-z]{1,3}$"}},
            "zone": {"enum": ["eu", "us"]},
            "n": {"type": "integer", "minimum": 1, "exclusiveMaximum": 10, "multipleOf": 3},
            "ratio": {"type": "number", "minimum": 0, "maximum": 1},
        },
        "required": ["assets", "zone"],
        "additionalProperties": False,
    },
    {"type": ["string", "null"], "minLength": 2, "maxLength": 4},
    {"anyOf": [{"type": "integer"}, {"type": "boolean"}]},
    {
        "$defs": {"id": {"type": "string", "const": "x"}},
        "type": "array",
        "items": {"$ref": "#/$defs/id"},
        "minItems": 1,
    },
    {"allOf": [{"type": "object", "properties": {"a": {"type": "integer"}}}, {"required": ["a"]}]},
    {"type": "array", "items": {"type": "integer"}, "uniqueItems": True, "maxItems": 4},
]


@pytest.mark.parametrize("schema", SCHEMAS, ids=range(len(SCHEMAS)))
def test_generated_values_validate(schema: dict[str, Any]) -> None:
    validator = Draft202012Validator(schema)

    @settings(max_examples=40, deadline=None, database=None)
    @given(from_schema(schema))
    def check(value: Any) -> None:
        assert validator.is_valid(value), value

    check()


def test_required_properties_always_appear() -> None:
    seen: list[dict[str, Any]] = []

    @settings(max_examples=30, deadline=None, database=None)
    @given(from_schema(SCHEMAS[1]))
    def collect(value: dict[str, Any]) -> None:
        seen.append(value)

    collect()
    assert all({"assets", "zone"} <= set(value) for value in seen)
    assert any("n" in value for value in seen)  # optional properties do get generated


def test_unsupported_references_are_refused() -> None:
    with pytest.raises(ValueError, match="only local"):
        from_schema({"$ref": "https://example.com/schema.json"})
