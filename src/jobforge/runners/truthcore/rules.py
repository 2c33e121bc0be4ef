"""From the payload's ``rules`` to rule objects, refusing rules that cannot be applied.

The job type's input schema already holds every rule to its shape; what is checked here
is what a schema cannot say: a range whose minimum is above its maximum, a ``schema``
that is not a JSON Schema, two rules sharing a name.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol

import referencing
from jsonschema.exceptions import SchemaError

from jobforge.json_schema import SchemaValidator, check_schema
from jobforge.runners.truthcore.errors import InvalidRule
from jobforge.runners.truthcore.evidence import RuleOutcome
from jobforge.runners.truthcore.field_rules import CompareRule, RangeRule, RequiredIfRule, SumRule
from jobforge.runners.truthcore.record_rules import (
    ALGORITHMS,
    ChecksumRule,
    SchemaRule,
    UniqueRule,
)
from jobforge.runners.truthcore.values import exact_decimal, field_path, is_number, pointer

RULE_TYPES = ("schema", "range", "cross_field", "checksum", "unique", "required_if")
CONDITIONS = ("eq", "ne", "in", "present")


class Check(Protocol):
    def check(self, records: Sequence[Any]) -> RuleOutcome: ...


@dataclass(frozen=True, slots=True)
class Rule:
    """One rule of the payload: where it was declared, what it is called, how it checks."""

    index: int
    type: str
    name: str | None
    checker: Check

    def check(self, records: Sequence[Any]) -> RuleOutcome:
        return self.checker.check(records)


def parse_rules(specs: Sequence[Any]) -> list[Rule]:
    """The payload's rules in declared order; InvalidRule names the first that is wrong."""
    rules = []
    names: dict[str, int] = {}
    for index, spec in enumerate(specs):
        where = f"rules[{index}]"
        rule_type = spec.get("type") if isinstance(spec, dict) else None
        if not isinstance(rule_type, str) or rule_type not in _PARSERS:
            raise InvalidRule(
                f"{where}.type: expected one of {', '.join(RULE_TYPES)}, got {rule_type!r}"
            )
        try:
            checker = _PARSERS[rule_type](spec, where)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise InvalidRule(
                f"{where}: does not match the input schema of truthcore.records.verify "
                f"({type(exc).__name__}: {exc}); run the worker with the runner contracts to "
                "have payloads checked before they run"
            ) from None
        name = spec.get("name")
        if name is not None and not isinstance(name, str):
            raise InvalidRule(f"{where}.name: expected a string, got {name!r}")
        if name is not None:
            if name in names:
                raise InvalidRule(
                    f"{where}.name: {name!r} already names rules[{names[name]}]; "
                    "rule names must be unique"
                )
            names[name] = index
        rules.append(Rule(index=index, type=rule_type, name=name, checker=checker))
    return rules


def _schema(spec: Any, where: str) -> Check:
    schema = spec["schema"]
    try:
        check_schema(schema)
    except SchemaError as exc:
        raise InvalidRule(
            f"{where}.schema{pointer(list(exc.absolute_path))}: not a valid JSON Schema "
            f"(Draft 2020-12): {exc.message}"
        ) from None
    # An empty registry: references resolve inside the schema (and to the standard
    # meta-schemas), never over the network.
    return SchemaRule(SchemaValidator(schema, registry=referencing.Registry()), where)


def _range(spec: Any, where: str) -> Check:
    minimum, maximum = spec.get("min"), spec.get("max")
    if minimum is None and maximum is None:
        raise InvalidRule(f"{where}: a range needs min, max or both")
    for key, bound in (("min", minimum), ("max", maximum)):
        if bound is not None and not (is_number(bound) or isinstance(bound, str)):
            raise InvalidRule(f"{where}.{key}: expected a number or a string, got {bound!r}")
    inclusive = bool(spec.get("inclusive", True))
    if minimum is not None and maximum is not None:
        if is_number(minimum) != is_number(maximum):
            raise InvalidRule(
                f"{where}: min and max must both be numbers or both strings, "
                f"got {minimum!r} and {maximum!r}"
            )
        if minimum > maximum or (minimum == maximum and not inclusive):
            raise InvalidRule(
                f"{where}: no value lies between min {minimum!r} and max {maximum!r}"
                + ("" if inclusive else " (exclusive)")
            )
    return RangeRule(
        field=field_path(spec["field"]),
        minimum=minimum,
        maximum=maximum,
        inclusive=inclusive,
        allow_missing=bool(spec.get("allow_missing", False)),
    )


def _cross_field(spec: Any, where: str) -> Check:
    allow_missing = bool(spec.get("allow_missing", False))
    if spec["op"] == "sum_equals":
        tolerance = spec.get("tolerance", 0)
        if not is_number(tolerance) or tolerance < 0:
            raise InvalidRule(f"{where}.tolerance: expected a number >= 0, got {tolerance!r}")
        return SumRule(
            field=field_path(spec["field"]),
            fields=tuple(field_path(part) for part in spec["fields"]),
            tolerance=exact_decimal(tolerance) if tolerance else Decimal(0),
            allow_missing=allow_missing,
        )
    if spec["op"] not in ("eq", "ne", "lt", "le", "gt", "ge"):
        raise InvalidRule(f"{where}.op: unknown comparison {spec['op']!r}")
    return CompareRule(
        field=field_path(spec["field"]),
        op=spec["op"],
        other=field_path(spec["other"]),
        allow_missing=allow_missing,
    )


def _checksum(spec: Any, where: str) -> Check:
    field = field_path(spec["field"])
    over_fields = tuple(spec["over_fields"]) if "over_fields" in spec else None
    over_field = field_path(spec["over_field"]) if "over_field" in spec else None
    if (over_fields is None) == (over_field is None):
        raise InvalidRule(f"{where}: give exactly one of over_fields and over_field")
    if (over_fields and len(field) == 1 and field[0] in over_fields) or over_field == field:
        raise InvalidRule(
            f"{where}: the digest in {pointer(field)} cannot cover itself; "
            "leave it out of over_fields / over_field"
        )
    if spec["algorithm"] not in ALGORITHMS:
        raise InvalidRule(
            f"{where}.algorithm: expected one of {', '.join(ALGORITHMS)}, got {spec['algorithm']!r}"
        )
    return ChecksumRule(
        field=field,
        algorithm=spec["algorithm"],
        over_fields=over_fields,
        over_field=over_field,
        allow_missing=bool(spec.get("allow_missing", False)),
    )


def _unique(spec: Any, where: str) -> Check:
    del where
    return UniqueRule(
        field=field_path(spec["field"]), allow_missing=bool(spec.get("allow_missing", False))
    )


def _required_if(spec: Any, where: str) -> Check:
    when = spec["when"]
    op = when["op"]
    if op not in CONDITIONS:
        raise InvalidRule(f"{where}.when.op: expected one of {', '.join(CONDITIONS)}, got {op!r}")
    if op != "present" and "value" not in when:
        raise InvalidRule(f"{where}.when: op {op!r} needs a value")
    if op == "in" and not isinstance(when["value"], list):
        raise InvalidRule(f"{where}.when.value: op 'in' needs a list, got {when['value']!r}")
    return RequiredIfRule(
        field=field_path(spec["field"]),
        when_field=field_path(when["field"]),
        when_op=op,
        when_value=when.get("value"),
    )


_PARSERS: dict[str, Callable[[Any, str], Check]] = {
    "schema": _schema,
    "range": _range,
    "cross_field": _cross_field,
    "checksum": _checksum,
    "unique": _unique,
    "required_if": _required_if,
}
