"""JSON values as the rules see them: field paths, equality, numbers, canonical bytes.

JSON has one number type and a boolean that is not a number; Python has ``True == 1``.
Everything here follows JSON: ``true`` never equals ``1``, ``1`` equals ``1.0``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

FieldPath = tuple[str | int, ...]
# An evidence value or expectation longer than this (as JSON text) is cut.
MAX_SHOWN_CHARACTERS = 200


# The value of a field a record does not have (``None`` is JSON null).
MISSING: Any = object()


def field_path(spec: str | Sequence[str | int]) -> FieldPath:
    """A rule's ``field`` as a path: a top-level key, or keys and list indices in order."""
    if isinstance(spec, str):
        return (spec,)
    return tuple(spec)


def lookup(record: Any, path: FieldPath) -> Any:
    """The value at ``path`` in ``record``, or ``MISSING``."""
    value = record
    for step in path:
        if isinstance(step, str):
            if not (isinstance(value, dict) and step in value):
                return MISSING
        elif not (isinstance(value, list) and 0 <= step < len(value)):
            return MISSING
        value = value[step]
    return value


def pointer(path: Sequence[str | int]) -> str:
    """The JSON Pointer (RFC 6901) of ``path``: ``("a/b", 0)`` is ``/a~1b/0``."""
    return "".join("/" + str(step).replace("~", "~0").replace("/", "~1") for step in path)


def is_number(value: Any) -> bool:
    """A JSON number: an int or float that is not a bool."""
    return isinstance(value, int | float) and not isinstance(value, bool)


def exact_decimal(number: float) -> Decimal:
    """``number`` as the decimal it was written as (``0.1`` is ``Decimal('0.1')``)."""
    return Decimal(number) if isinstance(number, int) else Decimal(repr(number))


def json_equal(left: Any, right: Any) -> bool:
    """Equality of JSON values: numbers by value, ``true`` is not ``1``, deep for containers."""
    if is_number(left) and is_number(right):
        return bool(left == right)
    if type(left) is not type(right):
        return False
    if isinstance(left, list):
        return len(left) == len(right) and all(map(json_equal, left, right))
    if isinstance(left, dict):
        return left.keys() == right.keys() and all(json_equal(left[k], right[k]) for k in left)
    return bool(left == right)


def identity(value: Any) -> str:
    """A text equal for JSON-equal values (``1`` and ``1.0`` alike): the key of ``unique``."""
    return canonical_text(_integral_floats_as_ints(value))


def _integral_floats_as_ints(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, list):
        return [_integral_floats_as_ints(item) for item in value]
    if isinstance(value, dict):
        return {key: _integral_floats_as_ints(item) for key, item in value.items()}
    return value


def canonical_text(value: Any) -> str:
    """Canonical JSON: keys sorted by code point, no spaces, non-ASCII as is, no NaN."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )


def canonical_bytes(value: Any) -> bytes:
    """The UTF-8 bytes of ``canonical_text(value)``: what checksums are computed over."""
    return canonical_text(value).encode("utf-8")


def keys_sorted(value: Any) -> Any:
    """``value`` with every object's keys in sorted order.

    A payload read from jsonb and the same payload read from a replay snapshot hold their
    keys in different orders; sorting them makes every message built from them the same.
    """
    if isinstance(value, dict):
        return {key: keys_sorted(value[key]) for key in sorted(value)}
    if isinstance(value, list):
        return [keys_sorted(item) for item in value]
    return value


def shown(value: Any) -> str:
    """``value`` as compact JSON for a message, cut to ``MAX_SHOWN_CHARACTERS``."""
    return cut(canonical_text(value))


def cut(text: str) -> str:
    if len(text) <= MAX_SHOWN_CHARACTERS:
        return text
    return text[:MAX_SHOWN_CHARACTERS] + "…"
