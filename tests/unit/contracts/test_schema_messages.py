"""JSON Schema errors in the validator's words: every value named as JSON names it.

jsonschema words its messages with Python reprs (``None is not of type 'object'``); a
person who wrote YAML or JSON reads ``null``, ``true``, ``"x"``. Goldens checked against
their job type's schemas (JF206, JF207) and job type schemas checked against the
meta-schema (JF116) both go through ``schema_error_message``.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from jobforge.contracts.problems.schema_messages import schema_error_message

_PYTHON_REPRS = re.compile(r"\b(None|True|False)\b|'")


def _messages(schema: Any, instance: Any) -> list[str]:
    validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    return [schema_error_message(error) for error in validator.iter_errors(instance)]


@pytest.mark.parametrize(
    ("schema", "instance", "message"),
    [
        ({"type": "object"}, None, "expected an object, got null"),
        ({"type": ["string", "null"]}, 3, "expected a string or null, got the number 3"),
        ({"type": "integer"}, True, "expected an integer, got true"),
        ({"type": "array"}, {"a": 1}, "expected an array, got an object"),
        ({"type": "boolean"}, "maybe", 'expected a boolean, got the string "maybe"'),
        ({"type": "number"}, [1], "expected a number, got an array"),
        ({"required": ["a", "b's"]}, {"a": 1}, 'missing required key "b\'s"'),
        ({"enum": ["a", "b", None]}, "c", 'expected one of "a", "b" or null, got "c"'),
        ({"enum": [1]}, False, "expected 1, got false"),
        ({"const": False}, True, "expected false, got true"),
        (
            {"properties": {"a": {}}, "additionalProperties": False},
            {"a": 1, "b": 2},
            'unknown key "b"; the schema allows no other keys',
        ),
        (
            {"properties": {"a": {}}, "additionalProperties": False},
            {"a": 1, "c": 2, "b": 3},
            'unknown keys "b", "c"; the schema allows no other keys',
        ),
        (
            {"properties": {"a": {}}, "unevaluatedProperties": False},
            {"a": 1, "b": None},
            'unknown key "b"; the schema allows no other keys',
        ),
        ({"minimum": 5}, 3, "3 is less than the minimum of 5"),
        ({"maximum": 1.5}, 2, "2 is greater than the maximum of 1.5"),
        ({"exclusiveMinimum": 0}, 0, "0 is less than or equal to the minimum of 0"),
        ({"exclusiveMaximum": 0}, 0.5, "0.5 is greater than or equal to the maximum of 0"),
        ({"multipleOf": 2}, 3, "3 is not a multiple of 2"),
        ({"minLength": 2}, "a", '"a" is shorter than 2 characters'),
        ({"maxLength": 1}, "ab", '"ab" is longer than 1 character'),
        ({"minItems": 1}, [], "expected at least 1 item, got 0"),
        ({"maxItems": 1}, [None, None], "expected at most 1 item, got 2"),
        ({"minProperties": 1}, {}, "expected at least 1 key, got 0"),
        ({"maxProperties": 1}, {"a": 1, "b": 2}, "expected at most 1 key, got 2"),
        ({"uniqueItems": True}, [1, None, None], "null is listed more than once"),
        ({"pattern": "^a"}, "b", '"b" does not match the pattern "^a"'),
        ({"format": "date"}, "2024-13-45", '"2024-13-45" is not a valid date (format "date")'),
        (
            {"not": {"type": "string"}},
            "x",
            '"x" must not match the schema {"type": "string"}',
        ),
        (
            {"anyOf": [{"type": "string"}, {"type": "integer"}]},
            None,
            "null is not valid under any of the given schemas",
        ),
        (
            {"oneOf": [{}, {"type": "integer"}]},
            1,
            "1 is valid under more than one of the given schemas",
        ),
        ({"dependentRequired": {"a": ["b"]}}, {"a": True}, 'key "a" requires key "b"'),
        ({"properties": {"a": False}}, {"a": None}, "no value is allowed here, got null"),
        (
            {"contains": {"type": "string"}},
            [1, None],
            "[1, null] does not contain items matching the given schema",
        ),
    ],
)
def test_each_keyword_names_values_as_json(schema: Any, instance: Any, message: str) -> None:
    assert _messages(schema, instance) == [message]


def test_a_long_value_is_cut_to_fit_a_message() -> None:
    [message] = _messages({"type": "string"}, ["x" * 200])
    assert message == "expected a string, got an array"
    [message] = _messages({"const": "a"}, "y" * 200)
    assert message.startswith('expected "a", got "yyy')
    assert len(message) < 100


def test_a_meta_schema_error_names_json_values() -> None:
    [message] = [
        schema_error_message(error)
        for error in Draft202012Validator(Draft202012Validator.META_SCHEMA).iter_errors(
            {"type": "strin", "minLength": -1}
        )
        if error.validator != "minimum"
    ]
    assert message == '"strin" is not valid under any of the given schemas'


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=3)
    ),
    max_leaves=6,
)
_SCHEMAS = st.sampled_from(
    [
        {"type": "string"},
        {"type": ["object", "null"]},
        {"enum": [None, True, "a"]},
        {"const": None},
        {"required": ["k"]},
        {"minItems": 2},
        {"maxLength": 1},
        {"uniqueItems": True},
        {"not": {"const": None}},
        {"anyOf": [{"type": "integer"}, {"const": False}]},
        {"additionalProperties": False},
        {"minimum": 0},
    ]
)


@given(schema=_SCHEMAS, instance=_JSON)
def test_no_message_holds_a_python_repr(schema: dict[str, Any], instance: Any) -> None:
    # The strings of the value hold no quote and no None/True/False, so any is a repr.
    clean = _without_repr_tokens(instance)
    for message in _messages(schema, clean):
        assert not _PYTHON_REPRS.search(message), message


def _without_repr_tokens(value: Any) -> Any:
    if isinstance(value, str):
        return re.sub(r"None|True|False|'", "_", value)
    if isinstance(value, list):
        return [_without_repr_tokens(item) for item in value]
    if isinstance(value, dict):
        return {
            _without_repr_tokens(key): _without_repr_tokens(item) for key, item in value.items()
        }
    return value
