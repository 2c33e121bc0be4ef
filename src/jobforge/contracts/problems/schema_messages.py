"""jsonschema's errors in the validator's own words, every value named as JSON.

jsonschema words its messages with Python reprs (``None is not of type 'object'``,
``'x' is a required property``). A golden checked against its job type's schemas (JF206,
JF207) and a job type schema checked against the meta-schema (JF116) are reported from the
error's keyword, its value and the instance instead, in the words the model's own errors
use: ``expected an object, got null``, ``missing required key "x"``. A keyword without its
own wording keeps jsonschema's message, with the instance shown as JSON.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable
from typing import Any

from jobforge.contracts.problems.json_names import (
    describe_value,
    one_of,
    plural,
    quoted,
    show_value,
)

_TYPE_NAMES = {
    "object": "an object",
    "array": "an array",
    "string": "a string",
    "number": "a number",
    "integer": "an integer",
    "boolean": "a boolean",
    "null": "null",
}
_LISTED = re.compile(r"\((?P<names>.*) (?:was|were) unexpected\)$", re.DOTALL)
_DEPENDENCY = re.compile(r"^(?P<needed>.*) is a dependency of (?P<key>.*)$", re.DOTALL)
_REQUIRED_SUFFIX = " is a required property"


def schema_error_message(error: Any) -> str:
    """The message of a ``jsonschema`` ValidationError or SchemaError."""
    keyword = error.validator
    if keyword is None:  # a ``false`` schema
        return f"no value is allowed here, got {describe_value(error.instance)}"
    wording = _WORDINGS.get(str(keyword))
    message = wording(error) if wording is not None else None
    return message if message is not None else _with_json_instance(error)


def _with_json_instance(error: Any) -> str:
    message: str = error.message
    shown = repr(error.instance)
    if shown in message:
        message = message.replace(shown, show_value(error.instance), 1)
    return message


def _python_literals(text: str) -> list[Any] | None:
    """The values of a comma-separated list of Python reprs (keys jsonschema names)."""
    try:
        value = ast.literal_eval(f"[{text}]")
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return None
    return value if isinstance(value, list) else None


def _type(error: Any) -> str:
    types = (
        error.validator_value
        if isinstance(error.validator_value, list)
        else [error.validator_value]
    )
    names = [_TYPE_NAMES.get(str(name), quoted(str(name))) for name in types]
    expected = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"
    return f"expected {expected}, got {describe_value(error.instance)}"


def _required(error: Any) -> str | None:
    message: str = error.message
    if not message.endswith(_REQUIRED_SUFFIX):
        return None
    names = _python_literals(message.removesuffix(_REQUIRED_SUFFIX))
    if not names or not isinstance(names[0], str):
        return None
    return f"missing required key {quoted(names[0])}"


def _unknown_keys(error: Any) -> str | None:
    listed = _LISTED.search(error.message)
    names = _python_literals(listed["names"]) if listed else None
    if names is None and error.validator == "additionalProperties":
        names = _keys_matching_no_pattern(error)
    if not names:
        return None
    keys = ", ".join(quoted(str(name)) for name in sorted(names, key=str))
    return f"unknown key{'' if len(names) == 1 else 's'} {keys}; the schema allows no other keys"


def _keys_matching_no_pattern(error: Any) -> list[str] | None:
    """The keys an ``additionalProperties: false`` next to ``patternProperties`` refuses."""
    schema = error.schema if isinstance(error.schema, dict) else {}
    if not isinstance(error.instance, dict):
        return None
    properties = schema.get("properties", {})
    patterns = list(schema.get("patternProperties", {}))
    try:
        return [
            key
            for key in error.instance
            if key not in properties and not any(re.search(p, key) for p in patterns)
        ]
    except re.error:
        return None


def _enum(error: Any) -> str | None:
    values = error.validator_value
    if not isinstance(values, list) or not values:
        return None
    expected = show_value(values[0]) if len(values) == 1 else f"one of {one_of(values)}"
    return f"expected {expected}, got {show_value(error.instance)}"


def _const(error: Any) -> str:
    return f"expected {show_value(error.validator_value)}, got {show_value(error.instance)}"


def _bound(relation: str) -> Callable[[Any], str]:
    def word(error: Any) -> str:
        limit = show_value(error.validator_value)
        return f"{show_value(error.instance)} is {relation} {limit}"

    return word


def _length(relation: str) -> Callable[[Any], str]:
    def word(error: Any) -> str:
        count = plural(int(error.validator_value), "character")
        return f"{show_value(error.instance)} is {relation} {count}"

    return word


def _count(bound: str, noun: str) -> Callable[[Any], str]:
    def word(error: Any) -> str:
        expected = plural(int(error.validator_value), noun)
        return f"expected {bound} {expected}, got {len(error.instance)}"

    return word


def _unique_items(error: Any) -> str | None:
    seen: list[Any] = []
    for item in error.instance if isinstance(error.instance, list) else []:
        if any(_same(item, earlier) for earlier in seen):
            return f"{show_value(item)} is listed more than once"
        seen.append(item)
    return None


def _same(left: Any, right: Any) -> bool:
    """JSON equality: ``true`` is not ``1``, as jsonschema compares them."""
    if isinstance(left, bool) or isinstance(right, bool):
        return type(left) is type(right) and left == right
    return bool(left == right)


def _pattern(error: Any) -> str:
    pattern = quoted(str(error.validator_value))
    return f"{show_value(error.instance)} does not match the pattern {pattern}"


# What a format means where JobForge's reading is narrower than the format's name says.
_FORMAT_NAMES = {"regex": "ECMA-262 regular expression"}


def _format(error: Any) -> str:
    name = str(error.validator_value)
    meaning = _FORMAT_NAMES.get(name, name)
    return f"{show_value(error.instance)} is not a valid {meaning} (format {quoted(name)})"


def _not(error: Any) -> str:
    return (
        f"{show_value(error.instance)} must not match the schema "
        f"{show_value(error.validator_value)}"
    )


def _one_of(error: Any) -> str:
    if error.context:
        return f"{show_value(error.instance)} is not valid under any of the given schemas"
    return f"{show_value(error.instance)} is valid under more than one of the given schemas"


def _dependent_required(error: Any) -> str | None:
    found = _DEPENDENCY.match(error.message)
    needed = _python_literals(found["needed"]) if found else None
    key = _python_literals(found["key"]) if found else None
    if not needed or not key:
        return None
    return f"key {quoted(str(key[0]))} requires key {quoted(str(needed[0]))}"


def _items(error: Any) -> str | None:
    schema = error.schema if isinstance(error.schema, dict) else {}
    allowed = len(schema.get("prefixItems", []))
    if error.validator_value is not False or not isinstance(error.instance, list):
        return None
    return f"expected at most {plural(allowed, 'item')}, got {len(error.instance)}"


_WORDINGS: dict[str, Callable[[Any], str | None]] = {
    "type": _type,
    "required": _required,
    "additionalProperties": _unknown_keys,
    "unevaluatedProperties": _unknown_keys,
    "enum": _enum,
    "const": _const,
    "minimum": _bound("less than the minimum of"),
    "maximum": _bound("greater than the maximum of"),
    "exclusiveMinimum": _bound("less than or equal to the minimum of"),
    "exclusiveMaximum": _bound("greater than or equal to the maximum of"),
    "multipleOf": _bound("not a multiple of"),
    "minLength": _length("shorter than"),
    "maxLength": _length("longer than"),
    "minItems": _count("at least", "item"),
    "maxItems": _count("at most", "item"),
    "minProperties": _count("at least", "key"),
    "maxProperties": _count("at most", "key"),
    "uniqueItems": _unique_items,
    "pattern": _pattern,
    "format": _format,
    "not": _not,
    "anyOf": _one_of,
    "oneOf": _one_of,
    "dependentRequired": _dependent_required,
    "items": _items,
}
