"""The dashboard's named SQL blocks (``queries.sql``), parsed once, and running them."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import Any, LiteralString

import psycopg
from psycopg.rows import dict_row

from jobforge.db.errors import translated_errors
from jobforge.db.queries import parse_named_queries


@cache
def _queries() -> dict[str, str]:
    text = resources.files("jobforge.dashboard").joinpath("queries.sql").read_text("utf-8")
    return parse_named_queries(text)


def dashboard_query(name: str) -> LiteralString:
    """The SQL of the named block in jobforge/dashboard/queries.sql (trusted text)."""
    return _queries()[name]


def fetch_rows(
    conn: psycopg.Connection[Any], name: str, params: Mapping[str, Any]
) -> list[dict[str, Any]]:
    """Run the named query, never prepared; rows as dicts, psycopg errors as JobForge errors."""
    with translated_errors():
        cursor = conn.cursor(row_factory=dict_row)
        return cursor.execute(dashboard_query(name), params, prepare=False).fetchall()
