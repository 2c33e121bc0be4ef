"""`jobforge top`: queue depth, throughput and latency per job type, redrawn until Ctrl-C."""

from __future__ import annotations

import argparse
import sys
import threading
from datetime import timedelta
from typing import TYPE_CHECKING

from jobforge.cli.common import EXIT_OK
from jobforge.cli.operator_options import (
    add_common_options,
    argument_type,
    duration_type,
    operator_connection,
    print_json,
)
from jobforge.cli.operator_text import seconds, table
from jobforge.errors import InvalidArgument

if TYPE_CHECKING:
    from jobforge.operations import QueueRow

MIN_INTERVAL_SECONDS = 0.2
MAX_INTERVAL_SECONDS = 3600.0
CLEAR_SCREEN = "\x1b[H\x1b[2J"
HEADERS = [
    "TYPE", "READY", "SCHEDULED", "RUNNING", "LAG", "OK/MIN", "DEAD/MIN",
    "WAIT P50", "WAIT P95", "RUN P50", "RUN P95",
]  # fmt: skip


def _interval(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise InvalidArgument(f"expected a number of seconds, got {text!r}") from None
    if not MIN_INTERVAL_SECONDS <= value <= MAX_INTERVAL_SECONDS:
        raise InvalidArgument(
            f"expected {MIN_INTERVAL_SECONDS} to {MAX_INTERVAL_SECONDS:.0f} seconds, got {text}"
        )
    return value


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    top = subparsers.add_parser(
        "top",
        help="live queue depth, throughput and latency per job type",
        description="Per job type: jobs ready (due), scheduled (later) and running; lag (age "
        "of the oldest ready job); jobs succeeded and dead in the last minute; p50/p95 of "
        "queue wait and run time of the jobs finished within --window. Redraws every "
        "--interval seconds until Ctrl-C; --once prints one frame.",
    )
    top.add_argument(
        "--interval", type=argument_type("interval", _interval), default=2.0, metavar="SECONDS",
        help="seconds between frames (default 2)",
    )  # fmt: skip
    top.add_argument(
        "--window", type=duration_type, default=timedelta(minutes=5), metavar="DURATION",
        help="latency over jobs finished this recently (default 5m, at most 1d)",
    )  # fmt: skip
    top.add_argument("--per-tenant", action="store_true", help="one line per tenant and type")
    top.add_argument("--once", action="store_true", help="print one frame and exit")
    add_common_options(top)
    top.set_defaults(run=run_top, parser=top)


def run_top(args: argparse.Namespace) -> int:
    if not timedelta(seconds=1) <= args.window <= timedelta(days=1):
        args.parser.error("argument --window: expected 1s to 1d")
    from jobforge.operations import queue_overview, to_document  # noqa: PLC0415

    live = not args.once
    redraw = live and sys.stdout.isatty()
    pause = threading.Event()
    try:
        with operator_connection(args) as conn:
            while True:
                rows = queue_overview(conn, window=args.window, per_tenant=args.per_tenant)
                if args.format == "json":
                    print_json([to_document(row) for row in rows])
                else:
                    frame = frame_lines(rows, window=args.window, per_tenant=args.per_tenant)
                    sys.stdout.write((CLEAR_SCREEN if redraw else "") + "\n".join(frame) + "\n")
                sys.stdout.flush()
                if not live:
                    return EXIT_OK
                if not redraw:
                    sys.stdout.write("\n")
                pause.wait(args.interval)
    except KeyboardInterrupt:
        return EXIT_OK


def frame_lines(rows: list[QueueRow], *, window: timedelta, per_tenant: bool) -> list[str]:
    from jobforge.operations.filters import duration_text  # noqa: PLC0415

    span = duration_text(window)
    title = f"jobforge top: {len(rows)} line(s); latency over jobs finished in the last {span}"
    if not rows:
        return [title, f"no jobs waiting or running, and none finished in the last {span}"]
    headers = [*HEADERS[:1], *(["TENANT"] if per_tenant else []), *HEADERS[1:]]
    cells = []
    for row in rows:
        tenant = [str(row.tenant_id)] if per_tenant else []
        cells.append([
            row.type, *tenant, str(row.ready), str(row.scheduled), str(row.running),
            seconds(row.lag_seconds), str(row.succeeded_last_minute), str(row.dead_last_minute),
            seconds(row.wait_p50_seconds), seconds(row.wait_p95_seconds),
            seconds(row.run_p50_seconds), seconds(row.run_p95_seconds),
        ])  # fmt: skip
    totals = [
        "TOTAL", *([""] if per_tenant else []),
        str(sum(row.ready for row in rows)), str(sum(row.scheduled for row in rows)),
        str(sum(row.running for row in rows)),
        seconds(max((r.lag_seconds for r in rows if r.lag_seconds is not None), default=None)),
        str(sum(row.succeeded_last_minute for row in rows)),
        str(sum(row.dead_last_minute for row in rows)), "", "", "", "",
    ]  # fmt: skip
    return [title, *table(headers, [*cells, totals], right=len(HEADERS) - 1)]
