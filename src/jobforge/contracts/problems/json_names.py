"""Naming values in messages the way the files write them: as JSON.

A contract file is JSON or YAML, so a message says ``null``, ``true``, ``"x"`` and
``{"a": 1}``, never Python's ``None``, ``True``, ``'x'`` or ``{'a': 1}``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

MAX_SHOWN_VALUE_CHARACTERS = 60


def show_value(value: Any) -> str:
    """``value`` as JSON, cut to a length that fits in a message."""
    try:
        text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    except (TypeError, ValueError):
        text = repr(value)
    if len(text) > MAX_SHOWN_VALUE_CHARACTERS:
        text = text[: MAX_SHOWN_VALUE_CHARACTERS - 1] + "…"
    return text


def quoted(text: str) -> str:
    """A key, an id or a name as a JSON string: ``"autopilot.ops.scan"``."""
    return json.dumps(text, ensure_ascii=False)


def describe_value(value: Any) -> str:
    """A value named for a message: ``null``, ``true``, ``the number 3``,
    ``the string "x"``, ``an array``, ``an object``."""
    if value is None or isinstance(value, bool):
        return show_value(value)
    if isinstance(value, int | float):
        return f"the number {show_value(value)}"
    if isinstance(value, str):
        return f"the string {show_value(value)}"
    if isinstance(value, list | tuple):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return f"a {type(value).__name__}"


def one_of(values: Sequence[Any]) -> str:
    """``"a", "b" or null``: each value as JSON, the last joined by "or"."""
    shown = [show_value(value) for value in values]
    if len(shown) <= 1:
        return "".join(shown)
    return f"{', '.join(shown[:-1])} or {shown[-1]}"


def plural(count: int, noun: str) -> str:
    """``1 item``, ``2 items``."""
    return f"{count} {noun}{'' if count == 1 else 's'}"
