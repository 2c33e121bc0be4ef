"""Finding the database URL and opening connections with errors a user can act on."""

from __future__ import annotations

import os

import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from psycopg.rows import dict_row

from jobforge.db.json_loading import use_tolerant_json_loading
from jobforge.errors import ConfigurationError, DatabaseUnavailable

DATABASE_URL_VARIABLES = ("JOBFORGE_DATABASE_URL", "DATABASE_URL")
CONNECT_TIMEOUT_SECONDS = 10
APPLICATION_NAME = "jobforge"


def database_url_from_env() -> str | None:
    """The first of JOBFORGE_DATABASE_URL, DATABASE_URL that is set and not empty."""
    for variable in DATABASE_URL_VARIABLES:
        value = os.environ.get(variable, "").strip()
        if value:
            return value
    return None


def require_database_url(explicit: str | None) -> str:
    """``explicit`` if given, else the URL from the environment, else a ConfigurationError."""
    url = explicit or database_url_from_env()
    if not url:
        raise ConfigurationError(
            "no database URL: pass --database-url or set JOBFORGE_DATABASE_URL (or DATABASE_URL)"
        )
    return url


def redact(url: str) -> str:
    """The URL with any password removed, fit for messages and logs."""
    try:
        params = conninfo_to_dict(url)
    except psycopg.ProgrammingError:
        return "<unparseable database URL>"
    params.pop("password", None)
    return make_conninfo(**{key: str(value) for key, value in params.items()})


def _conninfo(url: str) -> str:
    try:
        params = conninfo_to_dict(url)
    except psycopg.ProgrammingError as exc:
        raise ConfigurationError(f"malformed database URL {redact(url)!r}: {exc}") from exc
    params.setdefault("connect_timeout", str(CONNECT_TIMEOUT_SECONDS))
    params.setdefault("application_name", APPLICATION_NAME)
    return make_conninfo(**{key: str(value) for key, value in params.items()})


def connect(url: str, *, autocommit: bool = True) -> psycopg.Connection[dict[str, object]]:
    """A connection returning rows as dicts; unreachable servers raise DatabaseUnavailable."""
    try:
        conn = psycopg.connect(_conninfo(url), autocommit=autocommit, row_factory=dict_row)
    except psycopg.OperationalError as exc:
        raise DatabaseUnavailable(f"cannot connect to {redact(url)}: {_first_line(exc)}") from exc
    use_tolerant_json_loading(conn)
    return conn


async def connect_async(
    url: str, *, autocommit: bool = True
) -> psycopg.AsyncConnection[dict[str, object]]:
    """The asyncio twin of :func:`connect`."""
    try:
        conn = await psycopg.AsyncConnection.connect(
            _conninfo(url), autocommit=autocommit, row_factory=dict_row
        )
    except psycopg.OperationalError as exc:
        raise DatabaseUnavailable(f"cannot connect to {redact(url)}: {_first_line(exc)}") from exc
    use_tolerant_json_loading(conn)
    return conn


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
