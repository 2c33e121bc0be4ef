"""Worker processes draining thousands of jobs through SIGKILLs, terminated backends,
server restarts (a fast shutdown and a crash), poison rows and handlers that misbehave in
every way. Afterwards every good job has exactly one success result, every bad job is dead
with its reason, and every worker still stops cleanly. Bounded: each fault waits for
progress, never for the clock, and the whole run has a deadline.
"""

from __future__ import annotations

import json
import random
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg

from jobforge.client import JobForgeClient, JobSpec
from jobforge.db.throwaway import DatabaseFactory
from tests.chaos.conftest import RestartableServer
from tests.chaos.figures import record_figures
from tests.integration.support import wait_until

ROOT = Path(__file__).resolve().parents[2]
GOOD_JOBS = 3_000
WORKERS = 3
LEASE_SECONDS = 2
RUN_DEADLINE_SECONDS = 240
STOP_DEADLINE_SECONDS = 60
# (progress as a fraction of the good jobs, fault) in the order they strike.
FAULTS = [
    (0.08, "sigkill"),
    (0.15, "terminate"),
    (0.22, "restart-fast"),
    (0.30, "sigkill"),
    (0.38, "terminate"),
    (0.46, "restart-immediate"),
    (0.55, "sigkill"),
    (0.62, "terminate"),
    (0.70, "sigkill"),
    (0.78, "terminate"),
]
# Jobs that must end dead, and the error kind each must carry.
BAD_JOBS = {
    "chaos.exit": "exception",
    "chaos.interrupt": "exception",
    "chaos.raise": "exception",
    "chaos.crash": "lease_expired",
}
POISON_PAYLOADS = ["[" * 10_000 + "]" * 10_000, "[1e5000]"]


@dataclass
class Fleet:
    """Worker processes, restarted when they die (as systemd or Kubernetes would)."""

    url: str
    logs: Path
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)
    log_files: list[Any] = field(default_factory=list)
    exits: Counter[int] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def command(self) -> list[str]:
        return [
            sys.executable, "-m", "jobforge.worker", "run", "--database-url", self.url,
            "-m", "tests.chaos.handlers", "--no-contracts", "--log-level", "error",
            "--concurrency", "4", "--batch-size", "50", "--lease-seconds", str(LEASE_SECONDS),
            "--poll-interval", "0.2", "--grace-seconds", "10",
        ]  # fmt: skip

    def log(self) -> Any:
        """Where a worker's log lines go (errors only): a file the test shows on failure."""
        handle = Path(self.logs, f"worker-{len(self.log_files)}.log").open("wb")  # noqa: SIM115 - closed at the end
        self.log_files.append(handle)
        return handle

    def start(self, count: int) -> None:
        for _ in range(count):
            self.processes.append(subprocess.Popen(self.command(), cwd=ROOT, stderr=self.log()))

    def replace_the_dead(self) -> None:
        with self.lock:
            for index, process in enumerate(self.processes):
                code = process.poll()
                if code is not None:
                    self.exits[code] += 1
                    self.processes[index] = subprocess.Popen(
                        self.command(), cwd=ROOT, stderr=self.log()
                    )

    def kill_one(self, rng: random.Random) -> None:
        with self.lock:
            rng.choice(self.processes).send_signal(signal.SIGKILL)

    def stop(self) -> list[int | None]:
        with self.lock:
            for process in self.processes:
                process.send_signal(signal.SIGTERM)
            codes = []
            for process in self.processes:
                try:
                    codes.append(process.wait(timeout=STOP_DEADLINE_SECONDS))
                except subprocess.TimeoutExpired:
                    process.kill()
                    codes.append(None)
            return codes


