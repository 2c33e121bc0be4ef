"""The `jobforge` command: parse, dispatch to a command module, exit with its code."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from jobforge import __version__
from jobforge.cli import (
    admin_command,
    demo_command,
    doctor_command,
    keys_command,
    migrate_command,
    operator_command,
    replay_command,
    serve_command,
    worker_command,
)
from jobforge.cli.common import run_reporting_errors

PROG = "jobforge"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG, description="JobForge: a PostgreSQL-only job router."
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    demo_command.register(subparsers)
    migrate_command.register(subparsers)
    worker_command.register(subparsers)
    admin_command.register(subparsers)
    replay_command.register(subparsers)
    keys_command.register(subparsers)
    operator_command.register(subparsers)
    serve_command.register(subparsers)
    doctor_command.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return run_reporting_errors(PROG, lambda: int(args.run(args)))


def entry_point() -> None:
    sys.exit(main())
