"""Each TruthCore rule on records chosen to sit on either side of what it checks."""

from __future__ import annotations

import hashlib
import zlib
from typing import Any

import pytest

from jobforge.runners.truthcore.errors import InvalidRule
from jobforge.runners.truthcore.evidence import RuleOutcome
from jobforge.runners.truthcore.rules import parse_rules
from jobforge.runners.truthcore.values import MISSING


def check(rule: dict[str, Any], records: list[Any]) -> RuleOutcome:
    (parsed,) = parse_rules([rule])
    return parsed.check(records)


def failing(rule: dict[str, Any], records: list[Any]) -> list[int]:
    """The positions of the records the rule finds a violation in."""
    return sorted({violation.record for violation in check(rule, records).violations})


# ---------------------------------------------------------------- range


@pytest.mark.parametrize(
    ("inclusive", "value", "fails"),
    [
        (True, 0, False),
        (True, 100, False),
        (True, 100.0, False),
        (True, 100.00000000000001, True),
        (True, -5e-324, True),
        (True, -0.0, False),
        (False, 0, True),
        (False, 5e-324, False),
        (False, 99.99999999999999, False),
        (False, 100, True),
    ],
)
def test_range_bounds(inclusive: bool, value: float, fails: bool) -> None:
    rule = {"type": "range", "field": "x", "min": 0, "max": 100, "inclusive": inclusive}
    assert failing(rule, [{"x": value}]) == ([0] if fails else [])


def test_range_compares_huge_integers_exactly() -> None:
    rule = {"type": "range", "field": "x", "max": 2**63}
    assert failing(rule, [{"x": 2**63}, {"x": 2**63 + 1}, {"x": float(2**63)}]) == [1]


def test_range_refuses_what_is_not_a_number() -> None:
    rule = {"type": "range", "field": "x", "min": 0}
    records = [{"x": True}, {"x": "5"}, {"x": None}, {}, {"x": 5}]
    outcome = check(rule, records)
    assert [(v.record, v.actual) for v in outcome.violations] == [
        (0, True),
        (1, "5"),
        (2, None),
        (3, MISSING),
    ]
    assert outcome.violations[0].expected == "a number >= 0"


def test_range_over_strings_orders_by_code_point() -> None:
    rule = {"type": "range", "field": "on", "min": "2024-01-01", "max": "2024-12-31"}
    records = [{"on": "2024-06-30"}, {"on": "2025-01-01"}, {"on": 20240630}]
    assert failing(rule, records) == [1, 2]


def test_range_may_skip_records_without_the_field() -> None:
    rule = {"type": "range", "field": "x", "max": 1, "allow_missing": True}
    outcome = check(rule, [{}, {"x": 2}, {"x": None}])
    assert (outcome.checked, [v.record for v in outcome.violations]) == (2, [1, 2])


def test_range_reads_nested_paths() -> None:
    rule = {"type": "range", "field": ["lines", 1, "qty"], "min": 1}
    records = [{"lines": [{"qty": 0}, {"qty": 1}]}, {"lines": [{"qty": 5}, {"qty": 0}]}]
    outcome = check(rule, records)
    assert [(v.record, v.field) for v in outcome.violations] == [(1, "/lines/1/qty")]


# ---------------------------------------------------------------- cross_field


@pytest.mark.parametrize(
    ("op", "left", "right", "holds"),
    [
        ("eq", 1, 1.0, True),
        ("eq", True, 1, False),
        ("eq", {"a": [1]}, {"a": [1.0]}, True),
        ("ne", "a", "a", False),
        ("ne", None, False, True),
        ("lt", 1, 2, True),
        ("lt", 2, 2, False),
        ("le", 2, 2.0, True),
        ("gt", "b", "a", True),
        ("ge", "a", "b", False),
        ("lt", 1, "2", False),
        ("lt", True, 2, False),
        ("gt", [2], [1], False),
    ],
)
def test_compare(op: str, left: Any, right: Any, holds: bool) -> None:
    rule = {"type": "cross_field", "op": op, "field": "a", "other": "b"}
    assert failing(rule, [{"a": left, "b": right}]) == ([] if holds else [0])


def test_compare_says_when_values_cannot_be_ordered() -> None:
    rule = {"type": "cross_field", "op": "lt", "field": "a", "other": "b"}
    (violation,) = check(rule, [{"a": "1", "b": 2}]).violations
    assert violation.message == "a string cannot be ordered against a number"
    assert violation.expected == "< 2 (the value of /b)"


def test_compare_names_the_missing_side() -> None:
    rule = {"type": "cross_field", "op": "eq", "field": "a", "other": "b"}
    outcome = check(rule, [{"a": 1}, {"b": 1}])
    assert [(v.record, v.field) for v in outcome.violations] == [(0, "/b"), (1, "/a")]
    skipping = {**rule, "allow_missing": True}
    assert check(skipping, [{"a": 1}, {"b": 1}, {"a": 1, "b": 1}]).checked == 1


