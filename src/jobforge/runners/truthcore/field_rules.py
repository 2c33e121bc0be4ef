"""Rules that look at one record at a time: range, cross-field comparisons, required-if.

Each rule's ``check_record`` returns the record's violations, or ``None`` when the rule
does not apply to the record (a missing field under ``allow_missing``, a required-if
whose condition does not hold). Comparisons are a closed set of operators: nothing in a
payload is ever evaluated as code.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from jobforge.runners.truthcore.evidence import RuleOutcome, Violation
from jobforge.runners.truthcore.values import (
    MISSING,
    FieldPath,
    exact_decimal,
    is_number,
    json_equal,
    lookup,
    pointer,
    shown,
)

RecordCheck = Callable[[int, Any], list[Violation] | None]

ORDERINGS: dict[str, Callable[[Any, Any], bool]] = {
    "lt": operator.lt,
    "le": operator.le,
    "gt": operator.gt,
    "ge": operator.ge,
}
SYMBOLS = {"eq": "==", "ne": "!=", "lt": "<", "le": "<=", "gt": ">", "ge": ">="}


def check_each(records: Sequence[Any], check_record: RecordCheck) -> RuleOutcome:
    """Run ``check_record`` over ``records``; count the records it applied to."""
    checked = 0
    violations: list[Violation] = []
    for index, record in enumerate(records):
        found = check_record(index, record)
        if found is None:
            continue
        checked += 1
        violations.extend(found)
    return RuleOutcome(checked, violations)


def _kind(value: Any) -> str:
    """The JSON type of ``value``, as a message names it."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if is_number(value):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def _orderable(left: Any, right: Any) -> bool:
    """Numbers order against numbers, strings (by code point) against strings."""
    return (is_number(left) and is_number(right)) or (
        isinstance(left, str) and isinstance(right, str)
    )


@dataclass(frozen=True, slots=True)
class RangeRule:
    """``minimum <= field <= maximum`` (strict when not ``inclusive``); numbers, or strings
    compared by code point (ISO 8601 dates order correctly so)."""

    field: FieldPath
    minimum: Any
    maximum: Any
    inclusive: bool
    allow_missing: bool

    def check(self, records: Sequence[Any]) -> RuleOutcome:
        return check_each(records, self.check_record)

    @property
    def bound(self) -> Any:
        """A bound the rule has: its type is the type values must have."""
        return self.minimum if self.minimum is not None else self.maximum

    def describe(self) -> str:
        kind = "a string" if isinstance(self.bound, str) else "a number"
        low, high = ("[", "]") if self.inclusive else ("(", ")")
        if self.minimum is not None and self.maximum is not None:
            return f"{kind} in {low}{shown(self.minimum)}, {shown(self.maximum)}{high}"
        if self.minimum is not None:
            return f"{kind} {'>=' if self.inclusive else '>'} {shown(self.minimum)}"
        return f"{kind} {'<=' if self.inclusive else '<'} {shown(self.maximum)}"

    def check_record(self, index: int, record: Any) -> list[Violation] | None:
        value = lookup(record, self.field)
        if value is MISSING and self.allow_missing:
            return None
        if value is MISSING or not _orderable(value, self.bound):
            return [Violation(index, pointer(self.field), self.describe(), value)]
        below = operator.lt if self.inclusive else operator.le
        above = operator.gt if self.inclusive else operator.ge
        if (self.minimum is not None and below(value, self.minimum)) or (
            self.maximum is not None and above(value, self.maximum)
        ):
            return [Violation(index, pointer(self.field), self.describe(), value)]
        return []


