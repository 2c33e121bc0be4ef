"""``jobforge-contracts check``: every contract check CI needs, one summary table.

Each step is a command of its own run in this process with check's ``--format``. In text
and github formats each prints as it runs, under a ``== step: command`` header, and a
table closes the run. With ``--format json`` stdout holds one document and nothing else,
``{"ok", "steps": [{"name", "command", "status", "exit_code", "seconds", "result",
"error"}]}``, each ``result`` the step's own JSON document (headers and progress go to
stderr). Every option is checked before the first step runs; the exit code is the worst
step's (0 ok, 1 problems, 2 a step could not run as asked), and a validate that refuses
(no project, nothing to check) ends the run there.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import sys
import time
from contextlib import nullcontext, redirect_stdout
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from jobforge.cli.common import EXIT_FAILURE, EXIT_OK, EXIT_USAGE
from jobforge.cli.contracts_commands.options import (
    add_format_option,
    add_root_option,
    add_verbose_option,
    at_least_one,
    project_root,
)
from jobforge.cli.contracts_commands.replay import DATABASE_URL_VARIABLE
from jobforge.errors import ConfigurationError, JobForgeError

DESCRIPTION = (
    "Run validate, schema --check, generate-registry --check, drift and replay, in that "
    "order, each with this --format, then print one table of the results (with --format "
    "json: one document embedding each step's own). Exit with the worst step's code: 1 if "
    "any step found problems, 2 if one could not run as asked; a validate that refuses "
    "(no project) stops the run."
)
STATUS = {EXIT_OK: "ok", EXIT_FAILURE: "failed", EXIT_USAGE: "usage error"}
MASK = "***"


@dataclass(frozen=True)
class StepResult:
    name: str
    command: str
    """The step as a command line, passwords masked."""
    exit_code: int
    seconds: float
    output: str
    """What the step printed, when it was captured (``--format json``)."""
    error: str | None
    """The message of a step that stopped with an error."""

    @property
    def status(self) -> str:
        return STATUS.get(self.exit_code, "failed")


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "check", help="run every contract check (what CI runs)", description=DESCRIPTION
    )
    parser.add_argument(
        "--database-url", metavar="URL", default=os.environ.get(DATABASE_URL_VARIABLE),
        help=f"server for replay's throwaway databases (default: ${DATABASE_URL_VARIABLE}, "
        "else an embedded PostgreSQL)",
    )  # fmt: skip
    parser.add_argument(
        "--jobs", type=at_least_one, default=1, metavar="N", help="replay in parallel"
    )
    parser.add_argument("--junit-xml", type=Path, metavar="FILE", help="replay's JUnit report")
    parser.add_argument("--no-replay", action="store_true", help="skip golden replay")
    add_verbose_option(parser)
    add_root_option(parser)
    add_format_option(parser)
    parser.set_defaults(run=run)


def _steps(arguments: argparse.Namespace) -> list[tuple[str, list[str]]]:
    common = ["--root", str(arguments.root)] if arguments.root else []
    # Text is every step's default: its headers stay the commands a person would type.
    formatted = [*common, *(["--format", arguments.format] if arguments.format != "text" else [])]
    verbose = ["--verbose"] if arguments.verbose else []
    steps = [
        ("validate", ["validate", *formatted]),
        ("schema", ["schema", "--check", *verbose, *formatted]),
        ("registry", ["generate-registry", "--check", *verbose, *formatted]),
        ("drift", ["drift", *verbose, *formatted]),
    ]
    if not arguments.no_replay:
        replay = ["replay", "--jobs", str(arguments.jobs), *formatted]
        if arguments.database_url:
            replay += ["--database-url", arguments.database_url]
        if arguments.junit_xml:
            replay += ["--junit-xml", str(arguments.junit_xml)]
        steps.append(("replay", replay))
    return steps


def run(arguments: argparse.Namespace) -> int:
    from jobforge.cli.contracts import build_parser  # noqa: PLC0415

    project_root(arguments.root)  # a --root that is no folder is refused before any step
    parser = build_parser()
    planned = [(name, argv, parser.parse_args(argv)) for name, argv in _steps(arguments)]
    results: list[StepResult] = []
    for name, argv, step_arguments in planned:
        result = _run_step(name, argv, step_arguments, capture=arguments.format == "json")
        results.append(result)
        if name == "validate" and result.exit_code == EXIT_USAGE:
            break  # no project, or nothing in it: every later step would only say so again
    if arguments.format == "json":
        sys.stdout.write(_document(results))
    else:
        _print_table(results)
    return max(result.exit_code for result in results)


def _run_step(
    name: str, argv: list[str], step_arguments: argparse.Namespace, *, capture: bool
) -> StepResult:
    command = " ".join(["jobforge-contracts", *_masked(argv)])
    print(f"== {name}: {command}", file=sys.stderr if capture else sys.stdout, flush=True)
    started = time.perf_counter()
    printed = io.StringIO()
    error: str | None = None
    with redirect_stdout(printed) if capture else nullcontext():
        try:
            code = int(step_arguments.run(step_arguments))
        except ConfigurationError as exc:
            code, error = EXIT_USAGE, str(exc)
        except JobForgeError as exc:
            code, error = EXIT_FAILURE, str(exc)
    if error is not None:
        print(f"jobforge-contracts {name}: error: {error}", file=sys.stderr)
    sys.stdout.flush()
    return StepResult(name, command, code, time.perf_counter() - started, printed.getvalue(), error)


def _document(results: list[StepResult]) -> str:
    steps = []
    for result in results:
        embedded: Any = None
        error = result.error
        if result.output.strip():
            try:
                embedded = json.loads(result.output)
            except json.JSONDecodeError:
                error = f"printed no JSON document: {result.output.strip()[:200]}"
        steps.append(
            {
                "name": result.name,
                "command": result.command,
                "status": result.status,
                "exit_code": result.exit_code,
                "seconds": round(result.seconds, 3),
                "result": embedded,
                "error": error,
            }
        )
    document = {"ok": all(result.exit_code == EXIT_OK for result in results), "steps": steps}
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _print_table(results: list[StepResult]) -> None:
    print()
    print(f"{'step':<10} {'result':<12} {'seconds':>8}")
    print(f"{'-' * 10} {'-' * 12} {'-' * 8}")
    for result in results:
        print(f"{result.name:<10} {result.status:<12} {result.seconds:>8.2f}")


def _masked(argv: list[str]) -> list[str]:
    """``argv`` with the password of a ``--database-url`` masked."""
    shown = list(argv)
    for index, argument in enumerate(argv[:-1]):
        if argument == "--database-url":
            shown[index + 1] = masked_url(argv[index + 1])
    return shown


def masked_url(url: str) -> str:
    """``url`` with its password as ``***``: in place for a ``postgresql://`` URL (user,
    host and database stay readable), else as the connection error messages show it."""
    from jobforge.db.connection import redact  # noqa: PLC0415

    parts = urlsplit(url)
    if parts.scheme not in {"postgres", "postgresql"}:
        return redact(url)  # key=value connection strings
    netloc = parts.netloc
    if parts.password:
        user_info, _, host = netloc.rpartition("@")
        netloc = f"{user_info.partition(':')[0]}:{MASK}@{host}"
    query = "&".join(
        f"password={MASK}" if item.partition("=")[0] == "password" else item
        for item in parts.query.split("&")
    )
    # Assembled by hand: urlunsplit drops the "//" of an empty host (postgresql:///db).
    shown = f"{parts.scheme}://{netloc}{parts.path}"
    return (
        shown
        + (f"?{query}" if parts.query else "")
        + (f"#{parts.fragment}" if parts.fragment else "")
    )
