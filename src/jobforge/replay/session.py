"""Replay on throwaway databases: one, or one per parallel group (``--jobs``)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor

from jobforge.connectors.registry import ConnectorRegistry
from jobforge.db.throwaway import DEFAULT_URL_HINT, DatabaseFactory, throwaway_server
from jobforge.handlers import HandlerRegistry
from jobforge.replay.cases import GoldenSpec
from jobforge.replay.engine import GoldenOutcome, run_goldens
from jobforge.worker.job_types import JobTypeContract


def replay_goldens(
    goldens: Sequence[GoldenSpec],
    *,
    database_url: str | None,
    parallel: int,
    registry: HandlerRegistry,
    job_types: Mapping[str, JobTypeContract],
    connectors: ConnectorRegistry | None = None,
    on_outcome: Callable[[GoldenOutcome], None] | None = None,
    url_hint: str = DEFAULT_URL_HINT,
) -> list[GoldenOutcome]:
    """Replay ``goldens`` and return their outcomes in input order.

    Without ``database_url`` an embedded PostgreSQL is started and removed afterwards;
    with one, throwaway databases are created on that server and dropped afterwards.
    ``url_hint`` tells the user how to give a URL, should the embedded server be missing.
    """
    if not goldens:
        return []
    report_lock = threading.Lock()

    def report(outcome: GoldenOutcome) -> None:
        if on_outcome is not None:
            with report_lock:
                on_outcome(outcome)

    groups = [list(goldens[index::parallel]) for index in range(max(1, parallel))]
    groups = [group for group in groups if group]
    with throwaway_server(database_url, url_hint=url_hint) as server_url:
        # On a user's server no template is made: nothing but the dropped databases.
        factory = DatabaseFactory(server_url, use_template=database_url is None)

        def run_group(group: list[GoldenSpec]) -> list[GoldenOutcome]:
            with factory.database() as url:
                return run_goldens(
                    url,
                    group,
                    registry=registry,
                    job_types=job_types,
                    connectors=connectors,
                    on_outcome=report,
                )

        if len(groups) == 1:
            outcomes = run_group(groups[0])
        else:
            with ThreadPoolExecutor(max_workers=len(groups)) as pool:
                outcomes = [o for result in pool.map(run_group, groups) for o in result]
    order = {id(golden): index for index, golden in enumerate(goldens)}
    return sorted(outcomes, key=lambda outcome: order[id(outcome.golden)])
