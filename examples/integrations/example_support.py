"""What the integration examples share: reading a contract file into its model, and
running a worker over the enqueued jobs, then replaying each recorded one."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any
from uuid import UUID

from jobforge.client import JobForgeClient
from jobforge.connectors.policy import policies_from_metadata
from jobforge.connectors.registry import ConnectorRegistry
from jobforge.contracts.loading.loader import load_file
from jobforge.contracts.models.contract_files import ConnectorMetadata
from jobforge.handlers import default_registry
from jobforge.replay.recorded import replay_recorded_job
from jobforge.worker import Worker, WorkerConfig
from jobforge.worker.job_types import JobTypeContract

ROOT = Path(__file__).resolve().parents[2]


def load_model(path: Path, model: type[Any]) -> Any:
    """The contract file at ``path`` as ``model``; a readable exit if it does not load."""
    loaded = load_file(path, str(path.relative_to(ROOT)))
    if not loaded.ok:
        problems = "\n".join(f"  {problem}" for problem in loaded.problems)
        raise SystemExit(f"{path.relative_to(ROOT)} does not load:\n{problems}")
    return model.model_validate(loaded.data)


def drain_report_and_replay(
    url: str,
    client: JobForgeClient,
    jobs: Mapping[str, UUID],
    *,
    job_types: Mapping[str, JobTypeContract],
    connectors: ConnectorRegistry,
    connector: ConnectorMetadata,
    concurrency: int,
    show: Callable[[str, Any], None],
) -> bool:
    """Run a burst worker over ``jobs`` (job type -> id), print each outcome (``show``
    prints a succeeded one's output), then replay each recorded job; True if every job
    succeeded and every replay did the same again."""
    print(f"Enqueued {', '.join(jobs)}; running a worker until the queue is empty ...")
    Worker(
        url,
        registry=default_registry,
        config=WorkerConfig(burst=True, concurrency=concurrency),
        job_types=job_types,
        connectors=connectors,
        connector_policies=policies_from_metadata([connector]),
    ).run()

    all_good = True
    for job_type, job_id in jobs.items():
        result = client.get_result(job_id)
        print(f"\n{job_type} (job {job_id}): {result.outcome if result else 'not finished'}")
        if result is None or result.outcome != "succeeded":
            print(f"  error: {result.error if result else None}")
            all_good = False
            continue
        show(job_type, result.output)

    print()
    for job_type, job_id in jobs.items():
        replay = replay_recorded_job(client, job_id, registry=default_registry, job_types=job_types)
        print(f"Replay of the recorded {job_type} job: {replay.verdict.value}")
        all_good = all_good and replay.matches
    return all_good
