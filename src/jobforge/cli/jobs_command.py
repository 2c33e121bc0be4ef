"""`jobforge jobs list|show|cancel|retry`: find jobs, read one, cancel or rerun it."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from jobforge.cli.common import EXIT_OK
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
from jobforge.cli.operator_text import canonical, error_text, seconds, table, when

if TYPE_CHECKING:
    from jobforge.operations import ActionResult, Attempt, JobDetail, JobPage


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    jobs = subparsers.add_parser(
        "jobs",
        help="list, inspect, cancel and retry jobs",
        description="Operator commands over the queue. They run as the database owner (every "
        "tenant) or as a role with producer grants (its tenants).",
    )
    commands = jobs.add_subparsers(dest="jobs_command", required=True, metavar="COMMAND")

    listing = commands.add_parser(
        "list",
        help="jobs newest first, a page at a time",
        description="Jobs newest first (by id: ids begin with their enqueue time), a page at "
        "a time. A page that has a next one ends with the --after cursor that lists it.",
    )
    add_filter_options(listing, states=True)
    add_page_options(listing)
    add_common_options(listing)
    listing.set_defaults(run=run_list)

    show = commands.add_parser("show", help="a job, its attempts and its result")
    show.add_argument("job_id", type=job_id_type, metavar="JOB_ID")
    add_common_options(show)
    show.set_defaults(run=run_show)

    cancel = commands.add_parser("cancel", help="cancel a job that has not finished")
    cancel.add_argument("job_id", type=job_id_type, metavar="JOB_ID")
    add_common_options(cancel)
    cancel.set_defaults(run=run_cancel)

    retry = commands.add_parser("retry", help="run a dead or canceled job again")
    retry.add_argument("job_id", type=job_id_type, metavar="JOB_ID")
    retry.add_argument(
        "--extra-attempts", type=positive_int_type, default=1, metavar="N",
        help="attempts it may make from now (default 1)",
    )  # fmt: skip
    add_common_options(retry)
    retry.set_defaults(run=run_retry)


def run_list(args: argparse.Namespace) -> int:
    from jobforge.operations import list_jobs  # noqa: PLC0415 - see operator_options

    with operator_connection(args) as conn:
        page = list_jobs(conn, job_filter(args), limit=args.limit, after=args.after)
    report_page(page, args.format, empty="no jobs match")
    return EXIT_OK


def report_page(page: JobPage, output_format: str, *, empty: str) -> None:
    from jobforge.operations import to_document  # noqa: PLC0415

    if output_format == "json":
        print_json(to_document(page))
        return
    if not page.jobs:
        print(empty)
        return
    rows = [
        [
            str(job.id), job.state, job.type, f"{job.attempts}/{job.max_attempts}",
            when(job.created_at), str(job.tenant_id),
        ]
        for job in page.jobs
    ]  # fmt: skip
    for line in table(["ID", "STATE", "TYPE", "ATTEMPTS", "CREATED", "TENANT"], rows):
        print(line)
    if page.next_cursor is not None:
        print(f"more: --after {page.next_cursor.encode()}")


def run_show(args: argparse.Namespace) -> int:
    from jobforge.operations import get_job_detail, to_document  # noqa: PLC0415

    with operator_connection(args) as conn:
        detail = get_job_detail(conn, args.job_id)
    if args.format == "json":
        print_json(to_document(detail))
    else:
        print("\n".join(detail_lines(detail)))
    return EXIT_OK


def detail_lines(detail: JobDetail) -> list[str]:
    job = detail.job
    lines = [
        f"job              {job.id}",
        f"type             {job.type}",
        f"tenant           {job.tenant_id}",
        f"state            {job.state} (attempt {job.attempts} of {job.max_attempts})",
        f"trace id         {job.trace_id}",
        f"parent job       {job.parent_job_id or '-'}",
        f"idempotency key  {job.idempotency_key or '-'}",
        f"ordering key     {detail.ordering_key or '-'}",
        f"priority         {job.priority}",
        f"created          {when(job.created_at)}",
        f"run at           {when(job.run_at)}",
        f"started          {when(job.started_at)}",
        f"finished         {when(job.finished_at)}",
    ]
    if detail.lease_owner is not None:
        lines.append(f"lease            {detail.lease_owner} until {when(detail.lease_expires_at)}")
    if job.last_error is not None:
        lines.append(f"last error       {error_text(job.last_error, width=None)}")
    lines.append(f"payload          {canonical(detail.payload)}")
    lines.append(f"attempts         {len(detail.attempts) or 'none recorded'}")
    lines.extend(f"  {attempt_line(attempt)}" for attempt in detail.attempts)
    result = detail.result
    if result is not None:
        lines.append(f"result           attempt {result.attempt}")
        lines.append(f"  output sha256  {result.artifact_sha256 or '-'}")
        lines.append(f"  output         {canonical(result.output)}")
    return lines


def attempt_line(attempt: Attempt) -> str:
    line = (
        f"#{attempt.attempt} {attempt.outcome:<9} worker {attempt.worker_id or '-'}  "
        f"started {when(attempt.started_at)}  ran {seconds(attempt.run_seconds)}"
    )
    if attempt.error is not None:
        line += f"  error: {error_text(attempt.error)}"
    return line


def run_cancel(args: argparse.Namespace) -> int:
    from jobforge.operations import cancel_job  # noqa: PLC0415

    with operator_connection(args) as conn:
        result = cancel_job(conn, args.job_id)
    _report_action(result, args.format, "canceled")
    return EXIT_OK


def run_retry(args: argparse.Namespace) -> int:
    from jobforge.operations import retry_job  # noqa: PLC0415

    with operator_connection(args) as conn:
        result = retry_job(conn, args.job_id, extra_attempts=args.extra_attempts)
    _report_action(result, args.format, "requeued")
    return EXIT_OK


def _report_action(result: ActionResult, output_format: str, verb: str) -> None:
    from jobforge.operations import to_document  # noqa: PLC0415

    if output_format == "json":
        print_json(to_document(result))
    else:
        print(f"job {result.job_id} {verb}: it is now {result.state}")
