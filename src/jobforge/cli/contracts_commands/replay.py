"""``jobforge-contracts replay``: run goldens through the real worker on a throwaway database."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

from jobforge.cli.common import EXIT_FAILURE, EXIT_OK
from jobforge.cli.contracts_commands.options import (
    add_format_option,
    add_root_option,
    at_least_one,
    load_project,
    project_root,
)

if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import TextIO

    from jobforge.contracts.config import ContractsConfig
    from jobforge.replay.cases import GoldenSpec
    from jobforge.replay.engine import GoldenOutcome
    from jobforge.replay.project import InvalidGolden, ReplayInputs
    from jobforge.replay.reporting import ReplayReport

# Not JOBFORGE_DATABASE_URL: replay creates and drops databases, so it never picks up the
# application's own server by accident.
DATABASE_URL_VARIABLE = "JOBFORGE_REPLAY_DATABASE_URL"
URL_HINT = f"pass --database-url or set {DATABASE_URL_VARIABLE}"
DESCRIPTION = (
    "Replay each golden through the real client and worker on a throwaway PostgreSQL "
    "(embedded unless --database-url names a server, where throwaway databases are "
    "created and dropped) and compare the result with the golden. Invalid goldens are "
    "reported (and in the JUnit report) while the valid ones still run; if a runner "
    "contract or connector has problems, no golden runs. Exit 0 when all pass, 1 on "
    "failures, invalid goldens or a database that fails, 2 on usage errors."
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
        "--jobs", type=at_least_one, default=1, metavar="N",
        help="parallel groups, each on its own database",
    )  # fmt: skip
    add_root_option(parser)
    add_format_option(parser)
    parser.set_defaults(run=run)


def run(arguments: argparse.Namespace) -> int:
    from jobforge.contracts.config import root_of_files  # noqa: PLC0415
    from jobforge.replay.project import load_replay_inputs  # noqa: PLC0415
    from jobforge.replay.reporting import ReplayReport, render_json, summary  # noqa: PLC0415

    if arguments.root is None and arguments.goldens:
        # Named goldens belong to the project they are in, wherever the command runs.
        found = root_of_files(arguments.goldens, fallback=project_root(None))
        config = load_project(None, found=found)
    else:
        config = load_project(arguments.root)
    inputs = load_replay_inputs(config, arguments.goldens)
    goldens, invalid = _selected(inputs, arguments.keyword)
    output_format: str = arguments.format
    _print_problems(inputs, invalid, output_format)
    if inputs.contract_problems:
        # Goldens are judged by the runner contracts: none runs while one is broken.
        report = ReplayReport(
            invalid=invalid, not_run=goldens, contract_problems=inputs.contract_problems
        )
    elif goldens:
        report = _replay(arguments, goldens, invalid, inputs, config)
    else:
        report = ReplayReport(invalid=invalid)
    if arguments.junit_xml:
        _write_junit(arguments.junit_xml, report)
    if output_format == "json":
        sys.stdout.write(render_json(report))
    elif report.empty:
        print("no goldens to replay")
    else:
        print(f"\n{summary(report)}")
    return EXIT_OK if report.ok else EXIT_FAILURE


def _selected(
    inputs: ReplayInputs, keyword: str | None
) -> tuple[list[GoldenSpec], list[InvalidGolden]]:
    """The goldens and invalid golden files ``-k`` selects (all without it)."""
    if not keyword:
        return list(inputs.goldens), list(inputs.invalid_goldens)
    needle = keyword.lower()
    goldens = [g for g in inputs.goldens if needle in f"{g.path.as_posix()}::{g.name}".lower()]
    invalid = [g for g in inputs.invalid_goldens if needle in f"{g.path}::{g.name or ''}".lower()]
    return goldens, invalid


def _print_problems(inputs: ReplayInputs, invalid: list[InvalidGolden], output_format: str) -> None:
    """The problems of contract files and of the selected golden files, before any run."""
    if output_format == "json":
        return
    from jobforge.contracts.problems.problem import Problem  # noqa: PLC0415
    from jobforge.contracts.problems.problem_format import text_line  # noqa: PLC0415
    from jobforge.replay.reporting import problem_annotations  # noqa: PLC0415

    problems = [*inputs.contract_problems, *(p for golden in invalid for p in golden.problems)]
    problems.sort(key=Problem.sort_key)
    lines = problem_annotations(problems) if output_format == "github" else map(text_line, problems)
    for line in lines:
        print(line)


def _replay(
    arguments: argparse.Namespace,
    goldens: list[GoldenSpec],
    invalid: list[InvalidGolden],
    inputs: ReplayInputs,
    config: ContractsConfig,
) -> ReplayReport:
    import logging  # noqa: PLC0415

    from jobforge.handlers import default_registry  # noqa: PLC0415
    from jobforge.replay.project import import_project_handlers  # noqa: PLC0415
    from jobforge.replay.reporting import ReplayReport, failure_annotation  # noqa: PLC0415
    from jobforge.replay.session import replay_goldens  # noqa: PLC0415
    from jobforge.replay.update import write_expected_output  # noqa: PLC0415

    import_project_handlers(config)
    # Failures are reported per golden below; the worker's own log would repeat them.
    logging.getLogger("jobforge").setLevel(logging.CRITICAL)
    output_format: str = arguments.format
    # With JSON, stdout holds the document alone: progress and notes go to stderr.
    notes = sys.stderr if output_format == "json" else sys.stdout
    started = time.perf_counter()
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        outcomes = replay_goldens(
            goldens,
            database_url=arguments.database_url,
            parallel=arguments.jobs,
            registry=default_registry,
            job_types=inputs.job_types,
            on_outcome=_progress(len(goldens), notes),
            url_hint=URL_HINT,
        )
    finally:
        signal.signal(signal.SIGTERM, previous)
    failed = [outcome for outcome in outcomes if not outcome.passed]
    if output_format == "github":
        for outcome in failed:
            print(failure_annotation(outcome))
    elif output_format == "text":
        _print_failures(failed)
    updated: list[GoldenOutcome] = []
    if arguments.update:
        updated = _update(failed, config.root, write_expected_output, notes)
    return ReplayReport(
        outcomes=outcomes,
        invalid=invalid,
        updated=updated,
        update_requested=arguments.update,
        seconds=time.perf_counter() - started,
    )


def _progress(total: int, stream: TextIO) -> Callable[[GoldenOutcome], None]:
    """Print ``[n/total] PASS path::name`` as each golden is judged (one line, redrawn, on
    a terminal)."""
    from jobforge.contracts.problems.problem_format import escape_control  # noqa: PLC0415

    interactive = stream.isatty()
    done: list[GoldenOutcome] = []

    def progress(outcome: GoldenOutcome) -> None:
        done.append(outcome)
        verdict = "PASS" if outcome.passed else "FAIL"
        name = escape_control(f"{outcome.golden.path}::{outcome.golden.name}")
        line = f"[{len(done)}/{total}] {verdict} {name}"
        if interactive:
            end = "\n" if len(done) == total else ""
            print(f"\r\x1b[2K{line}", end=end, file=stream, flush=True)
        else:
            print(line, file=stream, flush=True)

    return progress


def _print_failures(failed: list[GoldenOutcome]) -> None:
    from jobforge.contracts.problems.problem_format import escape_control  # noqa: PLC0415

    for outcome in failed:
        print(f"\n{escape_control(f'{outcome.golden.location}: {outcome.golden.name}')}")
        for problem in outcome.problems:
            print("  " + problem.replace("\n", "\n  "))


def _write_junit(path: Path, report: ReplayReport) -> None:
    from jobforge.replay.junit import write_junit_xml  # noqa: PLC0415

    write_junit_xml(
        path,
        report.outcomes,
        invalid=report.invalid,
        not_run=report.not_run,
        contract_problems=report.contract_problems,
    )


def _update(
    failed: list[GoldenOutcome], root: Path, write: Any, notes: TextIO
) -> list[GoldenOutcome]:
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
            print(f"not updated {outcome.golden.path}: {exc}", file=notes)
            continue
        if changed:
            print(f"updated {outcome.golden.path}", file=notes)
        updated.append(outcome)
    return updated


def _interrupt(signum: int, frame: FrameType | None) -> None:
    """SIGTERM behaves like Ctrl-C: unwind, dropping databases and servers on the way."""
    raise KeyboardInterrupt
