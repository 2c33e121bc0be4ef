"""Writing JSON values as YAML text the way a person would write them into a golden.

Scalars keep a requested style when the value can be written in it, are plain when that
reads back as the same string, and are double-quoted with JSON escapes otherwise. Block
collections are rendered at a given column with the file's own indentation; multi-line
strings in block context become literal block scalars when that is exact.
"""

from __future__ import annotations

import functools
import json
import math
import re
from dataclasses import dataclass
from typing import Any

# Characters YAML cannot carry raw in a scalar (ruamel's reader refuses them or reads
# them as line breaks), written as \uXXXX in a double-quoted scalar.
_NOT_RAW = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff\ud800-\udfff]"
)
_PLAIN_FIRST_REFUSED = set("-?:,[]{}#&*!|>'\"%@` \t")
_FLOW_INDICATORS = set(",[]{}")
_STR_TAG = "tag:yaml.org,2002:str"


@dataclass(frozen=True)
class Layout:
    """How the file indents block collections (measured from the file, 2 by default)."""

    mapping_indent: int = 2  # a nested block mapping's keys, from its parent key
    sequence_indent: int = 2  # a block sequence's dashes, from its parent key (0: flush)
    item_offset: int = 2  # from a dash to its item


def is_collection(value: Any) -> bool:
    return isinstance(value, dict | list)


def is_block_collection(value: Any) -> bool:
    """A collection that block style can write: one that is not empty."""
    return is_collection(value) and bool(value)


# ---------------------------------------------------------------- scalars


def scalar_text(value: Any, *, style: str | None = None, flow: bool = False) -> str:
    """``value`` (a scalar, or an empty collection) as YAML text on one line."""
    if isinstance(value, str):
        if style == "'" and single_quote_ok(value):
            return "'" + value.replace("'", "''") + "'"
        if style != '"' and plain_ok(value, flow=flow):
            return value
        return double_quoted(value)
    return _non_string(value)


def _non_string(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _float_text(value)
    if isinstance(value, dict | list) and not value:
        return "{}" if isinstance(value, dict) else "[]"
    raise TypeError(f"not a JSON scalar: {value!r}")


def _float_text(value: float) -> str:
    if math.isnan(value):
        return ".nan"
    if math.isinf(value):
        return ".inf" if value > 0 else "-.inf"
    return repr(value)


def double_quoted(text: str) -> str:
    """JSON's string syntax, with the characters YAML cannot hold raw escaped as well."""
    quoted = json.dumps(text, ensure_ascii=False)
    return _NOT_RAW.sub(lambda match: f"\\u{ord(match[0]):04x}", quoted)


def single_quote_ok(text: str) -> bool:
    return "\n" not in text and "\r" not in text and not _NOT_RAW.search(text)


def plain_ok(text: str, *, flow: bool) -> bool:
    """Whether ``text`` written plain reads back as this very string."""
    if not text or text != text.strip(" ") or _NOT_RAW.search(text):
        return False
    if any(character in text for character in "\t\r\n\x85\xa0"):
        return False
    first, second = text[0], text[1:2]
    if first in _PLAIN_FIRST_REFUSED and not (first == "-" and second not in ("", " ")):
        return False
    if ": " in text or " #" in text or text.endswith(":") or text.startswith(("---", "...")):
        return False
    if flow and (":" in text or any(character in _FLOW_INDICATORS for character in text)):
        return False
    return _resolves_to_string(text)


@functools.lru_cache(maxsize=1024)
def _resolves_to_string(text: str) -> bool:
    from ruamel.yaml.nodes import ScalarNode  # noqa: PLC0415
    from ruamel.yaml.resolver import VersionedResolver  # noqa: PLC0415

    return str(VersionedResolver().resolve(ScalarNode, text, (True, False))) == _STR_TAG


def literal_ok(text: str) -> bool:
    """Whether a literal block scalar (``|`` or ``|-``) holds ``text`` exactly."""
    if not text or text[0] in " \n" or "\r" in text or _NOT_RAW.search(text):
        return False
    if "\x85" in text or text.endswith("\n\n"):
        return False  # a kept trailing blank line would swallow the lines after it
    first_line = text.split("\n", 1)[0]
    return bool(first_line.strip())


def block_scalar(text: str, *, folded: bool, content_column: int, header_comment: str = "") -> str:
    """A block scalar: its header (and comment), then the lines at ``content_column``."""
    chomped = "|" if text.endswith("\n") else "|-"
    indicator = ">-" if folded and "\n" not in text else chomped
    body = text[:-1] if text.endswith("\n") else text
    lines = [(" " * content_column + line) if line else "" for line in body.split("\n")]
    return indicator + header_comment + "\n" + "\n".join(lines)


def wants_literal(value: Any, style: str | None) -> bool:
    """A multi-line string, or one that was a block scalar, in a block scalar if exact."""
    if not isinstance(value, str) or not literal_ok(value):
        return False
    return style in ("|", ">") or (style is None and "\n" in value)


# ---------------------------------------------------------------- flow


def flow_text(value: Any, *, padded: bool = False) -> str:
    """``value`` in flow style on one line (``{a: 1, b: [x]}``)."""
    if isinstance(value, dict) and value:
        inner = ", ".join(
            f"{scalar_text(key, flow=True)}: {flow_text(item)}" for key, item in value.items()
        )
        return "{ " + inner + " }" if padded else "{" + inner + "}"
    if isinstance(value, list) and value:
        inner = ", ".join(flow_text(item) for item in value)
        return "[ " + inner + " ]" if padded else "[" + inner + "]"
    return scalar_text(value, flow=True)


# ---------------------------------------------------------------- block


def block_text(value: Any, column: int, layout: Layout) -> str:
    """A non-empty collection in block style whose first line starts at ``column``.

    The first line carries no indentation (it continues the line it is written on); the
    others are indented to their absolute columns. No line break at the end.
    """
    parts: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            parts.append(scalar_text(key) + ":" + after_key(item, column, layout))
    else:
        dash = "-" + " " * (layout.item_offset - 1)
        parts.extend(dash + item_text(item, column + layout.item_offset, layout) for item in value)
    return ("\n" + " " * column).join(parts)


def after_key(value: Any, key_column: int, layout: Layout) -> str:
    """What follows ``key:`` for ``value``: an inline scalar, or a nested block."""
    if isinstance(value, dict) and value:
        child = key_column + layout.mapping_indent
        return "\n" + " " * child + block_text(value, child, layout)
    if isinstance(value, list) and value:
        child = key_column + layout.sequence_indent
        return "\n" + " " * child + block_text(value, child, layout)
    if wants_literal(value, None):
        content = key_column + layout.mapping_indent
        return " " + block_scalar(value, folded=False, content_column=content)
    return " " + scalar_text(value)


def item_text(value: Any, item_column: int, layout: Layout) -> str:
    """A sequence item written after its dash, at ``item_column``."""
    if is_block_collection(value):
        return block_text(value, item_column, layout)
    if wants_literal(value, None):
        return block_scalar(value, folded=False, content_column=item_column)
    return scalar_text(value)