@dataclass(frozen=True, slots=True)
class CompareRule:
    """``field <op> other`` for op in eq, ne, lt, le, gt, ge."""

    field: FieldPath
    op: str
    other: FieldPath
    allow_missing: bool

    def check(self, records: Sequence[Any]) -> RuleOutcome:
        return check_each(records, self.check_record)

    def check_record(self, index: int, record: Any) -> list[Violation] | None:
        left, right = lookup(record, self.field), lookup(record, self.other)
        if MISSING in (left, right) and self.allow_missing:
            return None
        here, there = pointer(self.field), pointer(self.other)
        if right is MISSING:
            return [Violation(index, there, f"present, to compare with {here}")]
        expected = f"{SYMBOLS[self.op]} {shown(right)} (the value of {there})"
        if left is MISSING:
            return [Violation(index, here, expected)]
        if self.op in ("eq", "ne"):
            holds = json_equal(left, right) == (self.op == "eq")
            return [] if holds else [Violation(index, here, expected, left)]
        if not _orderable(left, right):
            message = f"a {_kind(left)} cannot be ordered against a {_kind(right)}"
            return [Violation(index, here, expected, left, message)]
        return [] if ORDERINGS[self.op](left, right) else [Violation(index, here, expected, left)]


@dataclass(frozen=True, slots=True)
class SumRule:
    """``field`` equals the sum of ``fields``, within ``tolerance``.

    Numbers are added as the decimals they are written as, so ``0.1 + 0.2`` equals
    ``0.3`` (binary floating point would make it 0.30000000000000004).
    """

    field: FieldPath
    fields: tuple[FieldPath, ...]
    tolerance: Decimal
    allow_missing: bool

    def check(self, records: Sequence[Any]) -> RuleOutcome:
        return check_each(records, self.check_record)

    def check_record(self, index: int, record: Any) -> list[Violation] | None:
        total = lookup(record, self.field)
        parts = [lookup(record, path) for path in self.fields]
        if self.allow_missing and (total is MISSING or MISSING in parts):
            return None
        summed = ", ".join(pointer(path) for path in self.fields)
        bad_parts = [
            Violation(index, pointer(path), f"a number (added up into {pointer(self.field)})", v)
            for path, v in zip(self.fields, parts, strict=True)
            if not is_number(v)
        ]
        if bad_parts:
            return bad_parts
        exact_sum = sum((exact_decimal(part) for part in parts), Decimal(0))
        within = f" ± {self.tolerance:f}" if self.tolerance else ""
        expected = f"{exact_sum:f}{within} (the sum of {summed})"
        if not is_number(total):
            return [Violation(index, pointer(self.field), expected, total)]
        if abs(exact_decimal(total) - exact_sum) > self.tolerance:
            return [Violation(index, pointer(self.field), expected, total)]
        return []


def _present(value: Any) -> bool:
    """Present and not null: what "required" means for these rules."""
    return value is not MISSING and value is not None


@dataclass(frozen=True, slots=True)
class RequiredIfRule:
    """``field`` must be present and not null in records where the condition holds.

    The condition is ``when_field`` compared with ``when_value`` by ``when_op``: eq, ne
    and in hold only when the field is present; ``present`` when it is present, not null.
    """

    field: FieldPath
    when_field: FieldPath
    when_op: str
    when_value: Any

    def check(self, records: Sequence[Any]) -> RuleOutcome:
        return check_each(records, self.check_record)

    def condition(self) -> str:
        where = pointer(self.when_field)
        if self.when_op == "present":
            return f"{where} is present"
        if self.when_op == "in":
            return f"{where} is one of {shown(self.when_value)}"
        return f"{where} {SYMBOLS[self.when_op]} {shown(self.when_value)}"

    def applies(self, record: Any) -> bool:
        value = lookup(record, self.when_field)
        if self.when_op == "present":
            return _present(value)
        if value is MISSING:
            return False
        if self.when_op == "in":
            return any(json_equal(value, option) for option in self.when_value)
        return json_equal(value, self.when_value) == (self.when_op == "eq")

    def check_record(self, index: int, record: Any) -> list[Violation] | None:
        if not self.applies(record):
            return None
        value = lookup(record, self.field)
        if _present(value):
            return []
        expected = f"present and not null when {self.condition()}"
        return [Violation(index, pointer(self.field), expected, value)]
