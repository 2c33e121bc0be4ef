"""Decoding json and jsonb columns with the C scanner directly, one value at a time.

psycopg decodes them with ``json.loads``, whose Python-level set-up (encoding detection,
decoder dispatch) costs several times the parse of a small payload; a worker decodes one
payload per job. The text PostgreSQL sends is a single JSON value, so the scanner alone
reads it; anything it does not read to the end goes to ``json.loads`` unchanged.
"""

from __future__ import annotations

import json
import json.scanner
from collections.abc import Callable
from typing import Any

from psycopg.abc import AdaptContext
from psycopg.types.json import set_json_loads

# typeshed declares make_scanner's argument as make_scanner itself; it takes a decoder.
_scan_once: Callable[[str, int], tuple[Any, int]] = json.scanner.make_scanner(
    json.JSONDecoder()  # type: ignore[arg-type]
)


def loads(data: bytes | bytearray | memoryview | str) -> Any:
    """``json.loads(data)``, faster for one JSON value without surrounding white space."""
    text = data if isinstance(data, str) else bytes(data).decode("utf-8")
    try:
        value, end = _scan_once(text, 0)
    except StopIteration:
        return json.loads(text)  # raises the json module's own error
    if end != len(text):
        return json.loads(text)
    return value


class UndecodableJson:
    """What a tolerant connection reads in place of a json or jsonb value that Python
    cannot decode (nested deeper than its recursion limit, an integer of more than 4,300
    digits): one bad row must not fail the rows read with it."""

    __slots__ = ("reason",)

    def __init__(self, reason: str) -> None:
        self.reason = reason

    def __repr__(self) -> str:
        return f"UndecodableJson({self.reason!r})"


def tolerant_loads(data: bytes | bytearray | memoryview | str) -> Any:
    """:func:`loads`, or an :class:`UndecodableJson` saying why the value cannot be read."""
    try:
        return loads(data)
    except RecursionError:
        return UndecodableJson("nested too deeply for the JSON decoder")
    except Exception as exc:  # noqa: BLE001 - any decoding failure is reported, not raised
        return UndecodableJson(f"{type(exc).__name__}: {str(exc)[:200]}")


def use_tolerant_json_loading(context: AdaptContext) -> None:
    """Read json and jsonb columns through ``context`` (a connection) with
    :func:`tolerant_loads`: a value Python cannot decode becomes an UndecodableJson in its
    row instead of failing every row read with it (a worker fails that job alone; a client
    shows the job with the reason)."""
    set_json_loads(tolerant_loads, context)
