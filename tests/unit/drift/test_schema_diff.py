"""The schema differ, rule by rule: each rule fires, and breaks the side it should."""

from __future__ import annotations

from typing import Any

import pytest

from jobforge.contracts.drift.schema_diff import RULES, Role, breaking_changes, diff_schemas


def obj(properties: dict[str, Any], required: list[str] | None = None, **extra: Any) -> dict:
    schema: dict[str, Any] = {"type": "object", "properties": properties, **extra}
    if required is not None:
        schema["required"] = required
    return schema


def only(old: Any, new: Any) -> tuple[str, str, bool, bool]:
    changes = diff_schemas(old, new)
    assert len(changes) == 1, changes
    change = changes[0]
    return change.name, change.path, change.breaks_input, change.breaks_output


def test_rule_ids_and_names_are_unique_and_stable_in_shape() -> None:
    ids = [rule.id for rule in RULES]
    names = [rule.name for rule in RULES]
    assert len(set(ids)) == len(ids)
    assert len(set(names)) == len(names)
    assert all(rule_id.startswith("JF5") and len(rule_id) == 5 for rule_id in ids)


def test_identical_schemas_have_no_changes() -> None:
    schema = obj({"a": {"type": "string", "enum": ["x", "y"]}}, ["a"])
    assert diff_schemas(schema, schema) == []


def test_annotations_never_count() -> None:
    old = obj({"a": {"type": "string", "description": "old"}}, title="A")
    new = obj({"a": {"type": "string", "description": "new", "examples": ["z"]}}, title="B")
    assert diff_schemas(old, new) == []


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ({"type": ["string", "null"]}, {"type": "string"}, ("type-narrowed", True, False)),
        ({"type": "string"}, {"type": ["string", "null"]}, ("type-widened", False, True)),
        ({"type": "string"}, {"type": "integer"}, ("type-changed", True, True)),
        ({}, {"type": "string"}, ("type-narrowed", True, False)),
        ({"type": "number"}, {"type": "integer"}, ("type-narrowed", True, False)),
        ({"type": "integer"}, {"type": "number"}, ("type-widened", False, True)),
        ({"enum": ["a", "b"]}, {"enum": ["a"]}, ("enum-narrowed", True, False)),
        ({"enum": ["a"]}, {"enum": ["a", "b"]}, ("enum-widened", False, True)),
        ({"enum": ["a"]}, {"enum": ["b"]}, ("enum-changed", True, True)),
        ({}, {"const": "a"}, ("enum-narrowed", True, False)),
        ({"enum": [1]}, {}, ("enum-widened", False, True)),
        ({"maxLength": 10}, {"maxLength": 5}, ("bound-tightened", True, False)),
        ({"minimum": 3}, {"minimum": 1}, ("bound-loosened", False, True)),
        ({}, {"minItems": 1}, ("bound-tightened", True, False)),
        ({"pattern": "^a"}, {"pattern": "^b"}, ("keyword-changed", True, True)),
        (
            {"anyOf": [{"type": "string"}]},
            {"anyOf": [{"type": "string"}, {"type": "null"}]},
            ("keyword-changed", True, True),
        ),
        (True, False, ("type-narrowed", True, False)),
    ],
)
def test_keyword_rules(old: Any, new: Any, expected: tuple[str, bool, bool]) -> None:
    name, _path, breaks_input, breaks_output = only(old, new)
    assert (name, breaks_input, breaks_output) == expected


def test_enum_order_does_not_matter() -> None:
    assert diff_schemas({"enum": ["a", "b", 1]}, {"enum": [1, "b", "a"]}) == []


def test_enum_compares_json_values_not_python_equality() -> None:
    # 1 == True in Python; in JSON they are different values.
    assert only({"enum": [1]}, {"enum": [True]})[0] == "enum-changed"


def test_optional_property_added() -> None:
    name, path, breaks_input, breaks_output = only(obj({}), obj({"a": {"type": "string"}}))
    assert (name, path, breaks_input, breaks_output) == (
        "property-added", "/properties/a", False, False,
    )  # fmt: skip


def test_property_added_to_a_closed_output_breaks_readers() -> None:
    old = obj({}, additionalProperties=False)
    new = obj({"a": {}}, additionalProperties=False)
    assert only(old, new) == ("property-added", "/properties/a", False, True)


