"""Applying the SQL migrations in order, once each, with their checksums recorded."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

import psycopg

from jobforge.db.connection import connect
from jobforge.db.errors import translate
from jobforge.errors import MigrationError

MIGRATION_FILE_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")
# pg_advisory_lock key held while migrating, so concurrent runs apply each file once.
MIGRATION_LOCK_KEY = 0x6A6F62666F7267  # "jobforg"

_CREATE_HISTORY_TABLE = """
CREATE TABLE IF NOT EXISTS jobforge_schema_migrations (
    version    integer     PRIMARY KEY,
    name       text        NOT NULL,
    checksum   text        NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
)
"""


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
    or a recorded version this installation does not know, raises MigrationError.
    """
    wanted = migrations if migrations is not None else load_migrations()
    with connect(database_url) as conn:
        try:
            conn.execute("SELECT pg_advisory_lock(%s)", (MIGRATION_LOCK_KEY,))
            try:
                conn.execute(_CREATE_HISTORY_TABLE)
                recorded = {
                    row["version"]: row
                    for row in conn.execute(
                        "SELECT version, name, checksum FROM jobforge_schema_migrations"
                    )
                }
                already = _check_recorded(recorded, wanted)
                applied: list[Migration] = []
                for migration in wanted:
                    if migration.version in recorded:
                        continue
                    _apply(conn, migration)
                    applied.append(migration)
            finally:
                conn.execute("SELECT pg_advisory_unlock(%s)", (MIGRATION_LOCK_KEY,))
        except psycopg.Error as exc:
            raise translate(exc) from exc
    return MigrationReport(applied=tuple(applied), already_applied=tuple(already))


def _check_recorded(
    recorded: dict[object, dict[str, object]], wanted: list[Migration]
) -> list[Migration]:
    known = {migration.version: migration for migration in wanted}
    for version in sorted(v for v in recorded if isinstance(v, int)):
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


def _apply(conn: psycopg.Connection[dict[str, object]], migration: Migration) -> None:
    try:
        with conn.transaction():
            conn.execute(migration.sql.encode("utf-8"))
            conn.execute(
                "INSERT INTO jobforge_schema_migrations (version, name, checksum) "
                "VALUES (%s, %s, %s)",
                (migration.version, migration.name, migration.checksum),
            )
    except psycopg.Error as exc:
        raise MigrationError(
            f"{migration.filename} failed to apply and was rolled back: "
            f"{exc.diag.message_primary or exc}"
        ) from exc
