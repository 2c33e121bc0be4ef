"""`jobforge replay --job ID`: why did this job do that? Re-run an attempt and compare.

Exit codes: 0 the replay did what the recorded attempt did (the same artifact hash, or
the same failure), 1 it did something else (or the database failed), 2 the job cannot be
replayed as asked (unknown job or attempt, no handler, bad configuration).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from jobforge.cli.common import EXIT_FAILURE, EXIT_OK, EXIT_USAGE, add_database_url_option
from jobforge.cli.handler_loading import load_project_contracts, load_project_handlers
from jobforge.db.connection import require_database_url
from jobforge.errors import ConfigurationError, InvalidArgument, JobNotFound
from jobforge.handlers import default_registry
from jobforge.project import PYPROJECT, ProjectConfig

PROG = "jobforge"


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "replay",
        help="re-run a recorded attempt and check it does the same again",
        description="Run the job's handler again in this process on a recorded attempt's "
        "input (payload, clock, seed and connector responses) and report whether it does "
        "the same: the same artifact hash for a success, the same error for a failed or "
        "dead attempt. Nothing is written. Handlers come from [tool.jobforge] "
        "handler_modules of pyproject.toml and -m. Exit 0: reproduced; 1: differs; "
        "2: cannot replay (unknown job or attempt, no handler).",
    )
    parser.add_argument("--job", required=True, metavar="JOB_ID")
    parser.add_argument(
        "--attempt", type=int, default=None, help="default: the last recorded attempt"
    )
    parser.add_argument(
        "-m", "--module", dest="modules", action="append", default=[], metavar="MODULE",
        help="import MODULE to register its handlers (repeatable; added to "
        "[tool.jobforge] handler_modules of pyproject.toml)",
    )  # fmt: skip
    parser.add_argument(
        "--timeout", type=float, default=None, metavar="SECONDS",
        help="default handler timeout, as for worker run (a handler's own timeout wins)",
    )  # fmt: skip
    add_database_url_option(parser, required=True)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    # Imported here: every `jobforge` command builds this parser.
    from jobforge.client import JobForgeClient  # noqa: PLC0415
    from jobforge.replay.recorded import (  # noqa: PLC0415
        NoReplayHandler,
        ReplayUsageError,
        replay_recorded_job,
    )

    try:
        project = load_project_handlers(args.modules)
        job_types = load_project_contracts(project)
        with JobForgeClient(require_database_url(args.database_url)) as client:
            replay = replay_recorded_job(
                client, args.job, registry=default_registry, job_types=job_types,
                attempt=args.attempt, default_timeout_seconds=args.timeout,
            )  # fmt: skip
    except NoReplayHandler as exc:
        return _cannot_replay(
            f"{exc}: pass -m MODULE or add it to [tool.jobforge] handler_modules in "
            f"{PYPROJECT}\n  {_imported_modules(project, args.modules)}"
        )
    except (ReplayUsageError, JobNotFound, InvalidArgument, ConfigurationError) as exc:
        return _cannot_replay(str(exc))
    print(f"job {replay.job_id} attempt {replay.attempt} ({replay.recorded_outcome}): ", end="")
    print(replay.report)
    return EXIT_OK if replay.matches else EXIT_FAILURE


def _cannot_replay(message: str) -> int:
    print(f"{PROG}: error: {message}", file=sys.stderr)
    return EXIT_USAGE


def _imported_modules(project: ProjectConfig, extra_modules: list[str]) -> str:
    """Which handler modules were imported, and from where: the usual mistake is running
    from another folder than the project's."""
    modules = ", ".join([*project.handler_modules, *extra_modules]) or "none"
    if project.root is None:
        return f"handler modules imported: {modules} (no {PYPROJECT} in {Path.cwd()} or above)"
    sources = f"{project.root / PYPROJECT}" + (" and -m" if extra_modules else "")
    return f"handler modules imported: {modules} (from {sources})"
