"""The ingress's named SQL blocks (``queries.sql``), parsed once."""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import LiteralString

from jobforge.db.queries import parse_named_queries


@cache
def _queries() -> dict[str, str]:
    text = resources.files("jobforge.server").joinpath("queries.sql").read_text(encoding="utf-8")
    return parse_named_queries(text)


def server_query(name: str) -> LiteralString:
    """The SQL of the named block in jobforge/server/queries.sql (trusted text)."""
    return _queries()[name]
