"""The operator read models' named SQL blocks (``queries.sql``), parsed once, and running them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cache
from importlib import resources
from typing import Any, LiteralString

import psycopg
from psycopg.rows import dict_row

from jobforge.db.errors import translated_errors
from jobforge.db.queries import parse_named_queries

# Blocks that are parts of queries, not queries: ``{{name}}`` in another block stands for
# the fragment's SQL, so the listings share one copy of their filters.
FRAGMENTS = ("job_filter",)


@cache
def _queries() -> dict[str, str]:
    text = resources.files("jobforge.operations").joinpath("queries.sql").read_text("utf-8")
    return with_fragments(parse_named_queries(text), FRAGMENTS)


def with_fragments(blocks: Mapping[str, str], fragments: Sequence[str]) -> dict[str, str]:
    """The queries of ``blocks`` with each ``{{fragment}}`` replaced by its block's SQL;
    ValueError for a placeholder naming no fragment."""
    queries = {}
    for name, block in blocks.items():
        if name in fragments:
            continue
        sql = block
        for fragment in fragments:
            sql = sql.replace("{{" + fragment + "}}", blocks[fragment])
        if "{{" in sql:
            raise ValueError(f"query {name!r}: a {{{{...}}}} placeholder names no fragment")
        queries[name] = sql
    return queries


def operations_query(name: str) -> LiteralString:
    """The SQL of the named block in jobforge/operations/queries.sql (trusted text)."""
    return _queries()[name]


def fetch_rows(
    conn: psycopg.Connection[Any], name: str, params: Mapping[str, Any]
) -> list[dict[str, Any]]:
    """Run the named query; rows as dicts, psycopg errors as JobForge errors.

    Never prepared: a prepared (generic) plan could not fold away the filters left empty,
    and would walk the wrong index on a large table.
    """
    with translated_errors():
        cursor = conn.cursor(row_factory=dict_row)
        return cursor.execute(operations_query(name), params, prepare=False).fetchall()
