"""Named SQL blocks from ``queries.sql``, parsed once into a mapping of name to SQL text."""

from __future__ import annotations

import re
from functools import cache
from importlib import resources
from typing import LiteralString

_BLOCK_HEADER = re.compile(r"^-- ([a-z_][a-z0-9_]*) --$", re.MULTILINE)


def parse_named_queries(text: str) -> dict[str, str]:
    """Split ``text`` at ``-- name --`` lines into {name: sql}.

    Each block must start with a comment line describing it and hold some SQL; a name may
    appear once. Text before the first header (the file's preamble) is ignored.
    """
    headers = list(_BLOCK_HEADER.finditer(text))
    queries: dict[str, str] = {}
    for index, header in enumerate(headers):
        name = header.group(1)
        end = headers[index + 1].start() if index + 1 < len(headers) else len(text)
        body_lines = text[header.end() : end].strip().splitlines()
        if not body_lines or not body_lines[0].startswith("--"):
            raise ValueError(f"query {name!r}: the line after the header must be a comment")
        sql = "\n".join(line for line in body_lines if not line.startswith("--")).strip()
        if not sql:
            raise ValueError(f"query {name!r} has no SQL")
        if name in queries:
            raise ValueError(f"query {name!r} is defined twice")
        queries[name] = sql
    return queries


@cache
def _queries() -> dict[str, str]:
    text = resources.files("jobforge.db").joinpath("queries.sql").read_text(encoding="utf-8")
    return parse_named_queries(text)


def query(name: str) -> LiteralString:
    """The SQL of the named block in queries.sql (trusted text shipped with JobForge)."""
    return _queries()[name]
