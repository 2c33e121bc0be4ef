"""The record of applied migrations, and recognising a schema applied without it.

The record is the table ``jobforge.jobforge_schema_migrations`` (a database migrated before
version 3 keeps it on its search path until version 3 moves it). A database whose schema
was applied by hand, with ``psql -f`` of the shipped files, has no record: the probes in
``schema_probes.sql`` tell how far those files went, so ``jobforge migrate`` records those
versions and goes on from there.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

import psycopg
from psycopg import sql

from jobforge.db.queries import parse_named_queries
from jobforge.errors import MigrationError

SCHEMA = "jobforge"
HISTORY_TABLE = sql.Identifier(SCHEMA, "jobforge_schema_migrations")
_LEGACY_HISTORY_TABLE = sql.Identifier("jobforge_schema_migrations")
_CREATE_HISTORY_TABLE = sql.SQL("""
CREATE TABLE {table} (
    version    integer     PRIMARY KEY,
    name       text        NOT NULL,
    checksum   text        NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
);
-- Owner only, like every JobForge table: no policy, so no other role reads a row.
ALTER TABLE {table} ENABLE ROW LEVEL SECURITY
""").format(table=HISTORY_TABLE)

Connection = psycopg.Connection[dict[str, Any]]


def find_history(conn: Connection) -> sql.Identifier | None:
    """The history table, wherever this database keeps it; None when it has none."""
    found = conn.execute(
        "SELECT to_regclass(%s) IS NOT NULL AS current, to_regclass(%s) IS NOT NULL AS legacy",
        (HISTORY_TABLE.as_string(conn), _LEGACY_HISTORY_TABLE.as_string(conn)),
    ).fetchone()
    assert found is not None
    if found["current"]:
        return HISTORY_TABLE
    if found["legacy"]:
        return _LEGACY_HISTORY_TABLE
    return None


def create_history(conn: Connection) -> sql.Identifier:
    """Create the history table (and the schema); call inside the transaction that first
    records a version, so a failed migrate leaves nothing behind."""
    conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(SCHEMA)))
    conn.execute(_CREATE_HISTORY_TABLE)
    return HISTORY_TABLE


def read_history(conn: Connection, table: sql.Identifier) -> dict[int, dict[str, Any]]:
    rows = conn.execute(sql.SQL("SELECT version, name, checksum FROM {}").format(table))
    return {int(row["version"]): row for row in rows}


def record(conn: Connection, table: sql.Identifier, version: int, name: str, checksum: str) -> None:
    conn.execute(
        sql.SQL("INSERT INTO {} (version, name, checksum) VALUES (%s, %s, %s)").format(table),
        (version, name, checksum),
    )


def versions_applied_by_hand(conn: Connection, shipped: int) -> int:
    """How many of the shipped migrations (1, 2, ... in order) a database with no history
    table already has; 0 for a database with no JobForge objects. MigrationError when
    JobForge-named objects are there that no version accounts for."""
    probes = _probes()
    applied = 0
    for version in range(1, shipped + 1):
        probe = probes.get(f"version_{version}")
        if probe is None:
            raise MigrationError(
                f"no probe for migration {version:04d} in schema_probes.sql: this "
                "installation cannot tell whether a hand-applied schema has it"
            )
        row = conn.execute(probe).fetchone()
        if row is None or not row["applied"]:
            break
        applied = version
    if applied == 0:
        found = [row["name"] for row in conn.execute(probes["jobforge_objects"])]
        if found:
            raise MigrationError(
                "the database holds objects named like JobForge's but no JobForge schema "
                f"and no migration history ({', '.join(found)}): migrate a database without "
                "them, or drop them if they are left from an earlier attempt"
            )
    return applied


@cache
def _probes() -> dict[str, Any]:
    text = resources.files("jobforge.db").joinpath("schema_probes.sql").read_text("utf-8")
    return dict(parse_named_queries(text))
