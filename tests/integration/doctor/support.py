"""Running the doctor against a test database and picking out one check's result."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jobforge.doctor.options import DoctorOptions
from jobforge.doctor.results import CheckResult, DoctorReport
from jobforge.doctor.run import run_doctor
from tests.integration.support import connect


def doctor(database_url: str, project: Path, **thresholds: Any) -> DoctorReport:
    return run_doctor(database_url, DoctorOptions(project=project, **thresholds))


def result(report: DoctorReport, name: str) -> CheckResult:
    [found] = [r for r in report.results if r.name == name]
    return found


def record_presence(
    url: str, worker_id: str = "w-1", job_types: list[str] | None = None, *, stopped: bool = False
) -> None:
    """Record a worker's presence as the role ``url`` connects as, as a worker would."""
    with connect(url) as conn:
        conn.execute(
            "SELECT jobforge.jobforge_record_worker_presence(%s, 'host-1', 4242, '0.1.0', %s, %s)",
            (worker_id, job_types, stopped),
        )


def age_presence(url: str, worker_id: str, seconds: int) -> None:
    """Move a worker's last sighting ``seconds`` into the past (as the owner)."""
    with connect(url) as conn:
        conn.execute(
            "UPDATE jobforge.jobforge_workers "
            "SET started_at = started_at - make_interval(secs => %(s)s), "
            "last_seen_at = last_seen_at - make_interval(secs => %(s)s) WHERE worker_id = %(w)s",
            {"s": seconds, "w": worker_id},
        )
