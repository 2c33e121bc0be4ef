"""`jobforge demo`: show the router working end to end on a throwaway database."""

from __future__ import annotations

import argparse
import logging

from jobforge.cli.common import EXIT_OK, add_database_url_option
from jobforge.db.connection import database_url_from_env


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "demo",
        help="run the router end to end on a throwaway database",
        description="Create a throwaway database (on --database-url's server, or an "
        "embedded PostgreSQL), enqueue jobs, drain them with a worker, print a summary, "
        "and remove the database.",
    )
    add_database_url_option(parser, required=False)
    parser.add_argument("--jobs", type=int, default=5000, help="greetings to enqueue")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    # The demo fails jobs on purpose; its summary tells the story, not the worker's log.
    logging.getLogger("jobforge").setLevel(logging.CRITICAL)
    # Imported here: every `jobforge` command builds this parser.
    from jobforge.demo.scenario import format_summary, run_demo  # noqa: PLC0415

    summary = run_demo(args.database_url or database_url_from_env(), args.jobs, print)
    print(format_summary(summary))
    return EXIT_OK
