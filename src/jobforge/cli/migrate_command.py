"""`jobforge migrate`: apply pending migrations."""

from __future__ import annotations

import argparse

from jobforge.cli.common import EXIT_OK, add_database_url_option
from jobforge.db.connection import require_database_url
from jobforge.db.migrations import migrate


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "migrate",
        help="apply pending migrations",
        description="Apply pending migrations in order, each in its own transaction. "
        "A second run is a no-op; a changed applied migration is an error. A schema "
        "applied by hand with the shipped SQL files is recognised and recorded.",
    )
    add_database_url_option(parser, required=True)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    report = migrate(require_database_url(args.database_url))
    for migration in report.recorded_as_applied:
        print(f"recorded {migration.filename}: it was applied without jobforge migrate")
    for migration in report.applied:
        print(f"applied {migration.filename}")
    already = len(report.already_applied) + len(report.recorded_as_applied)
    total = len(report.applied) + already
    print(f"{len(report.applied)} migration(s) applied, {already} already applied, {total} in all")
    return EXIT_OK
