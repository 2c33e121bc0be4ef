"""`jobforge worker run`: run handlers for queued jobs until stopped (or drained)."""

from __future__ import annotations

import argparse
import gc
import logging
import signal
from types import FrameType
from typing import TYPE_CHECKING

from jobforge.cli.common import EXIT_FAILURE, EXIT_OK, add_database_url_option
from jobforge.cli.handler_loading import load_project_handlers, load_worker_contracts
from jobforge.db.connection import require_database_url
from jobforge.handlers import default_registry
from jobforge.worker import Worker, WorkerConfig
from jobforge.worker.logs import configure_json_logging

if TYPE_CHECKING:
    from jobforge.connectors.policy import ConnectorPolicy
    from jobforge.observability.endpoint import ServedWorkerMetrics


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    worker = subparsers.add_parser("worker", help="run a worker")
    actions = worker.add_subparsers(dest="worker_command", required=True)
    parser = actions.add_parser(
        "run",
        help="claim and run jobs",
        description="Claim jobs and run their handlers. SIGTERM or Ctrl-C stops claiming "
        "and lets running jobs finish within the grace period; a second signal stops at "
        "once. Unfinished jobs go back to the queue either way.",
    )
    add_database_url_option(parser, required=True)
    parser.add_argument(
        "-m",
        "--module",
        dest="modules",
        action="append",
        default=[],
        metavar="MODULE",
        help="import MODULE to register its handlers (repeatable; added to "
        "[tool.jobforge] handler_modules of pyproject.toml)",
    )
    defaults = WorkerConfig(worker_id="-")
    parser.add_argument("--concurrency", type=int, default=defaults.concurrency)
    parser.add_argument("--batch-size", type=int, default=defaults.batch_size)
    parser.add_argument(
        "--prefetch", type=int, default=None,
        help="jobs claimed ahead of free handler threads (default: 4 x concurrency)",
    )  # fmt: skip
    parser.add_argument("--lease-seconds", type=float, default=defaults.lease_seconds)
    parser.add_argument(
        "--poll-interval", type=float, default=defaults.poll_interval_seconds, metavar="SECONDS"
    )
    parser.add_argument(
        "--grace-seconds", type=float, default=defaults.shutdown_grace_seconds, metavar="SECONDS"
    )
    parser.add_argument(
        "--timeout", type=float, default=None, metavar="SECONDS",
        help="default handler timeout (a handler's own timeout wins)",
    )  # fmt: skip
    parser.add_argument(
        "--job-type", dest="job_types", action="append", default=None, metavar="TYPE",
        help="claim only jobs of this type (repeatable; default: every type this worker "
        "has a handler for)",
    )  # fmt: skip
    parser.add_argument(
        "--claim-all-types", action="store_true",
        help="claim jobs of every type, and dead-letter (no_handler) those this worker has "
        "no handler for; by default they wait for a worker that has one",
    )  # fmt: skip
    parser.add_argument(
        "--burst", action="store_true", help="drain what is runnable now, then exit"
    )
    parser.add_argument(
        "--no-contracts",
        action="store_true",
        help="do not enforce the project's runner contracts (contracts/runners/*.yaml) and "
        "connector metadata (connectors/*/metadata.json); by default payloads and outputs "
        "are checked against their job type's schemas, and connector calls follow their "
        "connector's rate limits and failure modes",
    )
    parser.add_argument(
        "--worker-id", default=None, help="lease owner name (default: host:pid:random)"
    )
    parser.add_argument(
        "--log-level", default="info", choices=["debug", "info", "warning", "error"]
    )
    parser.add_argument(
        "--metrics-port", type=int, default=None, metavar="PORT",
        help="serve Prometheus metrics at http://HOST:PORT/metrics (0: a free port, "
        "logged); default: no metrics",
    )  # fmt: skip
    parser.add_argument(
        "--metrics-host", default="127.0.0.1", metavar="HOST",
        help="address the metrics endpoint listens on (default: 127.0.0.1; 0.0.0.0 for "
        "every interface)",
    )  # fmt: skip
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    configure_json_logging(args.log_level)
    url = require_database_url(args.database_url)
    project = load_project_handlers(args.modules)
    # The keys runner's store runs the key RPCs as this worker's role.
    from jobforge.keys.store_transport import register_key_store_if_served  # noqa: PLC0415

    register_key_store_if_served(default_registry, url)
    # The job types this worker serves: their contracts and connectors apply, the shipped
    # runners' own for the types JobForge's runners serve and the project does not define.
    served = args.job_types or default_registry.job_types()
    job_types, connector_policies = (
        ({}, {})
        if args.no_contracts
        else load_worker_contracts(project, served_by_jobforge_runners(served))
    )
    register_http_transports(connector_policies, served)
    options = {
        "concurrency": args.concurrency,
        "batch_size": args.batch_size,
        "prefetch": args.prefetch,
        "lease_seconds": args.lease_seconds,
        "poll_interval_seconds": args.poll_interval,
        "shutdown_grace_seconds": args.grace_seconds,
        "default_timeout_seconds": args.timeout,
        "job_types": tuple(args.job_types) if args.job_types else None,
        "claim_all_types": args.claim_all_types,
        "burst": args.burst,
    }
    if args.worker_id:
        options["worker_id"] = args.worker_id
    config = WorkerConfig(**options)
    metrics = None if args.metrics_port is None else served_metrics(args, url, config)
    worker = Worker(
        url,
        registry=default_registry,
        config=config,
        job_types=job_types,
        connector_policies=connector_policies,
        metrics=None if metrics is None else metrics.worker,
    )

    def on_signal(signum: int, frame: FrameType | None) -> None:
        worker.stop(immediate=worker_stopping[0])
        worker_stopping[0] = True

    worker_stopping = [False]
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    tune_garbage_collection()
    try:
        report = worker.run()
    finally:
        if metrics is not None:
            metrics.close()
    return EXIT_OK if not report.errors else EXIT_FAILURE


