"""JSON Schema patterns read as ECMA-262, as editors and check-jsonschema read them."""

from __future__ import annotations

from typing import Any

import pytest
from jsonschema.exceptions import SchemaError

from jobforge.json_schema import SchemaValidator, check_schema
from jobforge.worker.job_types import JobTypeContract

ORDER = {
    "type": "object",
    "properties": {"id": {"type": "string", "pattern": "^ord-[0-9]+$"}},
    "patternProperties": {"^x-\\p{L}+$": {"type": "integer"}},
    "additionalProperties": False,
}


def messages(schema: dict[str, Any], instance: Any) -> list[str]:
    return [error.message for error in SchemaValidator(schema).iter_errors(instance)]


@pytest.mark.parametrize(
    ("instance", "expected"),
    [
        ({"id": "ord-1"}, []),
        # Python's re lets $ match before a final newline; ECMA-262 does not.
        ({"id": "ord-1\n"}, ["'ord-1\\n' does not match '^ord-[0-9]+$'"]),
        ({"x-été": 1}, []),
        ({"x-été": "a"}, ["'a' is not of type 'integer'"]),
        ({"x-1": 1}, ["'x-1' does not match any of the regexes: '^x-\\\\p{L}+$'"]),
    ],
)
def test_patterns_are_ecma_262(instance: dict[str, Any], expected: list[str]) -> None:
    assert messages(ORDER, instance) == expected


def test_digits_are_ascii_digits() -> None:
    assert messages({"pattern": "^\\d+$"}, "٣") == ["'٣' does not match '^\\\\d+$'"]
    assert messages({"pattern": "^\\d+$"}, "3") == []


def test_additional_properties_without_patterns_name_the_extras() -> None:
    schema = {"properties": {"a": {}}, "additionalProperties": False}
    assert messages(schema, {"a": 1, "c": 2, "b": 3}) == [
        "Additional properties are not allowed ('b', 'c' were unexpected)"
    ]
    assert messages({"additionalProperties": {"type": "string"}}, {"k": 1}) == [
        "1 is not of type 'string'"
    ]


@pytest.mark.parametrize("pattern", ["(?P<name>a)", "[", "a{2,1}"])
def test_a_pattern_ecma_262_refuses_is_a_schema_error(pattern: str) -> None:
    with pytest.raises(SchemaError, match="is not a 'regex'"):
        check_schema({"properties": {"a": {"pattern": pattern}}})


def test_a_pattern_only_ecma_262_accepts_is_valid() -> None:
    check_schema({"pattern": "^\\p{Lu}\\p{Ll}+$"})


def test_the_worker_enforces_the_ecma_reading() -> None:
    contract = JobTypeContract(runner_id="r", runner_version="1.0.0", input_schema=ORDER)
    assert contract.input_errors({"id": "ord-7"}) == []
    assert contract.input_errors({"id": "ord-7\n"}) == [
        "payload.id: 'ord-7\\n' does not match '^ord-[0-9]+$'"
    ]
