"""JSON Schema (Draft 2020-12) with ECMA-262 regular expressions, as the specification says.

jsonschema evaluates ``pattern`` and ``patternProperties`` with Python's ``re``, which reads
some patterns differently from every editor and check-jsonschema: ``$`` also matches before
a final newline (``"ord-1\\n"`` passes ``^ord-[0-9]+$``), ``\\d`` matches any Unicode digit,
and ``\\p{L}`` is an error. JobForge validates payloads, outputs and goldens with the ECMA
reading instead (the ``regress`` engine, check-jsonschema's), so a contract means the same
thing in an editor, in CI and in the worker. A schema is checked the same way: a pattern
only Python accepts (``(?P<name>...)``) is refused when the contract is validated.

``additionalProperties`` is evaluated against the same ECMA ``patternProperties``.
``unevaluatedProperties`` still sees jsonschema's own reading of them.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from functools import lru_cache
from typing import Any

import regress
from jsonschema import Draft202012Validator, FormatChecker, ValidationError, validators

# Compiled patterns kept per process: a worker meets the same few contracts' patterns.
MAX_CACHED_PATTERNS = 4096


@lru_cache(maxsize=MAX_CACHED_PATTERNS)
def ecma_regex(pattern: str) -> regress.Regex:
    """``pattern`` compiled as an ECMA-262 regular expression with the ``u`` flag; raises
    ``regress.RegressError`` for one that is not."""
    return regress.Regex(pattern, flags="u")


def _is_ecma_regex(instance: object) -> bool:
    if isinstance(instance, str):
        ecma_regex(instance)
    return True


def _pattern(
    validator: Any, pattern: str, instance: Any, schema: Mapping[str, Any]
) -> Iterator[ValidationError]:
    if validator.is_type(instance, "string") and ecma_regex(pattern).find(instance) is None:
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


def _pattern_properties(
    validator: Any,
    pattern_properties: Mapping[str, Any],
    instance: Any,
    schema: Mapping[str, Any],
) -> Iterator[ValidationError]:
    if not validator.is_type(instance, "object"):
        return
    for pattern, subschema in pattern_properties.items():
        regex = ecma_regex(pattern)
        for key, value in instance.items():
            if regex.find(key) is not None:
                yield from validator.descend(value, subschema, path=key, schema_path=pattern)


def _additional_properties(
    validator: Any, additional: Any, instance: Any, schema: Mapping[str, Any]
) -> Iterator[ValidationError]:
    if not validator.is_type(instance, "object"):
        return
    properties = schema.get("properties", {})
    patterns = [ecma_regex(pattern) for pattern in schema.get("patternProperties", {})]
    extras = [
        key
        for key in instance
        if key not in properties and not any(regex.find(key) is not None for regex in patterns)
    ]
    if validator.is_type(additional, "object"):
        for extra in extras:
            yield from validator.descend(instance[extra], additional, path=extra)
    elif additional is False and extras:
        listed = ", ".join(repr(extra) for extra in sorted(extras))
        if patterns:
            regexes = ", ".join(repr(p) for p in sorted(schema["patternProperties"]))
            verb = "does" if len(extras) == 1 else "do"
            yield ValidationError(f"{listed} {verb} not match any of the regexes: {regexes}")
        else:
            verb = "was" if len(extras) == 1 else "were"
            yield ValidationError(
                f"Additional properties are not allowed ({listed} {verb} unexpected)"
            )


# The meta-schema's formats as jsonschema checks them, but "regex" by the ECMA engine.
FORMAT_CHECKER = FormatChecker()
for _name, _check in Draft202012Validator.FORMAT_CHECKER.checkers.items():
    FORMAT_CHECKER.checkers[_name] = _check
FORMAT_CHECKER.checks("regex", raises=regress.RegressError)(_is_ecma_regex)

# jsonschema's extend() is untyped; what it returns is a Draft202012Validator subclass.
SchemaValidator: type[Draft202012Validator] = validators.extend(  # type: ignore[no-untyped-call]
    Draft202012Validator,
    {
        "pattern": _pattern,
        "patternProperties": _pattern_properties,
        "additionalProperties": _additional_properties,
    },
    format_checker=FORMAT_CHECKER,
)
"""``Draft202012Validator`` with ECMA-262 patterns; ``SchemaValidator.check_schema(s)``
refuses a schema whose patterns ECMA-262 does not accept."""


def check_schema(schema: Any) -> None:
    """Raise ``jsonschema.SchemaError`` unless ``schema`` is a valid Draft 2020-12 schema
    whose patterns are ECMA-262 regular expressions."""
    SchemaValidator.check_schema(schema, format_checker=FORMAT_CHECKER)
