"""Strings that escape a UTF-16 surrogate: refused, since no Unicode text holds one.

A JSON or YAML string is a sequence of Unicode scalar values, and U+D800 to U+DFFF are
not scalar values: they are the halves UTF-16 uses for characters above U+FFFF. An
escape can still write one (``"\\ud800"``). JSON reads a high surrogate escape followed by
a low one as the character they encode (``"\\ud834\\udd1e"`` is U+1D11E), so what remains
is a lone half; YAML never pairs them, so a pair written as two ``\\u`` escapes is two lone
halves there (``\\U0001D11E`` is the YAML way). Either way the string cannot be written
as UTF-8, compared, or sent to the router, so it is refused where it is (JF118), and the
message names the escape, never the surrogate itself. The document then holds U+FFFD
in its place, so the rest of the file can still be checked.

The file's text is searched for an escape that could produce one before any string is:
a file without ``\\ud8`` .. ``\\udf`` (or ``\\U0000D8``..) costs one regular expression.
"""

from __future__ import annotations

import re
from typing import Final

MAY_ESCAPE_SURROGATES: Final = re.compile(r"\\(?:u|U0000)[dD][89a-fA-F]")
"""An escape in the text that may write a surrogate (a false match costs a search)."""

_SURROGATE = re.compile("[\ud800-\udfff]")
_PAIR = re.compile("[\ud800-\udbff][\udc00-\udfff]")


def has_surrogate(text: str) -> bool:
    return _SURROGATE.search(text) is not None


def replaced(text: str) -> str:
    """``text`` with each surrogate replaced by U+FFFD, the stand-in the checks that follow
    read (pydantic refuses a whole document that holds one)."""
    return _SURROGATE.sub("\ufffd", text)


def _escape(text: str) -> str:
    return "".join(f"\\u{ord(character):04x}" for character in text)


def surrogate_message(text: str, *, is_key: bool = False, pairs_combine: bool = False) -> str:
    """What is wrong with ``text``, which holds a surrogate, and how to write it instead.

    ``pairs_combine``: the file is JSON, where a high and a low escape make one character,
    so any surrogate left is a lone one.
    """
    holder = "the key" if is_key else "the string"
    pair = None if pairs_combine else _PAIR.search(text)
    if pair is not None:
        high, low = (ord(character) for character in pair.group())
        code_point = 0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00)
        return (
            f"{holder} escapes {_escape(pair.group())}, a UTF-16 surrogate pair, which YAML "
            f"does not combine into one character; write \\U{code_point:08x} or the character "
            "itself"
        )
    found = _SURROGATE.search(text)
    lone = _escape(found.group()) if found is not None else "a surrogate"
    advice = "write the character itself"
    if pairs_combine:
        advice += ", or a high and a low surrogate in that order (\\ud834\\udd1e)"
    return (
        f"{holder} escapes {lone}, a lone UTF-16 surrogate, which is not a Unicode "
        f"character; {advice}"
    )
