"""Router throughput and latency on a real PostgreSQL.

Uses JOBFORGE_DATABASE_URL (or JOBFORGE_TEST_DATABASE_URL) when set, else an embedded
PostgreSQL. Bounded: 20,000 jobs per drain, 5 drains per figure, 200 latency samples,
loopback only.
"""

from __future__ import annotations

import contextlib
import os
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
from psycopg import sql

from jobforge.client import JobForgeClient, JobSpec
from jobforge.db.throwaway import DatabaseFactory, throwaway_server

JOBS = 20_000
ENQUEUE_RUNS = 5
DRAIN_RUNS = 5
WARM_UP_JOBS = 100
LATENCY_SAMPLES = 200
PROCESS_DEADLINE_SECONDS = 300
REPO_ROOT = Path(__file__).resolve().parents[1]
WORKER_OPTIONS = ["--concurrency", "4", "--batch-size", "500", "--prefetch", "1000"]


def _server_url() -> str | None:
    return os.environ.get("JOBFORGE_DATABASE_URL") or os.environ.get("JOBFORGE_TEST_DATABASE_URL")


def _worker_command(url: str, *extra: str) -> list[str]:
    return [
        sys.executable, "-m", "jobforge.worker", "run", "--database-url", url,
        "-m", "benchmarks.router_handlers", "--log-level", "warning", *extra,
    ]  # fmt: skip


def _enqueue(client: JobForgeClient, tenant: uuid.UUID, count: int) -> float:
    specs = [JobSpec(tenant_id=tenant, type="bench.noop", payload={"n": i}) for i in range(count)]
    started = time.perf_counter()
    client.enqueue_jobs(specs)
    return time.perf_counter() - started


def _start_and_exit(url: str, *, cache: bool) -> float:
    """Seconds from spawn to exit of a burst worker on an empty queue: its start-up cost.
    Without the contract cache it validates the project's runner contracts in full, as
    the first start after a contract change does; with it, it fills or reads the cache."""
    environment = dict(os.environ)
    if cache:
        environment.pop("JOBFORGE_NO_CACHE", None)
    else:
        environment["JOBFORGE_NO_CACHE"] = "1"
    started = time.perf_counter()
    subprocess.run(
        _worker_command(url, "--burst"), cwd=REPO_ROOT, env=environment, check=True,
        timeout=PROCESS_DEADLINE_SECONDS,
    )  # fmt: skip
    return time.perf_counter() - started


def _drain(url: str, processes: int) -> float:
    """Spawn burst workers and wait for them; returns the Unix time of the spawn."""
    spawned_at = time.time()
    workers = [
        subprocess.Popen(_worker_command(url, "--burst", *WORKER_OPTIONS), cwd=REPO_ROOT)
        for _ in range(processes)
    ]
    for worker in workers:
        if worker.wait(timeout=PROCESS_DEADLINE_SECONDS) != 0:
            raise RuntimeError(f"worker exited with {worker.returncode}")
    return spawned_at


def _measured_drain(
    factory: DatabaseFactory, processes: int, worker_role: str | None = None
) -> tuple[float, float]:
    """One drain of JOBS no-op jobs on a fresh database: jobs/s from spawn to the last
    result row, and from the first claim to the last result row. With ``worker_role``,
    the workers log in as that role, granted the tenant as a worker (as a tenant's
    workers run), instead of as the owner."""
    tenant = uuid.uuid4()
    with factory.database() as url, JobForgeClient(url) as client:
        _enqueue(client, tenant, JOBS)
        worker_url = url
        if worker_role is not None:
            client.grant_tenant(worker_role, tenant, kind="worker")
            worker_url = _as_role(url, worker_role)
        spawned_at = _drain(worker_url, processes)
        done, first_claim_at, last_result_at = _count_results(url)
    if done != JOBS:
        raise RuntimeError(f"expected {JOBS} results, found {done}")
    return JOBS / (last_result_at - spawned_at), JOBS / (last_result_at - first_claim_at)


def _as_role(url: str, role: str) -> str:
    params = psycopg.conninfo.conninfo_to_dict(url)
    params["user"] = role
    params.pop("password", None)
    return psycopg.conninfo.make_conninfo(**{key: str(value) for key, value in params.items()})


@contextlib.contextmanager
def _worker_role(server_url: str) -> Iterator[str]:
    """A login role for the drains run as a tenant's worker, dropped afterwards."""
    name = f"jobforge_bench_worker_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(name)))
    try:
        yield name
    finally:
        with psycopg.connect(server_url, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(name)))


