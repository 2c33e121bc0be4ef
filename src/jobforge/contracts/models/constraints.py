"""Rules between a model's fields, checked whatever else in the file is wrong.

A pydantic ``model_validator(mode="after")`` runs only once every field is valid, so a
connector with a bad date and a repeated job type showed the date alone, and the repeat
on the next run. The rules here run in a wrap validator instead, over the data as
written: a rule reads the fields it needs and runs when those are present and valid,
whatever the other fields hold. Its violations join the field errors, each at the value
it is about (a repeated entry at the repeat: ``supported_job_types[2]``), so one run
reports everything.

Reading the data as written is safe because the models are strict: a value that passed
its field's validation is the value the model holds (an enum member equals its string).
"""

from __future__ import annotations

import typing
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Final

from pydantic import ValidationError
from pydantic_core import InitErrorDetails, PydanticCustomError, core_schema

FieldPath = tuple[str | int, ...]
DUPLICATE_ENTRY: Final = "duplicate_entry"
"""The error type of a repeated entry; its context says where the first one is."""
_KNOWN_ERROR_TYPES: Final = frozenset(typing.get_args(core_schema.ErrorType))
_ABSENT: Final = object()


def reach(data: Any, path: Sequence[str | int]) -> Any:
    """The value at ``path`` in plain data, or ``ABSENT`` when there is none."""
    current = data
    for part in path:
        if isinstance(part, str) and isinstance(current, dict):
            if part not in current:
                return _ABSENT
            current = current[part]
        elif isinstance(part, int) and isinstance(current, list) and not isinstance(part, bool):
            if not 0 <= part < len(current):
                return _ABSENT
            current = current[part]
        else:
            return _ABSENT
    return current


def is_absent(value: Any) -> bool:
    return value is _ABSENT


def at_or_below(error: Sequence[str | int], path: Sequence[str | int]) -> bool:
    """Whether an error at ``error`` is about the value at ``path`` or a part of it."""
    return tuple(error[: len(path)]) == tuple(path)


@dataclass(frozen=True, slots=True)
class Violation:
    """A rule broken: where (relative to the model) and why."""

    loc: FieldPath
    message: str
    first: FieldPath | None = None
    """For a repeated entry: the path of the entry it repeats."""


class Fields:
    """The data a model is validated from, and which of its values failed their fields."""

    def __init__(self, data: dict[str, Any], errors: Iterable[Sequence[str | int]]) -> None:
        self._data = data
        self._errors = [tuple(loc) for loc in errors]

    def has(self, *path: str | int) -> bool:
        """The value at ``path`` is present and passed its field's validation."""
        if any(at_or_below(error, path) for error in self._errors):
            return False
        return not is_absent(reach(self._data, path))

    def value(self, *path: str | int) -> Any:
        """The value at ``path`` as written (check ``has`` first)."""
        return reach(self._data, path)

    def all(self, *names: str) -> bool:
        return all(self.has(name) for name in names)


Rule = Callable[[Fields], Iterator[Violation]]


def unique_entries(list_name: str, *item_path: str) -> Rule:
    """A rule: no two valid entries of ``list_name`` (or their ``item_path``) are equal."""

    def rule(fields: Fields) -> Iterator[Violation]:
        entries = fields.value(list_name)
        if not isinstance(entries, list):
            return
        first_at: dict[str, int] = {}
        for index in range(len(entries)):
            path: FieldPath = (list_name, index, *item_path)
            if not fields.has(*path):
                continue
            value = fields.value(*path)
            if not isinstance(value, str):
                continue
            if value in first_at:
                first: FieldPath = (list_name, first_at[value], *item_path)
                yield Violation(path, "an entry is listed more than once", first=first)
            else:
                first_at[value] = index

    return rule


def validate_with_rules(
    title: str, data: Any, handler: Callable[[Any], Any], rules: Sequence[Rule]
) -> Any:
    """``handler(data)``, with the violations of ``rules`` added to its errors."""
    if not rules or not isinstance(data, dict):
        return handler(data)
    failure: ValidationError | None = None
    try:
        model = handler(data)
    except ValidationError as exc:
        failure = exc
    errors = failure.errors() if failure is not None else []
    fields = Fields(data, [error["loc"] for error in errors])
    violations = [violation for rule in rules for violation in rule(fields)]
    if not violations:
        if failure is not None:
            raise failure
        return model
    details = [_detail(error) for error in errors]
    details += [_violation_detail(violation, fields) for violation in violations]
    raise ValidationError.from_exception_data(title, details) from None


def _violation_detail(violation: Violation, fields: Fields) -> InitErrorDetails:
    value = fields.value(*violation.loc)
    if violation.first is not None:
        # How deep the index sits in the path: the model's errors are relocated by every
        # enclosing model, so the repeated entry is named from the end of the path.
        depth = len(violation.loc) - 1 - _index_position(violation)
        return {
            "type": PydanticCustomError(
                DUPLICATE_ENTRY,
                violation.message,
                {"first": violation.first[_index_position(violation)], "depth": depth},
            ),
            "loc": violation.loc,
            "input": value,
        }
    return {
        "type": "value_error",
        "loc": violation.loc,
        "input": fields.value() if is_absent(value) else value,
        "ctx": {"error": ValueError(violation.message)},
    }


def _index_position(violation: Violation) -> int:
    assert violation.first is not None
    for position, (here, there) in enumerate(zip(violation.loc, violation.first, strict=True)):
        if here != there:
            return position
    raise AssertionError("a repeated entry differs from the first one in its index")


def _detail(error: Any) -> InitErrorDetails:
    """A pydantic error as details to raise again, with the errors of the rules."""
    context = error.get("ctx")
    if error["type"] in _KNOWN_ERROR_TYPES:
        detail: InitErrorDetails = {
            "type": error["type"],
            "loc": error["loc"],
            "input": error["input"],
        }
        if context is not None:
            detail["ctx"] = context
        return detail
    # A custom error type (a rule's, an enclosing model's): its message is already
    # rendered, and carries no placeholder to fill again.
    return {
        "type": PydanticCustomError(error["type"], error["msg"], context),
        "loc": error["loc"],
        "input": error["input"],
    }
