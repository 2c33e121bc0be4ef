"""`jobforge replay --job ID`: why did this job do that? Re-run it and compare."""

from __future__ import annotations

import argparse

from jobforge.cli.common import EXIT_FAILURE, EXIT_OK, add_database_url_option
from jobforge.cli.handler_loading import load_project_contracts, load_project_handlers
from jobforge.db.connection import require_database_url
from jobforge.handlers import default_registry


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "replay",
        help="re-run a recorded execution and check its artifact hash",
        description="Run the job's handler again in this process, on the recorded input "
        "snapshot (payload, clock, seed and connector responses), and report whether the "
        "output artifact hash matches the recorded one. Nothing is written.",
    )
    parser.add_argument("--job", required=True, metavar="JOB_ID")
    parser.add_argument("--attempt", type=int, default=None, help="default: the last success")
    parser.add_argument(
        "-m", "--module", dest="modules", action="append", default=[], metavar="MODULE",
        help="import MODULE to register its handlers (repeatable)",
    )  # fmt: skip
    add_database_url_option(parser, required=True)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    # Imported here: every `jobforge` command builds this parser.
    from jobforge.client import JobForgeClient  # noqa: PLC0415
    from jobforge.replay.recorded import replay_recorded_job  # noqa: PLC0415

    project = load_project_handlers(args.modules)
    job_types = load_project_contracts(project)
    with JobForgeClient(require_database_url(args.database_url)) as client:
        replay = replay_recorded_job(
            client, args.job, registry=default_registry, job_types=job_types, attempt=args.attempt
        )
    print(f"job {replay.job_id} attempt {replay.attempt}: {replay.report}")
    return EXIT_OK if replay.matches else EXIT_FAILURE
