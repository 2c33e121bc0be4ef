"""``jobforge-contracts replay``: run goldens through the real worker on a throwaway database."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time
from pathlib import Path
from types import FrameType
from typing import Any

from jobforge.cli.common import EXIT_FAILURE, EXIT_OK
from jobforge.cli.contracts_commands.options import add_root_option, project_root
from jobforge.errors import ConfigurationError

# Not JOBFORGE_DATABASE_URL: replay creates and drops databases, so it never picks up the
# application's own server by accident.
DATABASE_URL_VARIABLE = "JOBFORGE_REPLAY_DATABASE_URL"
URL_HINT = f"pass --database-url or set {DATABASE_URL_VARIABLE}"
DESCRIPTION = (
    "Replay each golden through the real client and worker on a throwaway PostgreSQL "
    "(embedded unless --database-url names a server, where throwaway databases are "
    "created and dropped) and compare the result with the golden."
)


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "replay", help="replay goldens through the worker", description=DESCRIPTION
    )
    parser.add_argument("goldens", nargs="*", type=Path, metavar="GOLDEN")
    parser.add_argument(
        "-k", dest="keyword", metavar="EXPR",
        help="only goldens whose 'path::name' contains EXPR (case-insensitive)",
    )  # fmt: skip
    parser.add_argument(
        "--database-url", metavar="URL", default=os.environ.get(DATABASE_URL_VARIABLE),
        help=f"a PostgreSQL server for throwaway databases (default: ${DATABASE_URL_VARIABLE}, "
        "else an embedded PostgreSQL)",
    )  # fmt: skip
    parser.add_argument(
        "--update", action="store_true",
        help="write actual outputs into the goldens whose expected_output differs",
    )  # fmt: skip
    parser.add_argument("--junit-xml", type=Path, metavar="FILE", help="write a JUnit report")
    parser.add_argument(
        "--jobs", type=int, default=1, metavar="N", help="parallel groups, each on its own database"
    )
    add_root_option(parser)
    parser.set_defaults(run=run)


def run(arguments: argparse.Namespace) -> int:
    from jobforge.contracts.checks.validation import ValidationResult  # noqa: PLC0415
    from jobforge.contracts.config import load_config, root_of_files  # noqa: PLC0415
    from jobforge.contracts.problems.reporters import REPORTERS  # noqa: PLC0415
    from jobforge.replay.project import import_project_handlers, load_replay_inputs  # noqa: PLC0415

    if arguments.jobs < 1:
        raise ConfigurationError(f"--jobs: expected at least 1, got {arguments.jobs}")
    if arguments.root is None and arguments.goldens:
        # Named goldens belong to the project they are in, wherever the command runs.
        root = root_of_files(arguments.goldens, fallback=project_root(None))
    else:
        root = project_root(arguments.root)
    config = load_config(root)
    inputs = load_replay_inputs(config, arguments.goldens)
    if inputs.problems:
        sys.stdout.write(REPORTERS["text"](ValidationResult(problems=inputs.problems)))
        return EXIT_FAILURE
    goldens = inputs.goldens
    if arguments.keyword:
        needle = arguments.keyword.lower()
        goldens = [g for g in goldens if needle in f"{g.path}::{g.name}".lower()]
    if not goldens:
        print("no goldens to replay")
        return EXIT_OK
    import_project_handlers(config)
    return _replay(arguments, goldens, inputs.job_types, config.root)


def _replay(arguments: argparse.Namespace, goldens: list[Any], job_types: Any, root: Path) -> int:
    import logging  # noqa: PLC0415

    from jobforge.contracts.problems.problem_format import escape_control  # noqa: PLC0415
    from jobforge.handlers import default_registry  # noqa: PLC0415
    from jobforge.replay.engine import GoldenOutcome  # noqa: PLC0415
    from jobforge.replay.junit import write_junit_xml  # noqa: PLC0415
    from jobforge.replay.session import replay_goldens  # noqa: PLC0415
    from jobforge.replay.update import write_expected_output  # noqa: PLC0415

    # Failures are reported per golden below; the worker's own log would repeat them.
    logging.getLogger("jobforge").setLevel(logging.CRITICAL)
    interactive = sys.stdout.isatty()
    done: list[GoldenOutcome] = []

    def progress(outcome: GoldenOutcome) -> None:
        done.append(outcome)
        verdict = "PASS" if outcome.passed else "FAIL"
        name = escape_control(f"{outcome.golden.path}::{outcome.golden.name}")
        line = f"[{len(done)}/{len(goldens)}] {verdict} {name}"
        print(
            f"\r\x1b[2K{line}" if interactive else line, end="" if interactive else "\n", flush=True
        )

    started = time.perf_counter()
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        outcomes = replay_goldens(
            goldens,
            database_url=arguments.database_url,
            parallel=arguments.jobs,
            registry=default_registry,
            job_types=job_types,
            on_outcome=progress,
            url_hint=URL_HINT,
        )
    finally:
        signal.signal(signal.SIGTERM, previous)
    if interactive:
        print()
    failed = [outcome for outcome in outcomes if not outcome.passed]
    for outcome in failed:
        print(f"\n{escape_control(f'{outcome.golden.location}: {outcome.golden.name}')}")
        for problem in outcome.problems:
            print("  " + problem.replace("\n", "\n  "))
    if arguments.junit_xml:
        write_junit_xml(arguments.junit_xml, outcomes)
    updated: list[Any] = []
    if arguments.update:
        updated = _update(failed, root, write_expected_output)
    still_failing = [outcome for outcome in failed if outcome not in updated]
    seconds = time.perf_counter() - started
    counts = f"{len(outcomes) - len(failed)} passed, "
    if arguments.update:
        counts += f"{len(updated)} updated, "
    print(f"\n{counts}{len(still_failing)} failed ({seconds:.2f} s)")
    return EXIT_OK if not still_failing else EXIT_FAILURE


def _update(failed: list[Any], root: Path, write: Any) -> list[Any]:
    """Write the actual output into each golden whose only problem is its expected_output;
    the outcomes so fixed. A golden that cannot be updated is named and left as it was."""
    from jobforge.errors import JobForgeError  # noqa: PLC0415

    updated = []
    for outcome in failed:
        output_problems = [p for p in outcome.problems if p.startswith("expected_output")]
        if not output_problems or len(output_problems) != len(outcome.problems):
            continue  # only a wrong expected_output is fixed by writing the actual one
        path = (
            outcome.golden.path if outcome.golden.path.is_absolute() else root / outcome.golden.path
        )
        try:
            changed = write(path, outcome.actual_output)
        except JobForgeError as exc:
            print(f"not updated {outcome.golden.path}: {exc}")
            continue
        if changed:
            print(f"updated {outcome.golden.path}")
        updated.append(outcome)
    return updated


def _interrupt(signum: int, frame: FrameType | None) -> None:
    """SIGTERM behaves like Ctrl-C: unwind, dropping databases and servers on the way."""
    raise KeyboardInterrupt
