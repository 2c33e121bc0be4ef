"""What the operator commands share: filter options, argument types, output format, connection."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import TYPE_CHECKING, Any, TypeVar
from uuid import UUID

from jobforge.cli.common import add_database_url_option
from jobforge.db.connection import connect, require_database_url
from jobforge.errors import InvalidArgument

if TYPE_CHECKING:
    import psycopg

    from jobforge.operations import Cursor, JobFilter

T = TypeVar("T")
STATES_HELP = "queued, running, awaiting_retry, succeeded, dead, canceled"


def argument_type(name: str, parse: Callable[[str], T]) -> Callable[[str], T]:
    """An argparse type: InvalidArgument becomes argparse's own error (usage, exit 2)."""

    def convert(text: str) -> T:
        try:
            return parse(text)
        except InvalidArgument as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    convert.__name__ = name  # argparse names the type in "invalid <name> value" messages
    return convert


def _uuid(text: str) -> UUID:
    try:
        return UUID(text)
    except ValueError:
        raise InvalidArgument(f"expected a job id (a UUID), got {text!r}") from None


def _duration(text: str) -> timedelta:
    # Imported here: every `jobforge` command builds its parser, few read the queue.
    from jobforge.operations.filters import parse_duration  # noqa: PLC0415

    return parse_duration(text)


def _state(text: str) -> str:
    from jobforge.operations.filters import parse_state  # noqa: PLC0415

    return parse_state(text)


def _tenant(text: str) -> UUID:
    from jobforge.operations.filters import parse_tenant  # noqa: PLC0415

    return parse_tenant(text)


def _job_type(text: str) -> str:
    from jobforge.operations.filters import parse_job_type  # noqa: PLC0415

    return parse_job_type(text)


def _cursor(text: str) -> Cursor:
    from jobforge.operations.filters import Cursor  # noqa: PLC0415

    return Cursor.decode(text)


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise InvalidArgument(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise InvalidArgument(f"expected a number from 1, got {value}")
    return value


def _page_limit(text: str) -> int:
    from jobforge.operations.filters import page_size  # noqa: PLC0415

    return page_size(_positive_int(text))


job_id_type = argument_type("job id", _uuid)
duration_type = argument_type("duration", _duration)
state_type = argument_type("state", _state)
tenant_type = argument_type("tenant", _tenant)
job_type_type = argument_type("job type", _job_type)
cursor_type = argument_type("cursor", _cursor)
positive_int_type = argument_type("number", _positive_int)
page_limit_type = argument_type("limit", _page_limit)


def add_common_options(parser: argparse.ArgumentParser, *, formats: bool = True) -> None:
    if formats:
        parser.add_argument(
            "--format", choices=("text", "json"), default="text", help="output format"
        )
    add_database_url_option(parser, required=True)


def add_filter_options(parser: argparse.ArgumentParser, *, states: bool) -> None:
    parser.add_argument("--tenant", type=tenant_type, metavar="TENANT_ID", help="one tenant")
    parser.add_argument("--type", type=job_type_type, dest="job_type", help="one job type")
    if states:
        parser.add_argument(
            "--state", type=state_type, action="append", dest="states", metavar="STATE",
            help=f"jobs in this state (repeat for several): {STATES_HELP}",
        )  # fmt: skip
    parser.add_argument(
        "--older-than", type=duration_type, metavar="DURATION",
        help="enqueued at least this long ago: 90s, 10m, 1h30m, 7d, 2w",
    )  # fmt: skip
    parser.add_argument(
        "--newer-than", type=duration_type, metavar="DURATION",
        help="enqueued at most this long ago",
    )  # fmt: skip


def add_page_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--limit", type=page_limit_type, default=50, metavar="N",
        help="jobs per page (at most 1000; default 50)",
    )  # fmt: skip
    parser.add_argument(
        "--after", type=cursor_type, metavar="CURSOR",
        help="the page after this cursor (printed at the end of the page before)",
    )  # fmt: skip


def job_filter(args: argparse.Namespace) -> JobFilter:
    from jobforge.operations import JobFilter  # noqa: PLC0415

    return JobFilter(
        tenant_id=args.tenant,
        job_type=args.job_type,
        states=tuple(getattr(args, "states", None) or ()),
        older_than=args.older_than,
        newer_than=args.newer_than,
    )


@contextmanager
def operator_connection(args: argparse.Namespace) -> Iterator[psycopg.Connection[Any]]:
    """An autocommit connection to --database-url (or $JOBFORGE_DATABASE_URL)."""
    conn = connect(require_database_url(args.database_url))
    try:
        yield conn
    finally:
        conn.close()


def print_json(document: Any) -> None:
    sys.stdout.write(json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n")
