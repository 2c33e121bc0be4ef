"""Turning pydantic validation errors into problems located in the file.

Each pydantic error carries a ``loc`` (the path of keys and indexes to the offending
value); the loaded file knows where each path sits, so every error gets a line and column.
Values, keys and enum members are named as JSON names them (``null``, ``"x"``).

An error about a value the loader refused (a NaN, a YAML tag, a lone surrogate), or about
what holds one, is left out: the refusal is the problem there, and the model only saw a
stand-in for the value.
"""

from __future__ import annotations

import difflib
import re
import types
import typing
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import core_schema

from jobforge.contracts.loading.loader import LoadedFile
from jobforge.contracts.models.constraints import DUPLICATE_ENTRY, at_or_below
from jobforge.contracts.models.contract_files import (
    HTTP_BASE_URL_PATTERN,
    HTTP_PATH_PATTERN,
    JSON_SCHEMA_MESSAGE_START,
    OPERATION_NAME_PATTERN,
)
from jobforge.contracts.models.dates import ISO_DATE_PATTERN, RFC3339_PATTERN
from jobforge.contracts.models.identifiers import DOTTED_ID_PATTERN
from jobforge.contracts.models.semver import SEMVER_MESSAGE_START
from jobforge.contracts.problems import rules
from jobforge.contracts.problems.json_names import describe_value, quoted, show_value
from jobforge.contracts.problems.problem import FieldPath, Problem, render_field_path

_PATTERN_NAMES = {
    DOTTED_ID_PATTERN: 'a dotted lower-case name such as "billing.invoice.send"',
    RFC3339_PATTERN: 'an RFC 3339 timestamp such as "2000-01-01T00:00:00Z"',
    ISO_DATE_PATTERN: 'a date such as "2027-01-31"',
    HTTP_PATH_PATTERN: (
        'a path such as "/zones/{zone}/purge": "/" then percent-encoded segments, '
        "{name} placeholders allowed"
    ),
    HTTP_BASE_URL_PATTERN: 'an http or https URL such as "https://api.example.com/v1"',
    OPERATION_NAME_PATTERN: 'an operation name such as "get_zone" (lower case, digits, "_")',
}
# pydantic lists an enum's members as Python reprs: 'beta', 'stable' or 'deprecated'.
_PYTHON_STRING = re.compile(r"'((?:[^'\\]|\\.)*)'")
_KNOWN_ERROR_TYPES = frozenset(typing.get_args(core_schema.ErrorType))
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
    return [_problem(detail, model, loaded) for detail in reported_errors(error, loaded)]


def reported_errors(error: ValidationError, loaded: LoadedFile) -> list[Any]:
    """The errors of ``error`` that are not about a value ``loaded`` refused."""
    return [
        detail
        for detail in error.errors(include_url=False)
        if not any(_touches(tuple(detail["loc"]), refused) for refused in loaded.refused)
    ]


def _touches(loc: FieldPath, refused: FieldPath) -> bool:
    return at_or_below(loc, refused) or at_or_below(refused, loc)


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
            f"missing required key {quoted(str(loc[-1]))}",
        )
    if loc and loc[-1] == "[key]":
        path = loc[:-1]
        message = _describe(detail)
        return loaded.key_problem(
            path, _rule_for(message), f"key {quoted(str(path[-1]))}: {message}"
        )
    if kind == DUPLICATE_ENTRY:
        return loaded.problem(loc, rules.INVALID_VALUE, _duplicate_message(detail, loc))
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


def _describe(detail: Any) -> str:  # noqa: PLR0911 - one return per kind of error
    kind: str = detail["type"]
    got = detail.get("input")
    context = detail.get("ctx") or {}
    if kind in {"enum", "literal_error"}:
        expected = _PYTHON_STRING.sub(_as_json_string, str(context.get("expected")))
        return f"expected one of {expected}, got {show_value(got)}"
    if kind == "string_pattern_mismatch" and context.get("pattern") in _PATTERN_NAMES:
        return f"{show_value(got)} is not {_PATTERN_NAMES[context['pattern']]}"
    if kind == "string_pattern_mismatch":
        return f"{show_value(got)} does not match the pattern {context.get('pattern')}"
    if kind == "value_error":
        return str(context.get("error", detail["msg"]))
    if kind == "too_short" and isinstance(got, dict | list):
        least = context.get("min_length")
        noun = "key" if isinstance(got, dict) else "item"
        return f"expected at least {least} {noun}{'' if least == 1 else 's'}, got {show_value(got)}"
    message: str = detail["msg"]
    if kind not in _KNOWN_ERROR_TYPES:
        return message  # a model's own error type, worded by the model
    return f"{message[0].lower()}{message[1:]}, got {show_value(got)}"


def _as_json_string(match: re.Match[str]) -> str:
    return quoted(match.group(1).replace("\\'", "'").replace("\\\\", "\\"))


def _duplicate_message(detail: Any, loc: FieldPath) -> str:
    """``"a.b" is already listed at supported_job_types[0]``: the first of the repeats."""
    context = detail.get("ctx") or {}
    index_at = len(loc) - 1 - int(context.get("depth", 0))
    first = (*loc[:index_at], int(context.get("first", 0)), *loc[index_at + 1 :])
    return (
        f"{show_value(detail.get('input'))} is already listed at {render_field_path(first)}; "
        "list each entry once"
    )


def _unknown_key_message(key: str, model: type[BaseModel], loc: FieldPath) -> str:
    valid = sorted(allowed_keys(model, loc[:-1]))
    close = difflib.get_close_matches(key, valid, n=1, cutoff=0.6)
    if close:
        return f"unknown key {quoted(key)}; did you mean {quoted(close[0])}?"
    return f"unknown key {quoted(key)}; expected one of: {', '.join(valid)}"


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


def check_model(
    model: type[BaseModel], loaded: LoadedFile
) -> tuple[Any, list[Problem], list[FieldPath]]:
    """``loaded`` against ``model``: the model (None on errors), the problems, and the
    paths of the values found wrong (the refused ones left out, see the module)."""
    try:
        return model.model_validate(loaded.data), [], []
    except ValidationError as exc:
        errors = reported_errors(exc, loaded)
        problems = [_problem(detail, model, loaded) for detail in errors]
        return None, problems, [tuple(detail["loc"]) for detail in errors]
