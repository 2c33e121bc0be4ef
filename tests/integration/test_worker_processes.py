"""Worker processes as operators run them: draining, SIGKILL, SIGTERM, and `jobforge migrate`."""

from __future__ import annotations

import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from jobforge.client import JobForgeClient, JobSpec
from jobforge.db.migrations import load_migrations
from tests.integration.support import connect, job, results, wait_until

REPO_ROOT = Path(__file__).resolve().parents[2]
HANDLERS = "tests.integration.handlers_for_tests"
JOBS_TO_DRAIN = 5_000
WORKER_PROCESSES = 3
PROCESS_SECONDS = 45
START_SECONDS = 30


def worker_command(database_url: str, *options: str) -> list[str]:
    return [
        sys.executable, "-m", "jobforge.worker", "run",
        "--database-url", database_url, "-m", HANDLERS, "--log-level", "warning",
        "--poll-interval", "0.1", *options,
    ]  # fmt: skip


class Workers:
    """Starts worker processes from the repository root and kills any left at the end."""

    def __init__(self) -> None:
        self.started: list[subprocess.Popen[str]] = []

    def start(self, database_url: str, *options: str) -> subprocess.Popen[str]:
        process = subprocess.Popen(
            worker_command(database_url, *options),
            cwd=REPO_ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.started.append(process)
        return process

    def finish(self, process: subprocess.Popen[str]) -> tuple[int, str]:
        _, stderr = process.communicate(timeout=PROCESS_SECONDS)
        return process.returncode, stderr

    def kill_all(self) -> None:
        for process in self.started:
            if process.poll() is None:
                process.kill()
            process.communicate(timeout=PROCESS_SECONDS)


@pytest.fixture
def workers() -> Iterator[Workers]:
    started = Workers()
    try:
        yield started
    finally:
        started.kill_all()


def block_job(
    client: JobForgeClient, tenant_id: uuid.UUID, folder: Path, name: str, **options: Any
) -> uuid.UUID:
    payload = {"marker_dir": str(folder), "name": name}
    return client.enqueue_job(tenant_id=tenant_id, type="proc.block", payload=payload, **options).id


def job_state(database_url: str, job_id: uuid.UUID) -> tuple[str, int]:
    with connect(database_url) as conn:
        row = job(conn, job_id)
    return row["state"], row["attempts"]


def test_worker_processes_run_every_job_exactly_once(
    database_url: str, tenant_id: uuid.UUID, workers: Workers
) -> None:
    with JobForgeClient(database_url) as client:
        client.enqueue_jobs(
            JobSpec(tenant_id=tenant_id, type="proc.noop", payload={"n": n})
            for n in range(JOBS_TO_DRAIN)
        )
    processes = [
        workers.start(database_url, "--burst", "--concurrency", "4")
        for _ in range(WORKER_PROCESSES)
    ]
    for process in processes:
        code, stderr = workers.finish(process)
        assert code == 0, stderr

    with psycopg.connect(database_url) as conn:
        jobs = conn.execute(
            "SELECT state::text, attempts, count(*) FROM jobforge.jobforge_jobs GROUP BY 1, 2"
        ).fetchall()
        assert jobs == [("succeeded", 1, JOBS_TO_DRAIN)]
        counts = conn.execute(
            "SELECT count(*), count(DISTINCT job_id), "
            "count(*) FILTER (WHERE outcome = 'succeeded' AND attempt = 1) "
            "FROM jobforge.jobforge_job_results"
        ).fetchone()
        assert counts == (JOBS_TO_DRAIN, JOBS_TO_DRAIN, JOBS_TO_DRAIN)
        missing = conn.execute(
            "SELECT count(*) FROM jobforge.jobforge_jobs j WHERE NOT EXISTS "
            "(SELECT 1 FROM jobforge.jobforge_job_results r WHERE r.job_id = j.id)"
        ).fetchone()
        assert missing == (0,)
        outputs = conn.execute(
            "SELECT count(*) FROM jobforge.jobforge_jobs j "
            "JOIN jobforge.jobforge_job_results r ON r.job_id = j.id "
            "WHERE r.output -> 'n' = j.payload -> 'n'"
        ).fetchone()
        assert outputs == (JOBS_TO_DRAIN,)


def test_job_of_a_killed_worker_is_completed_by_another_after_its_lease(
    database_url: str, tenant_id: uuid.UUID, workers: Workers, tmp_path: Path
) -> None:
    with JobForgeClient(database_url) as client:
        job_id = block_job(client, tenant_id, tmp_path, "killed")
    doomed = workers.start(database_url, "--lease-seconds", "1")
    wait_until((tmp_path / "killed.started").exists, START_SECONDS, "the handler to start")
    doomed.send_signal(signal.SIGKILL)
    doomed.wait(PROCESS_SECONDS)
    assert job_state(database_url, job_id) == ("running", 1)

    def lease_expired() -> bool:
        with connect(database_url) as conn:
            row = conn.execute(
                "SELECT now() > lease_expires_at AS expired FROM jobforge.jobforge_jobs "
                "WHERE id = %s",
                (job_id,),
            ).fetchone()
        return bool(row and row["expired"])

    wait_until(lease_expired, START_SECONDS, "the killed worker's lease to expire")
    code, stderr = workers.finish(workers.start(database_url, "--burst"))
    assert code == 0, stderr
    assert job_state(database_url, job_id) == ("succeeded", 2)
    with connect(database_url) as conn:
        recorded = results(conn, job_id)
    assert [(r["attempt"], r["outcome"]) for r in recorded] == [(1, "failed"), (2, "succeeded")]
    assert recorded[0]["error"]["kind"] == "lease_expired"
    assert recorded[1]["output"] == {"name": "killed", "attempt": 2}


def start_with_one_running_one_waiting(
    database_url: str, tenant_id: uuid.UUID, workers: Workers, folder: Path
) -> tuple[subprocess.Popen[str], uuid.UUID, uuid.UUID, str]:
    """A worker holding two jobs: one running (blocked), one claimed but not started."""
    with JobForgeClient(database_url) as client:
        ids = {name: block_job(client, tenant_id, folder, name) for name in ("a", "b")}
    process = workers.start(
        database_url, "--concurrency", "1", "--prefetch", "1", "--grace-seconds", "30"
    )
    running_name = wait_until(
        lambda: next((n for n in ids if (folder / f"{n}.started").exists()), None),
        START_SECONDS,
        "a handler to start",
    )
    waiting_name = "b" if running_name == "a" else "a"
    wait_until(
        lambda: job_state(database_url, ids[waiting_name]) == ("running", 1),
        START_SECONDS,
        "both jobs to be claimed",
    )
    return process, ids[running_name], ids[waiting_name], running_name


def test_sigterm_lets_the_running_job_finish_and_exits_cleanly(
    database_url: str, tenant_id: uuid.UUID, workers: Workers, tmp_path: Path
) -> None:
    process, running, waiting, running_name = start_with_one_running_one_waiting(
        database_url, tenant_id, workers, tmp_path
    )
    process.send_signal(signal.SIGTERM)
    wait_until(
        lambda: job_state(database_url, waiting) == ("queued", 0),
        START_SECONDS,
        "the job not started to be given back",
    )
    assert process.poll() is None  # still finishing the running job
    (tmp_path / f"{running_name}.release").touch()
    code, stderr = workers.finish(process)
    assert code == 0, stderr
    assert job_state(database_url, running) == ("succeeded", 1)
    assert job_state(database_url, waiting) == ("queued", 0)


def test_second_sigterm_exits_at_once_and_gives_the_job_back(
    database_url: str, tenant_id: uuid.UUID, workers: Workers, tmp_path: Path
) -> None:
    process, running, waiting, _ = start_with_one_running_one_waiting(
        database_url, tenant_id, workers, tmp_path
    )
    process.send_signal(signal.SIGTERM)
    wait_until(
        lambda: job_state(database_url, waiting) == ("queued", 0),
        START_SECONDS,
        "the first signal to be handled",
    )
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=15)  # well inside the 30 s grace period
    assert process.returncode == 0, stderr
    assert job_state(database_url, running) == ("queued", 0)
    assert job_state(database_url, waiting) == ("queued", 0)
    with connect(database_url) as conn:
        assert results(conn, running) == []


def test_jobforge_migrate_twice(empty_database_url: str) -> None:
    command = [str(Path(sys.executable).parent / "jobforge"), "migrate"]
    command += ["--database-url", empty_database_url]
    first = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    assert first.returncode == 0, first.stderr
    shipped = [m.filename for m in load_migrations()]
    assert shipped[:4] == [
        "0001_router.sql",
        "0002_enqueue_without_keys.sql",
        "0003_tenant_isolation.sql",
        "0004_follow_up_jobs.sql",
    ]
    count = len(shipped)
    assert first.stdout.splitlines() == [
        *[f"applied {name}" for name in shipped],
        f"{count} migration(s) applied, 0 already applied, {count} in all",
    ]
    second = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    assert second.returncode == 0, second.stderr
    assert second.stdout.splitlines() == [
        f"0 migration(s) applied, {count} already applied, {count} in all"
    ]


def test_jobforge_migrate_reports_errors_without_a_traceback() -> None:
    command = [str(Path(sys.executable).parent / "jobforge"), "migrate"]
    command += ["--database-url", "postgresql://nobody@127.0.0.1:1/none?connect_timeout=2"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 1
    assert result.stderr.startswith("jobforge: error: cannot connect to")
    assert "Traceback" not in result.stderr