def enqueue_everything(url: str) -> tuple[list[uuid.UUID], dict[uuid.UUID, str]]:
    tenants = [uuid.uuid4() for _ in range(3)]
    retry_fast = {"backoff_base_seconds": 0.01, "backoff_cap_seconds": 0.05}
    with JobForgeClient(url) as client:
        # The misbehaving handlers first, so they fail for their own reasons early; the one
        # that kills its process last (lowest priority), or it would take every job its
        # worker held along with it on each of its attempts.
        bad = {
            client.enqueue_job(
                tenant_id=tenants[0],
                type=job_type,
                payload={},
                max_attempts=3,
                priority=-1 if job_type == "chaos.crash" else 1,
                **retry_fast,
            ).id: kind
            for job_type, kind in BAD_JOBS.items()
        }
        good = [
            receipt.id
            for receipt in client.enqueue_jobs(
                JobSpec(
                    tenant_id=tenants[n % 3],
                    type="chaos.work",
                    payload={"n": n},
                    max_attempts=50,
                    **retry_fast,
                )
                for n in range(GOOD_JOBS)
            )
        ]
    with psycopg.connect(url, autocommit=True) as owner, owner.transaction():
        # Poison only a schema older than version 3 (or its owner, limits off) can hold.
        owner.execute(
            "ALTER TABLE jobforge.jobforge_jobs DISABLE TRIGGER jobforge_jobs_payload_limits"
        )
        for payload in POISON_PAYLOADS:
            row = owner.execute(
                "INSERT INTO jobforge.jobforge_jobs (id, tenant_id, type, payload, trace_id) "
                "VALUES (gen_random_uuid(), %s, 'chaos.work', %s::jsonb, 't') RETURNING id",
                (tenants[1], payload),
            ).fetchone()
            assert row is not None
            bad[row[0]] = "undecodable_payload"
        owner.execute(
            "ALTER TABLE jobforge.jobforge_jobs ENABLE TRIGGER jobforge_jobs_payload_limits"
        )
    return good, bad


def succeeded(url: str) -> int:
    """Good jobs done so far; -1 while the server is away."""
    try:
        with psycopg.connect(url, connect_timeout=2) as conn:
            row = conn.execute(
                "SELECT count(*) FROM jobforge.jobforge_jobs "
                "WHERE state = 'succeeded' AND type = 'chaos.work'"
            ).fetchone()
    except psycopg.OperationalError:
        return -1
    assert row is not None
    return int(row[0])


def terminate_backends(url: str) -> int:
    with psycopg.connect(url, autocommit=True) as admin:
        rows = admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE application_name = 'jobforge' AND pid <> pg_backend_pid()"
        ).fetchall()
    return sum(1 for row in rows if row[0])


def outcome(url: str) -> dict[str, Any]:
    with psycopg.connect(url) as conn:
        jobs = {
            row[0]: (row[1], row[2], row[3])
            for row in conn.execute(
                "SELECT id, state::text, last_error ->> 'kind', attempts "
                "FROM jobforge.jobforge_jobs"
            )
        }
        successes = Counter(
            row[0]
            for row in conn.execute(
                "SELECT job_id FROM jobforge.jobforge_job_results WHERE outcome = 'succeeded'"
            )
        )
        kinds: dict[uuid.UUID, set[str]] = {}
        for job_id, kind in conn.execute(
            "SELECT job_id, error ->> 'kind' FROM jobforge.jobforge_job_results "
            "WHERE error IS NOT NULL"
        ):
            kinds.setdefault(job_id, set()).add(kind)
    return {"jobs": jobs, "successes": successes, "failure_kinds": kinds}


