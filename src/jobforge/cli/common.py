"""What every command shares: the database option and turning errors into exit codes."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from jobforge.errors import JobForgeError

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


def add_database_url_option(parser: argparse.ArgumentParser, *, required: bool) -> None:
    help_text = "PostgreSQL URL (default: $JOBFORGE_DATABASE_URL, then $DATABASE_URL)"
    if not required:
        help_text += "; without one, an embedded throwaway PostgreSQL is used"
    parser.add_argument("--database-url", metavar="URL", default=None, help=help_text)


def run_reporting_errors(prog: str, command: Callable[[], int]) -> int:
    """Run ``command``; a JobForge error or Ctrl-C becomes a one-line message and exit code."""
    try:
        return command()
    except JobForgeError as exc:
        print(f"{prog}: error: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    except KeyboardInterrupt:
        print(f"{prog}: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
