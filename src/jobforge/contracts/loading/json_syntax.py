"""JSON the standard parser refuses, in words a person who wrote it can act on.

``json.loads`` says where it stopped and what it expected there, in parser terms: a
trailing comma is ``Expecting property name enclosed in double quotes``. The common
mistakes (trailing commas, single quotes, comments, unquoted keys, a missing comma, a bare
word) each leave a mark at that place that is cheap to recognise and certain, so they get
a plain message, as check-jsonschema and jq give; anything else keeps the parser's words.

The nesting limit is checked here too, before parsing: ``json.loads`` recurses once per
level and would end a deep file with a RecursionError instead of saying where the limit is.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable

_STRING_OR_BRACKET = re.compile(r'"(?:[^"\\]|\\.)*"?|[\[\]{}]')
_WORD = re.compile(r"[A-Za-z_$][A-Za-z0-9_$]*")
_KEY_WORD = re.compile(r"([A-Za-z_$][A-Za-z0-9_$-]*)\s*:")
_VALUE_STARTS = tuple('"{[-0123456789tfn')
_WHITESPACE = " \t\n\r"


def nesting_too_deep(text: str, max_depth: int) -> int | None:
    """The offset of the first array or object nested deeper than ``max_depth``, if any."""
    if text.count("[") + text.count("{") <= max_depth:
        return None  # the common case: too few brackets to reach the limit
    depth = 0
    for match in _STRING_OR_BRACKET.finditer(text):
        char = text[match.start()]
        if char in "[{":
            depth += 1
            if depth > max_depth:
                return match.start()
        elif char in "]}":
            depth -= 1
    return None


def explain(text: str, error: json.JSONDecodeError) -> tuple[str, int]:
    """A message for ``error`` and the offset in ``text`` it is about."""
    trailing = _trailing_comma(text, error.pos)
    if trailing is not None:
        comma, closer = trailing
        return f"trailing comma before `{closer}`; remove it", comma
    for recognise in _MISTAKES:
        message = recognise(text, error.pos, error.msg)
        if message is not None:
            return message, error.pos
    return error.msg[0].lower() + error.msg[1:], error.pos


def _byte_order_mark(_text: str, _offset: int, parser_message: str) -> str | None:
    if parser_message.startswith("Unexpected UTF-8 BOM"):
        return "the file starts with a byte order mark; save it as UTF-8 without BOM"
    return None


def _single_quote(text: str, offset: int, _parser_message: str) -> str | None:
    if text.startswith("'", offset):
        return "single quotes: JSON strings and keys take double quotes"
    return None


def _comment(text: str, offset: int, _parser_message: str) -> str | None:
    if text.startswith(("//", "/*", "#"), offset):
        return "comments are not allowed in JSON; remove it"
    return None


def _unquoted_key(text: str, offset: int, parser_message: str) -> str | None:
    key = _KEY_WORD.match(text, offset)
    if parser_message.startswith("Expecting property name") and key is not None:
        return f'key {key[1]} is not quoted; write it in double quotes: "{key[1]}"'
    return None


def _missing_comma(text: str, offset: int, parser_message: str) -> str | None:
    next_char = text[offset : offset + 1]
    if parser_message.startswith("Expecting ',' delimiter") and next_char in _VALUE_STARTS:
        return "missing comma; add `,` before this item"
    return None


def _bare_word(text: str, offset: int, parser_message: str) -> str | None:
    word = _WORD.match(text, offset)
    if parser_message.startswith("Expecting value") and word is not None:
        return (
            f'{word[0]} is not a JSON value; quote a string ("{word[0]}"), '
            "or write true, false or null"
        )
    return None


def _string_mistake(text: str, offset: int, parser_message: str) -> str | None:
    if parser_message.startswith("Unterminated string"):
        return "unterminated string: add the closing double quote"
    if parser_message.startswith("Invalid control character") and text.startswith(
        ("\n", "\r"), offset
    ):
        return "a line break inside a string; close the string before it, or write it as \\n"
    return None


def _extra_data(_text: str, _offset: int, parser_message: str) -> str | None:
    if parser_message.startswith("Extra data"):
        return "unexpected text after the end of the document"
    return None


# In order: a comment after the document is a comment, not extra data.
_MISTAKES: tuple[Callable[[str, int, str], str | None], ...] = (
    _byte_order_mark,
    _single_quote,
    _comment,
    _unquoted_key,
    _missing_comma,
    _bare_word,
    _string_mistake,
    _extra_data,
)


def _trailing_comma(text: str, offset: int) -> tuple[int, str] | None:
    """The comma and the bracket it stands before, when the error is a trailing comma.

    Up to Python 3.12 the parser stops at the bracket after the comma; from 3.13 it
    stops at the comma itself ("Illegal trailing comma before end of object").
    """
    char = text[offset : offset + 1]
    if char in ("}", "]"):
        before = len(text[:offset].rstrip(_WHITESPACE)) - 1
        if before >= 0 and text[before] == ",":
            return before, char
    if char == ",":
        after = len(text) - len(text[offset + 1 :].lstrip(_WHITESPACE))
        if text[after : after + 1] in ("}", "]") and after < len(text):
            return offset, text[after]
    return None
