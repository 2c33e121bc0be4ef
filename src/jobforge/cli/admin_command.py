"""Operator commands: tenant grants, queue statistics, pruning finished jobs."""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict
from datetime import timedelta
from typing import TYPE_CHECKING

from jobforge.cli.common import EXIT_OK, add_database_url_option
from jobforge.db.connection import require_database_url

if TYPE_CHECKING:
    from jobforge.client import JobForgeClient


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    grant = subparsers.add_parser(
        "grant-tenant",
        help="let a role act for a tenant as a producer, a worker, or both",
        description="Let ROLE act for TENANT_ID. A producer enqueues, fires events, cancels "
        "and requeues, and reads the tenant's jobs and results; a worker claims, heartbeats, "
        "completes, fails and releases them. Needs the JobForge owner role.",
    )
    grant.add_argument("role")
    grant.add_argument("tenant_id")
    _add_kind_options(grant)
    add_database_url_option(grant, required=True)
    grant.set_defaults(run=run_grant, parser=grant)

    revoke = subparsers.add_parser(
        "revoke-tenant",
        help="withdraw a tenant from a role (both kinds unless one is named)",
    )
    revoke.add_argument("role")
    revoke.add_argument("tenant_id")
    _add_kind_options(revoke)
    add_database_url_option(revoke, required=True)
    revoke.set_defaults(run=run_revoke)

    stats = subparsers.add_parser("stats", help="job counts per tenant, type and state")
    add_database_url_option(stats, required=True)
    stats.set_defaults(run=run_stats)

    show = subparsers.add_parser("show", help="a job and every recorded attempt, as JSON")
    show.add_argument("job_id")
    add_database_url_option(show, required=True)
    show.set_defaults(run=run_show)

    requeue = subparsers.add_parser("requeue", help="run a dead or canceled job again")
    requeue.add_argument("job_id")
    requeue.add_argument("--extra-attempts", type=int, default=1, metavar="N")
    add_database_url_option(requeue, required=True)
    requeue.set_defaults(run=run_requeue)

    prune = subparsers.add_parser(
        "prune", help="delete finished jobs and their results older than some days"
    )
    prune.add_argument("--older-than-days", type=float, required=True, metavar="DAYS")
    prune.add_argument("--batch", type=int, default=10_000, help="jobs deleted per statement")
    add_database_url_option(prune, required=True)
    prune.set_defaults(run=run_prune)


def _add_kind_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--producer", action="append_const", const="producer", dest="kinds",
        help="enqueue, fire events, cancel, requeue; read jobs and results",
    )  # fmt: skip
    parser.add_argument(
        "--worker", action="append_const", const="worker", dest="kinds",
        help="claim, heartbeat, complete, fail and release jobs",
    )  # fmt: skip


def _client(args: argparse.Namespace) -> JobForgeClient:
    # Imported here: every `jobforge` command builds this parser, few need the client.
    from jobforge.client import JobForgeClient  # noqa: PLC0415

    return JobForgeClient(require_database_url(args.database_url))


def run_grant(args: argparse.Namespace) -> int:
    if not args.kinds:
        args.parser.error("name what the role may do: --producer, --worker, or both")
    kinds = sorted(set(args.kinds))
    with _client(args) as client:
        for kind in kinds:
            client.grant_tenant(args.role, args.tenant_id, kind=kind)
    print(f"granted tenant {args.tenant_id} to role {args.role} as {' and '.join(kinds)}")
    return EXIT_OK


def run_revoke(args: argparse.Namespace) -> int:
    kinds: list[str | None] = sorted(set(args.kinds)) if args.kinds else [None]
    removed = False
    with _client(args) as client:
        for kind in kinds:
            removed = client.revoke_tenant(args.role, args.tenant_id, kind=kind) or removed
    what = " and ".join(k for k in kinds if k) or "producer and worker"
    print(
        f"revoked tenant {args.tenant_id} from role {args.role} ({what})"
        if removed
        else "no such grant"
    )
    return EXIT_OK


def run_stats(args: argparse.Namespace) -> int:
    with _client(args) as client:
        rows = client.queue_stats()
    print(f"{'tenant':<36}  {'type':<30} {'state':<15} {'jobs':>9}")
    for row in rows:
        print(f"{row['tenant_id']!s:<36}  {row['type']:<30} {row['state']:<15} {row['jobs']:>9}")
    return EXIT_OK


def run_show(args: argparse.Namespace) -> int:
    with _client(args) as client:
        job = client.get_job(args.job_id)
        results = client.get_results(args.job_id)
    document = {"job": asdict(job), "results": [asdict(result) for result in results]}
    print(json.dumps(document, indent=2, sort_keys=True, default=str))
    return EXIT_OK


def run_requeue(args: argparse.Namespace) -> int:
    with _client(args) as client:
        job = client.requeue_job(args.job_id, extra_attempts=args.extra_attempts)
    print(f"job {job.id} is {job.state} (attempt {job.attempts} of {job.max_attempts})")
    return EXIT_OK


def run_prune(args: argparse.Namespace) -> int:
    total = 0
    with _client(args) as client:
        while True:
            pruned = client.prune_finished_jobs(
                timedelta(days=args.older_than_days), limit=args.batch
            )
            total += pruned
            if pruned < args.batch:
                break
    print(f"pruned {total} finished job(s) and their results")
    return EXIT_OK
