"""Applying the SQL migrations in order, once each, with their checksums recorded."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

import psycopg

from jobforge.db import migration_history
from jobforge.db.connection import connect
from jobforge.db.errors import translate
from jobforge.errors import MigrationError

MIGRATION_FILE_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")
# pg_advisory_lock key held while migrating, so concurrent runs apply each file once.
MIGRATION_LOCK_KEY = 0x6A6F62666F7267  # "jobforg"


@dataclass(frozen=True, slots=True)
class Migration:
    """One file of sql/migrations: ``0001_router.sql`` is version 1, name ``router``."""

    version: int
    name: str
    filename: str
    sql: str = field(repr=False)
    checksum: str


@dataclass(frozen=True, slots=True)
class MigrationReport:
    applied: tuple[Migration, ...]
    already_applied: tuple[Migration, ...]
    # Found applied by hand (psql -f of the shipped files) and recorded, not run again.
    recorded_as_applied: tuple[Migration, ...] = ()


def migrations_directory() -> Traversable:
    """The migrations shipped in the wheel, or sql/migrations of a source checkout."""
    packaged = resources.files("jobforge").joinpath("_sql", "migrations")
    if packaged.is_dir():
        return packaged
    checkout = Path(__file__).resolve().parents[3] / "sql" / "migrations"
    if checkout.is_dir():
        return checkout
    raise MigrationError("the JobForge migrations are missing from this installation")


def load_migrations(directory: Traversable | None = None) -> list[Migration]:
    """Every migration file, ordered by version; versions must run 1, 2, 3, ... without gaps."""
    folder = directory if directory is not None else migrations_directory()
    migrations: list[Migration] = []
    for entry in folder.iterdir():
        if not entry.name.endswith(".sql"):
            continue
        match = MIGRATION_FILE_NAME.fullmatch(entry.name)
        if match is None:
            raise MigrationError(
                f"{entry.name}: migration files are named NNNN_name.sql "
                "(four digits, lower-case name)"
            )
        raw = entry.read_bytes()
        migrations.append(
            Migration(
                version=int(match.group(1)),
                name=match.group(2),
                filename=entry.name,
                sql=raw.decode("utf-8"),
                checksum=hashlib.sha256(raw).hexdigest(),
            )
        )
    migrations.sort(key=lambda migration: migration.version)
    for expected, migration in enumerate(migrations, start=1):
        if migration.version != expected:
            raise MigrationError(
                f"{migration.filename}: expected migration version {expected:04d} here; "
                "versions must be consecutive and unique"
            )
    return migrations


def schema_fingerprint(migrations: list[Migration]) -> str:
    """A short hash naming the schema that ``migrations`` build (used for template names)."""
    digest = hashlib.sha256()
    for migration in migrations:
        digest.update(f"{migration.version}:{migration.checksum}\n".encode())
    return digest.hexdigest()[:16]


def migrate(database_url: str, migrations: list[Migration] | None = None) -> MigrationReport:
    """Apply pending migrations, each in its own transaction, under an advisory lock.

    A second run is a no-op. A recorded migration whose file changed since it was applied,
    or a recorded version this installation does not know, raises MigrationError. A
    database whose schema was applied by hand (no history) has the versions it already
    holds recorded, not run again. A failure leaves the database as it was before the
    failing migration: its transaction (with the history table, when it creates it) is
    rolled back.
    """
    wanted = migrations if migrations is not None else load_migrations()
    with connect(database_url) as conn:
        try:
            conn.execute("SELECT pg_advisory_lock(%s)", (MIGRATION_LOCK_KEY,))
            try:
                return _migrate_locked(conn, wanted)
            finally:
                conn.execute("SELECT pg_advisory_unlock(%s)", (MIGRATION_LOCK_KEY,))
        except psycopg.Error as exc:
            raise translate(exc) from exc


def _migrate_locked(
    conn: psycopg.Connection[dict[str, Any]], wanted: list[Migration]
) -> MigrationReport:
    history = migration_history.find_history(conn)
    adopted: list[Migration] = []
    if history is None:
        adopted = wanted[: migration_history.versions_applied_by_hand(conn, len(wanted))]
        if adopted:
            with conn.transaction():
                history = migration_history.create_history(conn)
                for migration in adopted:
                    migration_history.record(
                        conn, history, migration.version, migration.name, migration.checksum
                    )
    recorded = migration_history.read_history(conn, history) if history is not None else {}
    already = _check_recorded(recorded, wanted)
    applied: list[Migration] = []
    for migration in wanted:
        if migration.version in recorded:
            continue
        _apply(conn, migration)
        applied.append(migration)
    already = [m for m in already if m not in adopted]
    return MigrationReport(
        applied=tuple(applied), already_applied=tuple(already), recorded_as_applied=tuple(adopted)
    )


def _check_recorded(
    recorded: dict[int, dict[str, Any]], wanted: list[Migration]
) -> list[Migration]:
    known = {migration.version: migration for migration in wanted}
    for version in sorted(recorded):
        if version not in known:
            raise MigrationError(
                f"the database has migration {version:04d} ({recorded[version]['name']}), "
                "which this JobForge does not ship: upgrade JobForge"
            )
    already: list[Migration] = []
    for migration in wanted:
        row = recorded.get(migration.version)
        if row is None:
            continue
        if row["checksum"] != migration.checksum:
            raise MigrationError(
                f"{migration.filename} changed after it was applied (recorded checksum "
                f"{str(row['checksum'])[:12]}…, file {migration.checksum[:12]}…): "
                "applied migrations are immutable; put the change in a new migration file"
            )
        already.append(migration)
    return already


def _apply(conn: psycopg.Connection[dict[str, Any]], migration: Migration) -> None:
    try:
        with conn.transaction():
            # Created with the first version it records, so a failure leaves no empty table.
            history = migration_history.find_history(conn) or migration_history.create_history(conn)
            conn.execute(migration.sql.encode("utf-8"))
            # Version 3 moves the table, so it is looked up again after the migration ran.
            history = migration_history.find_history(conn) or history
            migration_history.record(
                conn, history, migration.version, migration.name, migration.checksum
            )
    except psycopg.Error as exc:
        raise MigrationError(
            f"{migration.filename} failed to apply and was rolled back: "
            f"{exc.diag.message_primary or exc}"
        ) from exc