@pytest.mark.parametrize(
    ("parts", "total", "tolerance", "holds"),
    [
        ([0.1, 0.2], 0.3, 0, True),
        ([0.1, 0.2], 0.30000000000000004, 0, False),
        ([100, 20.5], 120.5, 0, True),
        ([1, 2], 3.0, 0, True),
        ([1, 2], 3.01, 0.01, True),
        ([1, 2], 3.02, 0.01, False),
        ([1e-7, 1e-7], 2e-7, 0, True),
    ],
)
def test_sum_equals(parts: list[float], total: float, tolerance: float, holds: bool) -> None:
    names = [f"p{i}" for i in range(len(parts))]
    rule = {"type": "cross_field", "op": "sum_equals", "field": "t", "fields": names}
    if tolerance:
        rule["tolerance"] = tolerance
    record = {"t": total, **dict(zip(names, parts, strict=True))}
    assert failing(rule, [record]) == ([] if holds else [0])


def test_sum_equals_evidence_names_the_sum_and_bad_parts() -> None:
    rule = {"type": "cross_field", "op": "sum_equals", "field": "t", "fields": ["a", "b"]}
    (wrong,) = check(rule, [{"t": 4, "a": 1, "b": 2}]).violations
    assert (wrong.field, wrong.expected, wrong.actual) == ("/t", "3 (the sum of /a, /b)", 4)
    (not_a_number,) = check(rule, [{"t": 4, "a": 1, "b": "2"}]).violations
    assert (not_a_number.field, not_a_number.actual) == ("/b", "2")


# ---------------------------------------------------------------- checksum


def canonical(value: Any) -> bytes:
    return json_text(value).encode("utf-8")


def json_text(value: Any) -> str:
    import json  # noqa: PLC0415 - the reference the rule must agree with

    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def test_checksum_over_fields_is_the_canonical_json_of_those_fields() -> None:
    record = {"id": "é-1", "amount": 12.5, "note": "ignored"}
    good = hashlib.sha256(canonical({"amount": 12.5, "id": "é-1"})).hexdigest()
    rule = {
        "type": "checksum",
        "field": "d",
        "algorithm": "sha256",
        "over_fields": ["id", "amount"],
    }
    assert failing(rule, [{**record, "d": good}, {**record, "d": good.upper()}]) == []
    (violation,) = check(rule, [{**record, "d": "00"}]).violations
    assert violation.expected == f"sha256 {good}"


def test_checksum_over_a_string_field_hashes_its_utf8_bytes() -> None:
    rule = {"type": "checksum", "field": "d", "algorithm": "md5", "over_field": "body"}
    good = hashlib.md5("Grüße".encode(), usedforsecurity=False).hexdigest()
    assert failing(rule, [{"body": "Grüße", "d": good}]) == []
    over_object = {**rule, "over_field": "obj"}
    digest = hashlib.md5(canonical({"b": 1, "a": [True]}), usedforsecurity=False).hexdigest()
    assert failing(over_object, [{"obj": {"b": 1, "a": [True]}, "d": digest}]) == []


def test_crc32_digests_may_be_stored_as_integers() -> None:
    value = zlib.crc32(b"abc")
    rule = {"type": "checksum", "field": "d", "algorithm": "crc32", "over_field": "s"}
    records = [
        {"s": "abc", "d": value},
        {"s": "abc", "d": f"{value:08X}"},
        {"s": "abc", "d": value + 1},
        {"s": "abc", "d": True},
        {"s": "abc", "d": -value},
    ]
    assert failing(rule, records) == [2, 3, 4]


def test_checksum_reports_a_hashed_field_that_is_missing() -> None:
    rule = {"type": "checksum", "field": "d", "algorithm": "sha256", "over_fields": ["a", "b"]}
    (violation,) = check(rule, [{"a": 1, "d": "x"}]).violations
    assert (violation.field, violation.expected) == ("/b", "present (hashed into /d)")
    skipping = {**rule, "allow_missing": True}
    assert check(skipping, [{"a": 1, "b": 2}]).checked == 0


# ---------------------------------------------------------------- unique


def test_unique_treats_equal_numbers_as_one_value_and_booleans_apart() -> None:
    rule = {"type": "unique", "field": "k"}
    records = [{"k": 1}, {"k": 1.0}, {"k": True}, {"k": "1"}, {"k": [1]}, {"k": [1.0]}]
    outcome = check(rule, records)
    assert [(v.record, v.expected) for v in outcome.violations] == [
        (1, "a unique value (record 0 has it too)"),
        (5, "a unique value (record 4 has it too)"),
    ]


def test_unique_counts_missing_values_unless_allowed() -> None:
    records = [{"k": None}, {}, {"k": None}, {}]
    outcome = check({"type": "unique", "field": "k"}, records)
    assert [v.record for v in outcome.violations] == [1, 2, 3]
    allowed = check({"type": "unique", "field": "k", "allow_missing": True}, records)
    assert (allowed.checked, [v.record for v in allowed.violations]) == (2, [2])


# ---------------------------------------------------------------- required_if