def test_no_job_is_lost_or_doubled_on_a_bad_day(
    restartable_server: RestartableServer, tmp_path: Path
) -> None:
    rng = random.Random(20261130)
    factory = DatabaseFactory(restartable_server.url, use_template=False)
    with factory.database() as url:
        good, bad = enqueue_everything(url)
        fleet = Fleet(url, tmp_path)
        started = time.monotonic()
        fleet.start(WORKERS)
        counts = {"sigkill": 0, "terminated_backends": 0, "server_restarts": 0}
        recoveries: list[float] = []
        try:
            for fraction, fault in FAULTS:
                wait_until(
                    lambda f=fraction: fleet.replace_the_dead() or succeeded(url) >= f * GOOD_JOBS,
                    RUN_DEADLINE_SECONDS,
                    f"{fraction:.0%} of the good jobs before the next fault ({fault})",
                )
                before = succeeded(url)
                struck = time.monotonic()
                if fault == "sigkill":
                    fleet.kill_one(rng)
                    counts["sigkill"] += 1
                elif fault == "terminate":
                    counts["terminated_backends"] += terminate_backends(url)
                else:
                    restartable_server.restart(fault.removeprefix("restart-"))
                    counts["server_restarts"] += 1
                # Progress, or nothing left to make progress on (a fast drain may finish
                # the good jobs before the last faults strike).
                wait_until(
                    lambda b=before: (
                        fleet.replace_the_dead()
                        or succeeded(url) > b
                        or succeeded(url) >= GOOD_JOBS
                    ),
                    RUN_DEADLINE_SECONDS,
                    f"progress after {fault}",
                )
                recoveries.append(time.monotonic() - struck)
            wait_until(
                lambda: fleet.replace_the_dead() or finished(url, good, bad),
                RUN_DEADLINE_SECONDS,
                "every job to finish",
            )
        finally:
            stop_codes = fleet.stop()
            for handle in fleet.log_files:
                handle.close()
        elapsed = time.monotonic() - started
        result = outcome(url)

    jobs, successes = result["jobs"], result["successes"]
    lost = [job_id for job_id in good if jobs[job_id][0] != "succeeded"]
    doubled = [job_id for job_id, n in successes.items() if n > 1]
    # A bad job is dead, and one of its attempts failed for its own reason (an attempt
    # that a crash of its worker took recorded lease_expired instead).
    failure_kinds = result["failure_kinds"]
    wrong_dead = {
        job_id: (jobs[job_id][0], sorted(failure_kinds.get(job_id, ())))
        for job_id, kind in bad.items()
        if jobs[job_id][0] != "dead" or kind not in failure_kinds.get(job_id, ())
    }
    figures = {
        "good jobs": GOOD_JOBS,
        "bad jobs (poison and misbehaving handlers)": len(bad),
        "workers": WORKERS,
        "workers killed (SIGKILL)": counts["sigkill"],
        "workers that killed themselves (os._exit)": fleet.exits.get(70, 0),
        "workers that exited on their own": sum(
            n for code, n in fleet.exits.items() if code not in (-signal.SIGKILL, 70)
        ),
        "backends terminated": counts["terminated_backends"],
        "server restarts (fast, immediate)": counts["server_restarts"],
        "good jobs lost": len(lost),
        "good jobs with more than one success": len(doubled),
        "bad jobs not dead with their reason": len(wrong_dead),
        "longest recovery after a fault, s": round(max(recoveries), 2),
        "median recovery after a fault, s": round(sorted(recoveries)[len(recoveries) // 2], 2),
        "run, s": round(elapsed, 1),
        "good attempts lost to faults": sum(jobs[j][2] - 1 for j in good),
        "failed attempts of good jobs, by kind": json.dumps(
            dict(sorted(Counter(k for j in good for k in failure_kinds.get(j, ())).items()))
        ),
        "worker exit codes at the end": json.dumps(stop_codes),
        "worker exit codes during the run": json.dumps(dict(sorted(fleet.exits.items()))),
    }
    record_figures("no_job_is_lost_or_doubled", figures)
    assert lost == [], f"{len(lost)} good jobs did not succeed: {figures}"
    assert doubled == [], f"{len(doubled)} jobs have more than one success: {figures}"
    assert wrong_dead == {}, wrong_dead
    assert all(successes[job_id] == 1 for job_id in good)
    assert stop_codes == [0] * WORKERS, f"a worker did not stop cleanly: {figures}"
    # Version 2 exited 1 when a backend was terminated or the server restarted.
    assert figures["workers that exited on their own"] == 0, figures
    assert counts["terminated_backends"] > 0


def finished(url: str, good: list[uuid.UUID], bad: dict[uuid.UUID, str]) -> bool:
    try:
        with psycopg.connect(url, connect_timeout=2) as conn:
            row = conn.execute(
                "SELECT count(*) FILTER (WHERE state = 'succeeded' AND id = ANY(%s)), "
                "count(*) FILTER (WHERE state = 'dead' AND id = ANY(%s)) "
                "FROM jobforge.jobforge_jobs",
                (good, list(bad)),
            ).fetchone()
    except psycopg.OperationalError:
        return False
    assert row is not None
    return (row[0], row[1]) == (len(good), len(bad))
