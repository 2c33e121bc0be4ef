"""`jobforge doctor`: read-only health checks of a JobForge database and project."""

from __future__ import annotations

import argparse
from pathlib import Path

from jobforge.cli.common import EXIT_FAILURE, EXIT_OK, add_database_url_option
from jobforge.db.connection import require_database_url
from jobforge.errors import ConfigurationError


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    # Defaults come from jobforge.doctor.options; imported here to keep `jobforge` cheap.
    from jobforge.doctor import options  # noqa: PLC0415

    parser = subparsers.add_parser(
        "doctor",
        help="check the database, its security, workers and queue; exit 1 if any check fails",
        description="Read-only checks, each reported as pass, warn or fail with what to do: "
        "the database is reachable; migrations are applied and unchanged; row-level "
        "security and pinned search paths; who may call which function; workers seen "
        "recently; expired leases; dead letters; queue age; job types no live worker "
        "serves; runner contracts for the job types in the queue. Run it as the owner.",
    )
    add_database_url_option(parser, required=True)
    parser.add_argument("--format", choices=("text", "json"), default="text")
    parser.add_argument(
        "--project", type=Path, default=None, metavar="DIR",
        help="the project whose runner contracts to check (default: the working folder's)",
    )  # fmt: skip
    thresholds = (
        ("--worker-seen-seconds", options.WORKER_SEEN_SECONDS,
         "a worker seen within this is live"),
        ("--queue-age-warn-seconds", options.QUEUE_AGE_WARN_SECONDS,
         "warn when the oldest runnable job has waited this long"),
        ("--queue-age-fail-seconds", options.QUEUE_AGE_FAIL_SECONDS,
         "fail when it has waited this long"),
        ("--stuck-lease-seconds", options.STUCK_LEASE_SECONDS,
         "fail when a lease expired this long ago and nobody rescued its job"),
        ("--dead-letter-recent-seconds", options.DEAD_LETTER_RECENT_SECONDS,
         "fail when a job died this recently (older dead jobs warn)"),
    )  # fmt: skip
    for flag, default, help_text in thresholds:
        parser.add_argument(
            flag,
            type=float,
            default=default,
            metavar="S",
            help=f"{help_text} (default {default:g})",
        )
    parser.set_defaults(run=run, parser=parser)


def run(args: argparse.Namespace) -> int:
    from jobforge.doctor.options import DoctorOptions  # noqa: PLC0415
    from jobforge.doctor.reporters import RENDERERS  # noqa: PLC0415
    from jobforge.doctor.run import run_doctor  # noqa: PLC0415

    try:
        options = DoctorOptions(
            worker_seen_seconds=args.worker_seen_seconds,
            queue_age_warn_seconds=args.queue_age_warn_seconds,
            queue_age_fail_seconds=args.queue_age_fail_seconds,
            stuck_lease_seconds=args.stuck_lease_seconds,
            dead_letter_recent_seconds=args.dead_letter_recent_seconds,
            project=args.project,
        )
    except ConfigurationError as exc:
        args.parser.error(str(exc))  # exits 2, as for any other bad option
    report = run_doctor(require_database_url(args.database_url), options)
    print(RENDERERS[args.format](report), end="")
    return EXIT_FAILURE if report.failed else EXIT_OK
