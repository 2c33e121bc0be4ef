"""`jobforge dead-letter list|requeue|discard`: jobs that failed their last attempt; running
them again, or discarding them (they become canceled and never run)."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from jobforge.cli.common import EXIT_FAILURE, EXIT_OK
from jobforge.cli.jobs_command import report_page
from jobforge.cli.operator_options import (
    add_common_options,
    add_filter_options,
    add_page_options,
    job_filter,
    job_id_type,
    operator_connection,
    positive_int_type,
    print_json,
)
from jobforge.cli.operator_text import error_text, table, when

if TYPE_CHECKING:
    from collections.abc import Callable
    from uuid import UUID

    import psycopg

    from jobforge.operations import ActionResult, JobFilter, JobPage

CONFIRMATIONS = frozenset({"y", "yes"})


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    dead_letter = subparsers.add_parser(
        "dead-letter",
        help="list, requeue and discard dead-lettered jobs",
        description="Dead-lettered jobs: those that failed their last attempt (state dead).",
    )
    commands = dead_letter.add_subparsers(
        dest="dead_letter_command", required=True, metavar="COMMAND"
    )

    listing = commands.add_parser("list", help="dead jobs newest first, with their last error")
    add_filter_options(listing, states=False)
    add_page_options(listing)
    add_common_options(listing)
    listing.set_defaults(run=run_list)

    requeue = commands.add_parser(
        "requeue",
        help="run dead jobs again: by id, or --all that match filters",
        description="Requeue dead jobs by id, or every dead job matching the filters with "
        "--all (which asks for confirmation unless --yes). Each gets --extra-attempts more.",
    )
    requeue.add_argument("job_ids", nargs="*", type=job_id_type, metavar="JOB_ID")
    requeue.add_argument("--all", action="store_true", help="every dead job matching the filters")
    add_filter_options(requeue, states=False)
    requeue.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    requeue.add_argument(
        "--extra-attempts", type=positive_int_type, default=1, metavar="N",
        help="attempts each job may make from now (default 1)",
    )  # fmt: skip
    add_common_options(requeue)
    requeue.set_defaults(run=run_requeue, parser=requeue)

    discard = commands.add_parser(
        "discard",
        help="cancel dead jobs so they leave the dead letters: by id, or --all that match",
        description="Discard dead jobs by id, or every dead job matching the filters with "
        "--all (which asks for confirmation unless --yes). A discarded job becomes canceled: "
        "no worker runs it, its error and attempts stay on record, and `jobforge jobs retry` "
        "can still run it again.",
    )
    discard.add_argument("job_ids", nargs="*", type=job_id_type, metavar="JOB_ID")
    discard.add_argument("--all", action="store_true", help="every dead job matching the filters")
    add_filter_options(discard, states=False)
    discard.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    add_common_options(discard)
    discard.set_defaults(run=run_discard, parser=discard)


def run_list(args: argparse.Namespace) -> int:
    from jobforge.operations import list_dead_letters, to_document  # noqa: PLC0415

    with operator_connection(args) as conn:
        page = list_dead_letters(conn, job_filter(args), limit=args.limit, after=args.after)
    if args.format == "json":
        print_json(to_document(page))
    else:
        _print_dead_letters(page)
    return EXIT_OK


def _print_dead_letters(page: JobPage) -> None:
    if not page.jobs:
        report_page(page, "text", empty="no dead-lettered jobs match")
        return
    rows = [
        [
            str(job.id), job.type, str(job.attempts), when(job.finished_at),
            str(job.tenant_id), error_text(job.last_error, width=60),
        ]
        for job in page.jobs
    ]  # fmt: skip
    for line in table(["ID", "TYPE", "ATTEMPTS", "DIED", "TENANT", "LAST ERROR"], rows):
        print(line)
    if page.next_cursor is not None:
        print(f"more: --after {page.next_cursor.encode()}")


def run_requeue(args: argparse.Namespace) -> int:
    from jobforge.operations import requeue_jobs  # noqa: PLC0415

    def requeue(conn: psycopg.Connection[Any], job_ids: list[UUID]) -> list[ActionResult]:
        return requeue_jobs(conn, job_ids, extra_attempts=args.extra_attempts)

    return _run_bulk(args, "requeue", "requeued", requeue)


def run_discard(args: argparse.Namespace) -> int:
    from jobforge.operations import discard_jobs  # noqa: PLC0415

    return _run_bulk(args, "discard", "discarded", discard_jobs)


def _run_bulk(
    args: argparse.Namespace,
    verb: str,
    done: str,
    act: Callable[[psycopg.Connection[Any], list[UUID]], list[ActionResult]],
) -> int:
    """``act`` on the jobs named, or with --all on every dead job matching the filters once
    confirmed; reports what happened to each."""
    filtered = any(
        value is not None
        for value in (args.tenant, args.job_type, args.older_than, args.newer_than)
    )
    if args.all == bool(args.job_ids):
        args.parser.error(f"name the jobs to {verb} (JOB_ID ...), or pass --all, not both")
    if filtered and not args.all:
        args.parser.error("--tenant, --type, --older-than and --newer-than apply with --all")
    from jobforge.operations import dead_letter_ids  # noqa: PLC0415

    with operator_connection(args) as conn:
        job_ids = list(args.job_ids)
        if args.all:
            job_ids = dead_letter_ids(conn, job_filter(args))
            if not job_ids:
                print(f"no dead-lettered jobs match: nothing to {verb}")
                return EXIT_OK
            if not args.yes and not _confirmed(verb, len(job_ids), job_filter(args)):
                print(f"not confirmed: nothing {done}", file=sys.stderr)
                return EXIT_FAILURE
        results = act(conn, job_ids)
    return _report(results, args.format, done)


def _confirmed(verb: str, count: int, job_filter: JobFilter) -> bool:
    scope = [
        f"tenant {job_filter.tenant_id}" if job_filter.tenant_id else "",
        f"type {job_filter.job_type}" if job_filter.job_type else "",
    ]
    described = ", ".join(part for part in scope if part) or "every tenant and type"
    sys.stderr.write(f"{verb} {count} dead-lettered job(s) ({described})? [y/N] ")
    sys.stderr.flush()
    answer = sys.stdin.readline()
    return answer.strip().lower() in CONFIRMATIONS


def _report(results: list[ActionResult], output_format: str, done: str) -> int:
    from jobforge.operations import to_document  # noqa: PLC0415

    succeeded = [result for result in results if result.done]
    refused = [result for result in results if not result.done]
    if output_format == "json":
        print_json(
            {done: len(succeeded), f"not_{done}": len(refused), "jobs": to_document(results)}
        )
    else:
        for result in refused:
            state = f" ({result.state})" if result.state else ""
            print(f"job {result.job_id} not {done}{state}: {result.reason}")
        print(f"{done} {len(succeeded)} job(s); {len(refused)} not {done}")
    return EXIT_FAILURE if refused else EXIT_OK
