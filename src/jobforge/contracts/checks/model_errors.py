"""Turning pydantic validation errors into problems located in the file.

Each pydantic error carries a ``loc`` (the path of keys and indexes to the offending
value); the loaded file knows where each path sits, so every error gets a line and column.
"""

from __future__ import annotations

import difflib
import types
import typing
from typing import Any

from pydantic import BaseModel, ValidationError

from jobforge.contracts.loading.loader import LoadedFile, describe_value, show_value
from jobforge.contracts.models.contract_files import JSON_SCHEMA_MESSAGE_START
from jobforge.contracts.models.dates import ISO_DATE_PATTERN, RFC3339_PATTERN
from jobforge.contracts.models.identifiers import DOTTED_ID_PATTERN
from jobforge.contracts.models.semver import SEMVER_MESSAGE_START
from jobforge.contracts.problems import rules
from jobforge.contracts.problems.problem import FieldPath, Problem

_PATTERN_NAMES = {
    DOTTED_ID_PATTERN: "a dotted lower-case name such as 'billing.invoice.send'",
    RFC3339_PATTERN: "an RFC 3339 timestamp such as '2000-01-01T00:00:00Z'",
    ISO_DATE_PATTERN: "a date such as '2027-01-31'",
}
_TYPE_NAMES = {
    "bool_type": "a boolean",
    "int_type": "an integer",
    "int_from_float": "an integer",
    "float_type": "a number",
    "string_type": "a string",
    "dict_type": "an object",
    "model_type": "an object",
    "model_attributes_type": "an object",
    "list_type": "an array",
}


def validation_problems(
    error: ValidationError, model: type[BaseModel], loaded: LoadedFile
) -> list[Problem]:
    """One problem per pydantic error, each at the key or value it is about."""
    return [_problem(detail, model, loaded) for detail in error.errors(include_url=False)]


def _problem(detail: Any, model: type[BaseModel], loaded: LoadedFile) -> Problem:
    loc: tuple[str | int, ...] = tuple(detail["loc"])
    kind: str = detail["type"]
    if kind == "extra_forbidden":
        key = str(loc[-1])
        return loaded.key_problem(loc, rules.UNKNOWN_KEY, _unknown_key_message(key, model, loc))
    if kind == "missing":
        # Located at the object that lacks the key; the field names the key itself.
        return Problem(
            loaded.path,
            loaded.positions.value(loc[:-1]),
            loc,
            rules.MISSING_KEY,
            f"missing required key {str(loc[-1])!r}",
        )
    if loc and loc[-1] == "[key]":
        path = loc[:-1]
        message = _describe(detail)
        return loaded.key_problem(path, _rule_for(message), f"key {str(path[-1])!r}: {message}")
    expected_type = _TYPE_NAMES.get(kind)
    if expected_type is not None:
        got = detail.get("input")
        return loaded.problem(
            loc, rules.WRONG_TYPE, f"expected {expected_type}, got {describe_value(got)}"
        )
    message = _describe(detail)
    return loaded.problem(loc, _rule_for(message), message)


def _rule_for(message: str) -> rules.Rule:
    """The rule of a value error; the models' validators word these messages."""
    if message.startswith(SEMVER_MESSAGE_START):
        return rules.INVALID_SEMVER
    if message.startswith(JSON_SCHEMA_MESSAGE_START):
        return rules.INVALID_JSON_SCHEMA
    return rules.INVALID_VALUE


def _describe(detail: Any) -> str:
    kind: str = detail["type"]
    got = detail.get("input")
    context = detail.get("ctx") or {}
    if kind in {"enum", "literal_error"}:
        return f"expected one of {context.get('expected')}, got {show_value(got)}"
    if kind == "string_pattern_mismatch" and context.get("pattern") in _PATTERN_NAMES:
        return f"{show_value(got)} is not {_PATTERN_NAMES[context['pattern']]}"
    if kind == "string_pattern_mismatch":
        return f"{show_value(got)} does not match the pattern {context.get('pattern')}"
    if kind == "value_error":
        return str(context.get("error", detail["msg"]))
    message: str = detail["msg"]
    return f"{message[0].lower()}{message[1:]}, got {show_value(got)}"


def _unknown_key_message(key: str, model: type[BaseModel], loc: FieldPath) -> str:
    valid = sorted(allowed_keys(model, loc[:-1]))
    close = difflib.get_close_matches(key, valid, n=1, cutoff=0.6)
    if close:
        return f"unknown key {key!r}; did you mean {close[0]!r}?"
    return f"unknown key {key!r}; expected one of: {', '.join(valid)}"


def allowed_keys(model: type[BaseModel], path: FieldPath) -> set[str]:
    """The keys (aliases where set) valid in the object at ``path`` of a ``model`` document."""
    current: Any = model
    for part in path:
        current = _step(current, part)
        if current is None:
            return set()
    found = _model_in(current)
    if found is None:
        return set()
    return {field.alias or name for name, field in found.model_fields.items()}


def _step(annotation: Any, part: str | int) -> Any:
    found = _model_in(annotation)
    if found is not None:
        for name, field in found.model_fields.items():
            if part in (name, field.alias):
                return field.annotation
        return None
    container = _unwrap(annotation)
    origin = typing.get_origin(container)
    arguments = typing.get_args(container)
    if origin is list and arguments:
        return arguments[0]
    if origin is dict and len(arguments) == 2:
        return arguments[1]
    return None


def _unwrap(annotation: Any) -> Any:
    """Strip Annotated[...] and ``X | None`` down to the type that holds the structure."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            options = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
            if len(options) != 1:
                return annotation
            annotation = options[0]
        else:
            return annotation


def _model_in(annotation: Any) -> type[BaseModel] | None:
    inner = _unwrap(annotation)
    if isinstance(inner, type) and issubclass(inner, BaseModel):
        return inner
    return None
