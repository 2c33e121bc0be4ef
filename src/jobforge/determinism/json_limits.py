"""The limits every JSON document JobForge stores for a caller keeps (payloads, follow-up
payloads, trigger documents), checked by the client and the worker with the path of the
offending value and again by the database (``jobforge.jobforge_json_problem``) for callers
that do not go through them:

* at most 1 MiB of canonical JSON (:data:`MAX_JSON_BYTES`);
* at most 64 arrays or objects nested in one another (:data:`MAX_JSON_DEPTH`): decoders
  recurse, and a document nested 10,000 deep exhausts their stacks;
* every number within the range of a double: ``1e5000`` is valid JSON that no JSON decoder
  of a common language turns into a number.

Both checks are paid only by documents long enough to break them, found from the encoded
text: 65 levels take 130 brackets, and a number beyond a double takes 309 digits.
"""

from __future__ import annotations

import re
import sys
from typing import Any

MAX_JSON_BYTES = 1024 * 1024
MAX_JSON_DEPTH = 64
MAX_JSON_NUMBER = sys.float_info.max

_DEPTH_NEEDS_CHARACTERS = 2 * (MAX_JSON_DEPTH + 1)
_NUMBER_NEEDS_DIGITS = len(str(int(MAX_JSON_NUMBER)))
_LONG_DIGIT_RUN = re.compile(rf"[0-9]{{{_NUMBER_NEEDS_DIGITS}}}")


def json_limit_problem(value: Any, text: str, path: str) -> str | None:
    """What in ``value`` (whose JSON encoding is ``text``) breaks the nesting or number
    limit, naming where it is; None when nothing does. The size is checked by the caller,
    who knows the encoded bytes already."""
    if len(text) >= _DEPTH_NEEDS_CHARACTERS and (
        text.count("[") + text.count("{") > MAX_JSON_DEPTH
    ):
        problem = _too_deep(value, path)
        if problem:
            return problem
    if len(text) >= _NUMBER_NEEDS_DIGITS and _LONG_DIGIT_RUN.search(text):
        return _number_out_of_range(value, path)
    return None


def _too_deep(value: Any, path: str) -> str | None:
    """The path of the first array or object nested deeper than the limit (walking without
    recursion, so a document nested 100,000 deep is measured, not a RecursionError)."""
    pending: list[tuple[Any, str, int]] = [(value, path, 1)]
    while pending:
        item, where, depth = pending.pop()
        if isinstance(item, dict | list | tuple):
            if depth > MAX_JSON_DEPTH:
                return (
                    f"{where}: nested deeper than {MAX_JSON_DEPTH} arrays or objects, "
                    "which JSON decoders refuse"
                )
            children = item.items() if isinstance(item, dict) else enumerate(item)
            for key, child in reversed(list(children)):
                if isinstance(child, dict | list | tuple):
                    step = f"{where}.{key}" if isinstance(item, dict) else f"{where}[{key}]"
                    pending.append((child, step, depth + 1))
    return None


def _number_out_of_range(value: Any, path: str) -> str | None:
    """The path of the first integer beyond a double's range (a float cannot be: JSON
    encoding already refused infinities)."""
    pending: list[tuple[Any, str]] = [(value, path)]
    while pending:
        item, where = pending.pop()
        if isinstance(item, int) and not isinstance(item, bool):
            if abs(item) > MAX_JSON_NUMBER:
                return (
                    f"{where}: {_abbreviated(item)} is beyond the range of a double "
                    f"(at most {MAX_JSON_NUMBER!r}), which JSON decoders refuse"
                )
        elif isinstance(item, dict):
            pending.extend((child, f"{where}.{key}") for key, child in reversed(item.items()))
        elif isinstance(item, list | tuple):
            pending.extend(
                (child, f"{where}[{index}]") for index, child in reversed(list(enumerate(item)))
            )
    return None


def _abbreviated(number: int) -> str:
    """An integer too long to print in a message (it was encoded, so str() can write it)."""
    sign = "-" if number < 0 else ""
    return f"{sign}an integer of {len(str(abs(number)))} digits"