def served_metrics(args: argparse.Namespace, url: str, config: WorkerConfig) -> ServedWorkerMetrics:
    """The worker's metrics endpoint, with queue gauges for the types it claims."""
    from jobforge.observability.endpoint import ServedWorkerMetrics  # noqa: PLC0415

    job_types = config.job_types or default_registry.job_types()
    return ServedWorkerMetrics(
        url, config.worker_id, job_types=job_types, host=args.metrics_host, port=args.metrics_port
    )


def served_by_jobforge_runners(served: list[str]) -> list[str]:
    """The job types of ``served`` whose handlers are JobForge's shipped runners."""
    return [
        job_type
        for job_type in served
        if job_type in default_registry
        and default_registry.get(job_type).function.__module__.startswith("jobforge.runners.")
    ]


def register_http_transports(policies: dict[str, ConnectorPolicy], served: list[str]) -> None:
    """Carry the calls of the ``served`` job types' connectors that have an ``http``
    section over HTTP, configured from the environment; warn about each one that has no
    base URL."""
    from jobforge.connectors.bindings import register_http_connectors  # noqa: PLC0415

    for settings in register_http_connectors(policies, job_types=served):
        if settings.base_url is None:
            logging.getLogger("jobforge.worker").warning(
                "connector %r has no base URL: its calls fail until %s is set",
                settings.connector_id,
                settings.base_url_variable,
            )


# Collect the youngest generation every 10,000 container allocations instead of 700.
YOUNG_GENERATION_THRESHOLD = 10_000


def tune_garbage_collection() -> None:
    """Set the worker process's cyclic garbage collector up for a long-running service.

    A job allocates a few dozen short-lived containers, so the default thresholds run a
    collection every few jobs, and every tenth of those rescans the whole start-up heap
    (modules, contract schemas, handler code). Freezing what start-up allocated takes it
    out of every later collection, and a larger young generation runs them less often.
    Reference counting still frees acyclic garbage at once; only cycles wait longer.
    """
    gc.freeze()
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(YOUNG_GENERATION_THRESHOLD, older, oldest)
