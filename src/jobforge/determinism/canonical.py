"""Canonical JSON: one encoding per value, so equal values give byte-identical output.

The encoding: object keys sorted by code point, no insignificant white space, UTF-8
without escaping non-ASCII characters, integers in decimal, floats in Python's shortest
round-trip form, and no NaN or Infinity. Only dicts with string keys, lists (and tuples),
strings, integers, floats, booleans and None are JSON values.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable
from typing import Any

from jobforge.determinism.reusable_encoder import ReusableEncoder
from jobforge.errors import InvalidArgument

_ENCODER = ReusableEncoder(
    json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
)
# The JSON string literal of a str, quoted and escaped as canonical JSON writes it (the C
# function the encoder itself calls for strings when ensure_ascii is off).
json_string: Callable[[str], str] = json.encoder.encode_basestring


def canonical_json(value: Any, *, label: str = "value") -> bytes:
    """The canonical UTF-8 bytes of ``value``; InvalidArgument names the first bad spot."""
    try:
        # Encoding first also refuses circular structures, which the key check would walk
        # for ever.
        text = _ENCODER.encode(value)
        encoded = text.encode("utf-8")
    except RecursionError:
        raise InvalidArgument(f"{label}: nested too deeply to encode as JSON") from None
    except (TypeError, ValueError) as exc:
        if str(exc) == "Circular reference detected":
            raise InvalidArgument(
                f"{label}: contains itself (a circular reference), which JSON cannot hold"
            ) from None
        raise InvalidArgument(_describe_problem(value, label) or f"{label}: {exc}") from exc
    if not has_only_string_keys(value):
        raise InvalidArgument(_describe_problem(value, label) or f"{label}: non-string key")
    if NUL_ESCAPE in text:
        problem = find_nul_character(value, label)
        if problem:
            raise InvalidArgument(problem)
    return encoded


# How the json module writes U+0000, which PostgreSQL's jsonb cannot store.
NUL_ESCAPE = "\\u0000"


def find_nul_character(value: Any, path: str) -> str | None:
    """The path of the first string (or key) in ``value`` holding U+0000, if any."""
    if isinstance(value, str):
        if "\x00" in value:
            return f"{path}: contains U+0000, which PostgreSQL jsonb cannot store"
        return None
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(key, str) and "\x00" in key:
                return f"{path}: a key contains U+0000, which PostgreSQL jsonb cannot store"
            problem = find_nul_character(item, f"{path}.{key}")
            if problem:
                return problem
    if isinstance(value, list | tuple):
        for index, item in enumerate(value):
            problem = find_nul_character(item, f"{path}[{index}]")
            if problem:
                return problem
    return None


def has_only_string_keys(value: Any) -> bool:
    """False if any object in ``value`` has a key that is not a str.

    The json module would quietly turn 1, 2.5, True or None keys into strings, giving
    {1: "a"} and {"1": "a"} the same bytes and hash; canonical JSON refuses them instead.
    """
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, dict):
            for key, child in item.items():
                if type(key) is not str:
                    return False
                if isinstance(child, dict | list | tuple):
                    pending.append(child)
        elif isinstance(item, list | tuple):
            pending.extend(child for child in item if isinstance(child, dict | list | tuple))
    return True


def canonical_json_of_decoded(value: Any) -> bytes:
    """Canonical bytes of a value decoded from JSON (from jsonb, json.loads): its keys are
    strings and it holds no NaN or U+0000 already, so only the encoding is left to do."""
    return _ENCODER.encode(value).encode("utf-8")


def canonical_text_of_json(value: Any) -> str:
    """Canonical text of a value already known to be JSON (checked when it was built, as
    trace events and connector exchanges are), so only the encoding is left to do."""
    return _ENCODER.encode(value)


def canonical_json_text(value: Any, *, label: str = "value") -> str:
    """:func:`canonical_json` as a ``str``."""
    return canonical_json(value, label=label).decode("utf-8")


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def canonical_sha256(value: Any, *, label: str = "value") -> str:
    """SHA-256 (hex) of the canonical JSON of ``value``."""
    return sha256_hex(canonical_json(value, label=label))


def _describe_problem(value: Any, path: str) -> str | None:  # noqa: PLR0911 - a return per JSON type
    """The path and nature of the first part of ``value`` that is not a JSON value."""
    if value is None or isinstance(value, bool | int | str):
        if isinstance(value, str):
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                return f"{path}: contains a lone surrogate, which UTF-8 cannot encode"
        return None
    if isinstance(value, float):
        return None if math.isfinite(value) else f"{path}: {value} is not allowed in JSON"
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                return f"{path}: object keys must be strings, got {type(key).__name__} {key!r}"
            problem = _describe_problem(item, f"{path}.{key}")
            if problem:
                return problem
        return None
    if isinstance(value, list | tuple):
        for index, item in enumerate(value):
            problem = _describe_problem(item, f"{path}[{index}]")
            if problem:
                return problem
        return None
    return f"{path}: {type(value).__name__} is not a JSON value"
