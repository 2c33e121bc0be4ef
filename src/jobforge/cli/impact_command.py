"""`jobforge impact show --run ID`: a job, what it recorded, and every job it caused."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from jobforge.cli.common import EXIT_OK
from jobforge.cli.jobs_command import attempt_line
from jobforge.cli.operator_options import (
    add_common_options,
    job_id_type,
    operator_connection,
    print_json,
)
from jobforge.cli.operator_text import canonical, error_text

if TYPE_CHECKING:
    from jobforge.operations import Impact, ImpactNode, TriggerRef


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    impact = subparsers.add_parser("impact", help="what a job run recorded and every job it caused")
    commands = impact.add_subparsers(dest="impact_command", required=True, metavar="COMMAND")
    show = commands.add_parser(
        "show",
        help="a job's attempts, decision trace, output artifact and follow-up tree",
        description="A job's tenant, type, attempts (errors, timings), decision trace and "
        "output artifact with its hash, the trigger that made it (when its idempotency key "
        "names one), and the follow-up jobs it caused, recursively, all under one trace id.",
    )
    show.add_argument("--run", type=job_id_type, required=True, metavar="JOB_ID", dest="job_id")
    add_common_options(show)
    show.set_defaults(run=run_show)


def run_show(args: argparse.Namespace) -> int:
    from jobforge.operations import get_impact, to_document  # noqa: PLC0415

    with operator_connection(args) as conn:
        impact = get_impact(conn, args.job_id)
    if args.format == "json":
        print_json(to_document(impact))
    else:
        print("\n".join(impact_lines(impact)))
    return EXIT_OK


def impact_lines(impact: Impact) -> list[str]:
    root = impact.root
    job = root.job
    lines = [
        f"job {job.id} ({job.type}) {job.state}",
        f"  tenant     {job.tenant_id}",
        f"  trace id   {impact.trace_id}",
        f"  origin     {_origin(root)}",
        f"  attempts   {job.attempts} of {job.max_attempts}",
    ]
    lines.extend(f"    {attempt_line(attempt)}" for attempt in root.attempts)
    recorded = root.attempts[-1] if root.attempts else None
    decision_trace = recorded.decision_trace if recorded else None
    lines.append(
        f"  decision trace  {canonical(decision_trace) if decision_trace is not None else '-'}"
    )
    if recorded is not None and recorded.artifact_canonical is not None:
        lines.append(f"  output artifact sha256 {recorded.artifact_sha256 or '-'}")
        lines.append(f"    {recorded.artifact_canonical}")
    else:
        lines.append("  output artifact  -")
    caused = impact.job_count - 1
    lines.append(f"  caused {caused} job(s) through follow-ups" + (":" if caused else ""))
    lines.extend(_tree(root.children, "  "))
    if impact.truncated:
        lines.append("  (tree cut at its limits: inspect a deeper job with impact show --run)")
    return lines


def _origin(node: ImpactNode) -> str:
    if node.job.parent_job_id is not None:
        return f"follow-up of job {node.job.parent_job_id}"
    if node.trigger is not None:
        return _trigger_text(node.trigger)
    return "enqueued"


def _trigger_text(trigger: TriggerRef) -> str:
    if trigger.name is None:
        return f"trigger {trigger.id} (deleted)"
    return f"trigger {trigger.name!r} on event {trigger.event_type} ({trigger.id})"


def _tree(children: tuple[ImpactNode, ...], indent: str) -> list[str]:
    lines: list[str] = []
    for index, child in enumerate(children):
        last = index == len(children) - 1
        job = child.job
        line = (
            f"{indent}{'└── ' if last else '├── '}{job.id} {job.type} {job.state} "
            f"(attempt {job.attempts} of {job.max_attempts})"
        )
        if job.state == "dead" and job.last_error is not None:
            line += f" error: {error_text(job.last_error, width=60)}"
        lines.append(line)
        lines.extend(_tree(child.children, indent + ("    " if last else "│   ")))
    return lines