def test_required_property_added_breaks_inputs_only() -> None:
    changes = diff_schemas(obj({}), obj({"a": {"type": "string"}}, ["a"]))
    assert [c.name for c in changes] == ["property-added", "required-added"]
    assert [c.rule_id for c in breaking_changes(obj({}), obj({"a": {}}, ["a"]), Role.INPUT)] == [
        "JF509"
    ]
    assert breaking_changes(obj({}), obj({"a": {}}, ["a"]), Role.OUTPUT) == []


def test_removing_a_property_breaks_outputs_and_closed_inputs() -> None:
    assert only(obj({"a": {}}), obj({})) == ("property-removed", "/properties/a", False, True)
    closed_old = obj({"a": {}}, additionalProperties=False)
    closed_new = obj({}, additionalProperties=False)
    assert only(closed_old, closed_new) == ("property-removed", "/properties/a", True, True)


def test_required_no_longer_required_breaks_outputs() -> None:
    assert only(obj({"a": {}}, ["a"]), obj({"a": {}})) == (
        "required-removed", "/properties/a", False, True,
    )  # fmt: skip


def test_additional_properties_closing_and_opening() -> None:
    assert only(obj({}), obj({}, additionalProperties=False)) == (
        "additional-properties-closed", "/additionalProperties", True, False,
    )  # fmt: skip
    assert only(obj({}, additionalProperties=False), obj({})) == (
        "additional-properties-opened", "/additionalProperties", False, True,
    )  # fmt: skip


def test_additional_properties_schemas_are_compared() -> None:
    old = obj({}, additionalProperties={"type": ["string", "integer"]})
    new = obj({}, additionalProperties={"type": "string"})
    assert only(old, new) == ("type-narrowed", "/additionalProperties/type", True, False)


def test_nested_properties_and_items_report_their_pointer() -> None:
    old = obj({"list": {"type": "array", "items": obj({"a/b": {"type": "string"}})}})
    new = obj({"list": {"type": "array", "items": obj({"a/b": {"type": "integer"}})}})
    assert only(old, new) == (
        "type-changed", "/properties/list/items/properties/a~1b/type", True, True,
    )  # fmt: skip


def test_local_refs_are_followed_and_reported_where_used() -> None:
    old = {"$defs": {"name": {"type": "string"}}, **obj({"n": {"$ref": "#/$defs/name"}})}
    new = {"$defs": {"name": {"type": "integer"}}, **obj({"n": {"$ref": "#/$defs/name"}})}
    assert only(old, new) == ("type-changed", "/properties/n/type", True, True)


def test_ref_replaced_by_its_inline_equivalent_is_no_change() -> None:
    old = {"$defs": {"name": {"type": "string"}}, **obj({"n": {"$ref": "#/$defs/name"}})}
    new = obj({"n": {"type": "string"}})
    assert diff_schemas(old, new) == []


def test_recursive_refs_terminate() -> None:
    tree = {
        "$defs": {"node": obj({"children": {"type": "array", "items": {"$ref": "#/$defs/node"}}})},
        "$ref": "#/$defs/node",
    }
    assert diff_schemas(tree, tree) == []


def test_external_refs_are_compared_by_value() -> None:
    old = {"$ref": "https://example.com/a.json"}
    new = {"$ref": "https://example.com/b.json"}
    assert only(old, new)[:2] == ("ref-changed", "/$ref")
    assert diff_schemas(old, old) == []


def test_changes_are_sorted_and_described() -> None:
    old = obj({"b": {"type": "string"}, "a": {"type": "string"}}, ["a", "b"])
    new = obj({"c": {"type": "string"}}, ["c"])
    changes = diff_schemas(old, new)
    assert changes == sorted(changes)
    assert [c.path for c in changes][:2] == ["/properties/a", "/properties/a"]
    assert changes[0].describe().startswith("JF508 property-removed at /properties/a:")


def test_malformed_keywords_do_not_crash() -> None:
    old = {"properties": ["not", "a", "mapping"], "required": "a", "type": 3}
    new = {"properties": {}, "required": [], "type": "string"}
    assert [c.name for c in diff_schemas(old, new)] == ["type-narrowed"]