def _count_results(url: str) -> tuple[int, float, float]:
    """Results written, the Unix time of the first claim, and of the last result (the
    server's clock: server and benchmark share this machine)."""
    with psycopg.connect(url) as conn:
        row = conn.execute(
            "SELECT count(*), extract(epoch FROM min(started_at)), "
            "extract(epoch FROM max(finished_at)) FROM jobforge.jobforge_job_results"
        ).fetchone()
    if row is None:
        return 0, 0.0, 0.0
    return int(row[0]), float(row[1] or 0), float(row[2] or 0)


def _latency(url: str, client: JobForgeClient, tenant: uuid.UUID) -> list[float]:
    worker = subprocess.Popen(_worker_command(url, "--concurrency", "2"), cwd=REPO_ROOT)
    try:
        # Warm up: the first job waits for the worker to start and LISTEN.
        first = client.enqueue_job(tenant_id=tenant, type="bench.latency", payload={})
        _wait_for_result(client, first.id)
        samples = []
        for _ in range(LATENCY_SAMPLES):
            enqueued_at = time.time()
            receipt = client.enqueue_job(tenant_id=tenant, type="bench.latency", payload={})
            output = _wait_for_result(client, receipt.id)
            samples.append((output["handler_started_at"] - enqueued_at) * 1000)
        return samples
    finally:
        worker.terminate()
        worker.wait(timeout=60)


def _wait_for_result(client: JobForgeClient, job_id: uuid.UUID) -> dict[str, float]:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        result = client.get_result(job_id)
        if result is not None:
            return dict(result.output)
    raise TimeoutError(f"job {job_id} did not finish within 30 s")


def _percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def run() -> dict[str, float | str]:
    figures: dict[str, float | str] = {}
    with throwaway_server(_server_url()) as server_url:
        factory = DatabaseFactory(server_url)
        with psycopg.connect(server_url) as conn:
            version = conn.execute("SHOW server_version").fetchone()
        figures["postgres_version"] = str(version[0]) if version else "?"
        with factory.database() as url, JobForgeClient(url) as client:
            _enqueue(client, uuid.uuid4(), WARM_UP_JOBS)  # connection and plan caches
            runs = [_enqueue(client, uuid.uuid4(), JOBS) for _ in range(ENQUEUE_RUNS)]
            figures["enqueue_batch_20000_jobs_per_s_median"] = JOBS / statistics.median(runs)
            figures["enqueue_batch_20000_jobs_per_s_best"] = JOBS / min(runs)
        with factory.database() as url:
            cold = [_start_and_exit(url, cache=False) for _ in range(3)]
            _start_and_exit(url, cache=True)  # fills the cache the drains below start from
            warm = [_start_and_exit(url, cache=True) for _ in range(3)]
        figures["worker_start_to_exit_empty_queue_contracts_validated_s"] = statistics.median(cold)
        figures["worker_start_to_exit_empty_queue_contracts_cached_s"] = statistics.median(warm)
        for processes in (1, 2):
            from_spawn, from_first_claim = [], []
            for _ in range(DRAIN_RUNS):
                spawn_rate, running_rate = _measured_drain(factory, processes)
                from_spawn.append(spawn_rate)
                from_first_claim.append(running_rate)
            prefix = f"drain_20000_noop_{processes}_process"
            figures[f"{prefix}_spawn_to_last_result_jobs_per_s_median"] = statistics.median(
                from_spawn
            )
            figures[f"{prefix}_spawn_to_last_result_jobs_per_s_best"] = max(from_spawn)
            # The same drain without process start-up: first claim to last result.
            figures[f"{prefix}_first_claim_to_last_result_jobs_per_s_median"] = statistics.median(
                from_first_claim
            )
        # The same 2-process drain by a role granted the tenant as a worker: every claim and
        # report checks the role's grants and filters by its tenants.
        with _worker_role(server_url) as role:
            as_role = [_measured_drain(factory, 2, role)[0] for _ in range(DRAIN_RUNS)]
        figures["drain_20000_noop_2_process_as_tenant_worker_jobs_per_s_median"] = (
            statistics.median(as_role)
        )
        with factory.database() as url, JobForgeClient(url) as client:
            samples = _latency(url, client, uuid.uuid4())
        figures["latency_enqueue_to_handler_p50_ms"] = _percentile(samples, 0.50)
        figures["latency_enqueue_to_handler_p95_ms"] = _percentile(samples, 0.95)
        figures["latency_enqueue_to_handler_p99_ms"] = _percentile(samples, 0.99)
        figures["latency_mean_ms"] = statistics.fmean(samples)
    return figures
