"""Decoding json and jsonb columns with the C scanner directly.

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


def use_fast_json_loading(context: AdaptContext) -> None:
    """Decode json and jsonb columns read through ``context`` (a connection) with :func:`loads`."""
    set_json_loads(loads, context)