@pytest.mark.parametrize(
    ("when", "records", "failing_records", "checked"),
    [
        ({"op": "eq", "value": "refunded"}, [{"s": "refunded"}, {"s": "paid"}, {}], [0], 1),
        ({"op": "ne", "value": "paid"}, [{"s": "refunded"}, {"s": "paid"}, {}], [0], 1),
        ({"op": "in", "value": ["a", 1]}, [{"s": 1.0}, {"s": True}, {"s": "a"}], [0, 2], 2),
        ({"op": "present"}, [{"s": 0}, {"s": None}, {}], [0], 1),
    ],
)
def test_required_if(
    when: dict[str, Any], records: list[Any], failing_records: list[int], checked: int
) -> None:
    rule = {"type": "required_if", "field": "r", "when": {"field": "s", **when}}
    outcome = check(rule, records)
    assert [v.record for v in outcome.violations] == failing_records
    assert outcome.checked == checked


def test_required_if_counts_null_as_absent() -> None:
    rule = {"type": "required_if", "field": "r", "when": {"field": "s", "op": "present"}}
    outcome = check(rule, [{"s": 1, "r": None}, {"s": 1, "r": 0}, {"s": 1, "r": False}])
    (violation,) = outcome.violations
    assert (violation.record, violation.actual) == (0, None)
    assert violation.expected == "present and not null when /s is present"


# ---------------------------------------------------------------- schema


def test_schema_evidence_points_at_each_failing_field() -> None:
    schema = {
        "type": "object",
        "required": ["id", "total"],
        "properties": {"id": {"type": "string"}, "lines": {"items": {"minimum": 0}}},
    }
    outcome = check({"type": "schema", "schema": schema}, [{"id": 7, "lines": [1, -1]}])
    found = sorted((v.field, v.expected, v.actual) for v in outcome.violations)
    assert found == [
        ("/id", 'type: "string"', 7),
        ("/lines/1", "minimum: 0", -1),
        ("/total", "present (required)", MISSING),
    ]
    assert outcome.records_failed == 1


def test_the_false_schema_refuses_every_record() -> None:
    outcome = check({"type": "schema", "schema": False}, [{}, {"a": 1}])
    assert [(v.field, v.expected) for v in outcome.violations] == [
        ("", "no value (the schema is false)"),
        ("", "no value (the schema is false)"),
    ]


def test_schema_format_is_an_annotation() -> None:
    schema = {"properties": {"at": {"format": "date-time"}}}
    assert failing({"type": "schema", "schema": schema}, [{"at": "not a date"}]) == []


def test_schema_references_resolve_inside_the_schema_and_never_outside() -> None:
    local = {"$defs": {"n": {"type": "integer"}}, "properties": {"n": {"$ref": "#/$defs/n"}}}
    assert failing({"type": "schema", "schema": local}, [{"n": 1}, {"n": "1"}]) == [1]
    meta = {"$ref": "https://json-schema.org/draft/2020-12/schema"}
    assert failing({"type": "schema", "schema": meta}, [{"type": "object"}, {"type": 3}]) == [1]
    remote = {"type": "schema", "schema": {"$ref": "https://schemas.example.com/order.json"}}
    with pytest.raises(InvalidRule, match=r"rules\[0\]\.schema: a \$ref cannot be resolved"):
        check(remote, [{}])


# ---------------------------------------------------------------- refused rules


@pytest.mark.parametrize(
    ("rules", "message"),
    [
        ([{"type": "range", "field": "x", "min": 2, "max": 1}], r"rules\[0\]: no value lies"),
        (
            [{"type": "range", "field": "x", "min": 1, "max": 1, "inclusive": False}],
            r"between min 1 and max 1 \(exclusive\)",
        ),
        (
            [{"type": "range", "field": "x", "min": 1, "max": "9"}],
            "must both be numbers or both strings",
        ),
        ([{"type": "range", "field": "x"}], "a range needs min, max or both"),
        ([{"type": "schema", "schema": {"type": "nope"}}], r"rules\[0\]\.schema/type: not a valid"),
        ([{"type": "magic"}], r"rules\[0\]\.type: expected one of schema, range"),
        (
            [
                {"type": "unique", "field": "a", "name": "n"},
                {"type": "unique", "field": "b", "name": "n"},
            ],
            r"rules\[1\]\.name: 'n' already names rules\[0\]",
        ),
        (
            [{"type": "checksum", "field": "d", "algorithm": "sha256", "over_fields": ["a", "d"]}],
            "cannot cover itself",
        ),
        (
            [{"type": "checksum", "field": "d", "algorithm": "sha256"}],
            "exactly one of over_fields and over_field",
        ),
        (
            [{"type": "required_if", "field": "a", "when": {"field": "b", "op": "in", "value": 1}}],
            r"rules\[0\]\.when\.value: op 'in' needs a list",
        ),
        ([{"type": "cross_field", "op": "sum_equals", "field": "t"}], "does not match the input"),
    ],
)
def test_rules_that_cannot_be_applied_are_refused(rules: list[Any], message: str) -> None:
    with pytest.raises(InvalidRule, match=message):
        parse_rules(rules)
