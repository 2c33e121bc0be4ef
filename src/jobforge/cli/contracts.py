"""``jobforge-contracts``: validate contract files, export their schemas, render the registry.

Thin on purpose: argparse fills a namespace, the chosen command builds its components,
runs them, hands the results to a reporter and returns the exit code. Command modules are
imported when the parser is built, but each imports its heavy dependencies only when run.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from jobforge.cli.common import EXIT_FAILURE, EXIT_INTERRUPTED, EXIT_USAGE
from jobforge.errors import ConfigurationError, JobForgeError

PROG = "jobforge-contracts"
# One module per subcommand in jobforge.cli.contracts_commands, each with register(subparsers).
COMMAND_MODULES = ("init", "validate", "schema", "registry", "drift", "replay", "fuzz", "check")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Check runner contracts, connector metadata and goldens; no database needed.",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMAND_MODULES:
        module = importlib.import_module(f"jobforge.cli.contracts_commands.{name}")
        module.register(subparsers)
    return parser


def run(argv: Sequence[str] | None = None) -> int:
    """Parse ``argv``, run the command, and return its exit code (argparse exits with 2)."""
    arguments = build_parser().parse_args(argv)
    try:
        exit_code: int = arguments.run(arguments)
    except ConfigurationError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except JobForgeError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    return exit_code


def main() -> None:
    sys.exit(run())
