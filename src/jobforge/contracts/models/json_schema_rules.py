"""JSON Schema fragments for rules the models' validators enforce.

The models pass these to ``json_schema_extra`` next to the validator that enforces the
same rule, so the exported schemas let editors flag what ``validate`` flags.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from typing import Any

UNIQUE_ITEMS: dict[str, Any] = {"uniqueItems": True}
"""For a list whose validator refuses repeated entries."""


def when_true(flag: str, then_properties: dict[str, Any]) -> dict[str, Any]:
    """JSON Schema: when ``flag`` is true, the other properties must match these schemas."""
    return {
        "if": {"properties": {flag: {"const": True}}, "required": [flag]},
        "then": {"properties": then_properties},
    }


def at_most_once(key: str, values: Iterable[StrEnum]) -> dict[str, Any]:
    """JSON Schema: no two items of an array share ``key``, over its known ``values``."""
    return {
        "allOf": [
            {
                "contains": {"properties": {key: {"const": value.value}}, "required": [key]},
                "minContains": 0,
                "maxContains": 1,
            }
            for value in values
        ]
    }
