"""Rules over whole records or the whole set: JSON Schema, checksums, uniqueness."""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError
from referencing.exceptions import Unresolvable

from jobforge.runners.truthcore.errors import InvalidRule
from jobforge.runners.truthcore.evidence import RuleOutcome, Violation
from jobforge.runners.truthcore.field_rules import check_each
from jobforge.runners.truthcore.values import (
    MISSING,
    FieldPath,
    canonical_bytes,
    cut,
    identity,
    lookup,
    pointer,
    shown,
)

ALGORITHMS = ("sha256", "md5", "crc32")
CRC32_LIMIT = 2**32


@dataclass(frozen=True, slots=True)
class SchemaRule:
    """Each record must be valid against a JSON Schema (Draft 2020-12).

    ``format`` is an annotation, as the draft specifies by default: whether a format is
    checked would depend on which optional packages are installed, and a verdict must not.
    """

    validator: Draft202012Validator
    where: str

    def check(self, records: Sequence[Any]) -> RuleOutcome:
        return check_each(records, self.check_record)

    def check_record(self, index: int, record: Any) -> list[Violation]:
        try:
            errors = list(self.validator.iter_errors(record))
        except Unresolvable as exc:
            raise InvalidRule(
                f"{self.where}.schema: a $ref cannot be resolved ({exc}); references must "
                "point inside the schema or to a standard meta-schema: nothing is fetched"
            ) from None
        return [_schema_violation(index, error) for error in errors]


def _schema_violation(index: int, error: ValidationError) -> Violation:
    path = list(error.absolute_path)
    message = cut(error.message)
    if error.validator == "required":
        missing = _missing_property(error)
        if missing is not None:
            return Violation(
                index, pointer([*path, missing]), "present (required)", MISSING, message
            )
    if error.validator is None:  # the schema `false`, or a `false` subschema
        return Violation(index, pointer(path), "no value (the schema is false)", error.instance)
    expected = f"{error.validator}: {shown(error.validator_value)}"
    return Violation(index, pointer(path), expected, error.instance, message)


def _missing_property(error: ValidationError) -> str | None:
    """The property a ``required`` error is about (jsonschema names it only in the text)."""
    names = error.validator_value if isinstance(error.validator_value, list) else []
    for name in names:
        if isinstance(name, str) and error.message == f"{name!r} is a required property":
            return name
    return None


def digest(algorithm: str, data: bytes) -> str:
    """The lower-case hex digest of ``data`` (eight hex digits for crc32)."""
    if algorithm == "crc32":
        return f"{zlib.crc32(data):08x}"
    return hashlib.new(algorithm, data, usedforsecurity=False).hexdigest()


def _stored_digest(algorithm: str, value: Any) -> str | None:
    """A stored digest in the form ``digest`` returns: hex in any case, or a crc32 given as
    the unsigned integer ``zlib.crc32`` returns. None when it is neither."""
    if isinstance(value, str):
        return value.lower()
    if (
        algorithm == "crc32"
        and isinstance(value, int)
        and not isinstance(value, bool)
        and 0 <= value < CRC32_LIMIT
    ):
        return f"{value:08x}"
    return None


@dataclass(frozen=True, slots=True)
class ChecksumRule:
    """``field`` holds the digest of the record's data.

    The data is the canonical JSON of the object of ``over_fields`` (top-level names), or
    the value at ``over_field``: its UTF-8 bytes if it is a string, its canonical JSON
    otherwise.
    """

    field: FieldPath
    algorithm: str
    over_fields: tuple[str, ...] | None
    over_field: FieldPath | None
    allow_missing: bool

    def check(self, records: Sequence[Any]) -> RuleOutcome:
        return check_each(records, self.check_record)

    def data(self, index: int, record: Any) -> bytes | Violation:
        """The bytes the digest covers, or the violation of a hashed field that is absent."""
        hashed_by = f"present (hashed into {pointer(self.field)})"
        if self.over_field is not None:
            value = lookup(record, self.over_field)
            if value is MISSING:
                return Violation(index, pointer(self.over_field), hashed_by)
            return value.encode("utf-8") if isinstance(value, str) else canonical_bytes(value)
        assert self.over_fields is not None
        covered = {}
        for name in self.over_fields:
            value = lookup(record, (name,))
            if value is MISSING:
                return Violation(index, pointer([name]), hashed_by)
            covered[name] = value
        return canonical_bytes(covered)

    def check_record(self, index: int, record: Any) -> list[Violation] | None:
        stored = lookup(record, self.field)
        if stored is MISSING and self.allow_missing:
            return None
        data = self.data(index, record)
        if isinstance(data, Violation):
            return [data]
        computed = digest(self.algorithm, data)
        if _stored_digest(self.algorithm, stored) == computed:
            return []
        expected = f"{self.algorithm} {computed}"
        return [Violation(index, pointer(self.field), expected, stored)]


@dataclass(frozen=True, slots=True)
class UniqueRule:
    """No two records share a value at ``field`` (``1`` and ``1.0`` are the same value).

    Every record after the first holding a value is a violation, so the count of
    violations does not depend on the records' order.
    """

    field: FieldPath
    allow_missing: bool

    def check(self, records: Sequence[Any]) -> RuleOutcome:
        first_seen: dict[str, int] = {}
        checked = 0
        violations = []
        where = pointer(self.field)
        for index, record in enumerate(records):
            value = lookup(record, self.field)
            if value is MISSING:
                if not self.allow_missing:
                    checked += 1
                    violations.append(Violation(index, where, "present (a unique value)"))
                continue
            checked += 1
            key = identity(value)
            if key in first_seen:
                expected = f"a unique value (record {first_seen[key]} has it too)"
                violations.append(Violation(index, where, expected, value))
            else:
                first_seen[key] = index
        return RuleOutcome(checked, violations)
