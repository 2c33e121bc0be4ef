"""``jobforge-contracts check``: every contract check CI needs, one summary table."""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Any

from jobforge.cli.common import EXIT_FAILURE, EXIT_OK, EXIT_USAGE
from jobforge.cli.contracts_commands.options import (
    add_format_option,
    add_root_option,
    add_verbose_option,
)
from jobforge.cli.contracts_commands.replay import DATABASE_URL_VARIABLE
from jobforge.errors import ConfigurationError, JobForgeError

DESCRIPTION = (
    "Run validate, schema --check, generate-registry --check, drift and replay, in that "
    "order, then print one table of the results. Exit 1 if any step failed."
)


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "check", help="run every contract check (what CI runs)", description=DESCRIPTION
    )
    parser.add_argument(
        "--database-url", metavar="URL", default=os.environ.get(DATABASE_URL_VARIABLE),
        help=f"server for replay's throwaway databases (default: ${DATABASE_URL_VARIABLE}, "
        "else an embedded PostgreSQL)",
    )  # fmt: skip
    parser.add_argument("--jobs", type=int, default=1, metavar="N", help="replay in parallel")
    parser.add_argument("--junit-xml", type=Path, metavar="FILE", help="replay's JUnit report")
    parser.add_argument("--no-replay", action="store_true", help="skip golden replay")
    add_verbose_option(parser)
    add_root_option(parser)
    add_format_option(parser)
    parser.set_defaults(run=run)


def _steps(arguments: argparse.Namespace) -> list[tuple[str, list[str]]]:
    common = ["--root", str(arguments.root)] if arguments.root else []
    formatted = [*common, "--format", arguments.format]
    verbose = ["--verbose"] if arguments.verbose else []
    steps = [
        ("validate", ["validate", *formatted]),
        ("schema", ["schema", "--check", *verbose, *common]),
        ("registry", ["generate-registry", "--check", *verbose, *formatted]),
        ("drift", ["drift", *verbose, *formatted]),
    ]
    if not arguments.no_replay:
        replay = ["replay", "--jobs", str(arguments.jobs), *common]
        if arguments.database_url:
            replay += ["--database-url", arguments.database_url]
        if arguments.junit_xml:
            replay += ["--junit-xml", str(arguments.junit_xml)]
        steps.append(("replay", replay))
    return steps


def run(arguments: argparse.Namespace) -> int:
    from jobforge.cli.contracts import build_parser  # noqa: PLC0415

    parser = build_parser()
    results: list[tuple[str, str, float]] = []
    for name, argv in _steps(arguments):
        print(f"== {name}: jobforge-contracts {' '.join(argv)}", flush=True)
        started = time.perf_counter()
        try:
            step_arguments = parser.parse_args(argv)
            code = int(step_arguments.run(step_arguments))
        except ConfigurationError as exc:
            print(f"jobforge-contracts {name}: error: {exc}", file=sys.stderr)
            code = EXIT_USAGE
        except JobForgeError as exc:
            print(f"jobforge-contracts {name}: error: {exc}", file=sys.stderr)
            code = EXIT_FAILURE
        sys.stdout.flush()
        verdict = "ok" if code == EXIT_OK else ("usage error" if code == EXIT_USAGE else "failed")
        results.append((name, verdict, time.perf_counter() - started))
    print()
    print(f"{'step':<10} {'result':<12} {'seconds':>8}")
    print(f"{'-' * 10} {'-' * 12} {'-' * 8}")
    for name, verdict, seconds in results:
        print(f"{name:<10} {verdict:<12} {seconds:>8.2f}")
    return EXIT_OK if all(verdict == "ok" for _, verdict, _ in results) else EXIT_FAILURE
