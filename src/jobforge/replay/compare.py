"""Comparing a golden's expectations with what a run produced."""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterator
from typing import Any


def is_subset(expected: Any, actual: Any) -> bool:
    """Deep containment: every key of an expected object is in the actual one with a
    contained value; lists must have the same length with contained items; anything else
    must be equal. (``exact: true`` goldens compare with == instead.)"""
    if isinstance(expected, dict):
        return isinstance(actual, dict) and all(
            key in actual and is_subset(value, actual[key]) for key, value in expected.items()
        )
    if isinstance(expected, list):
        return (
            isinstance(actual, list)
            and len(expected) == len(actual)
            and all(is_subset(e, a) for e, a in zip(expected, actual, strict=True))
        )
    return bool(expected == actual and type(expected) is type(actual)) or (
        _both_numbers(expected, actual) and expected == actual
    )


def _both_numbers(left: Any, right: Any) -> bool:
    numbers = (int, float)
    return (
        isinstance(left, numbers)
        and isinstance(right, numbers)
        and not isinstance(left, bool)
        and not isinstance(right, bool)
    )


def restrict(actual: Any, expected: Any) -> Any:
    """``actual`` cut down to the keys ``expected`` names (recursively), so a diff of a
    containment check shows what differs, not everything the golden chose to leave out."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        return {key: restrict(actual[key], expected[key]) for key in expected if key in actual}
    if isinstance(expected, list) and isinstance(actual, list) and len(expected) == len(actual):
        return [restrict(a, e) for a, e in zip(actual, expected, strict=True)]
    return actual


def pretty(value: Any) -> str:
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False, default=str)


def unified_diff(expected: Any, actual: Any, *, expected_label: str, actual_label: str) -> str:
    lines = difflib.unified_diff(
        pretty(expected).splitlines(),
        pretty(actual).splitlines(),
        fromfile=expected_label,
        tofile=actual_label,
        lineterm="",
    )
    return "\n".join(lines)


def differing_paths(left: Any, right: Any, path: str = "output") -> Iterator[str]:
    """JSON paths at which two values differ (for the nondeterminism report)."""
    if isinstance(left, dict) and isinstance(right, dict):
        for key in sorted(set(left) | set(right)):
            if key not in left or key not in right:
                yield f"{path}.{key}"
            else:
                yield from differing_paths(left[key], right[key], f"{path}.{key}")
    elif isinstance(left, list) and isinstance(right, list) and len(left) == len(right):
        for index, (a, b) in enumerate(zip(left, right, strict=True)):
            yield from differing_paths(a, b, f"{path}[{index}]")
    elif left != right or type(left) is not type(right):
        yield path
