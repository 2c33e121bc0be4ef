"""`jobforge doctor` as an operator types it: a healthy database exits 0, a broken one 1,
and --format json is one document."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.integration.support import connect

JOBFORGE = str(Path(sys.executable).parent / "jobforge")
CHECKS = [
    "database", "migrations", "row_level_security", "function_search_path",
    "function_privileges", "workers", "expired_leases", "dead_letters", "queue_age",
    "unserved_job_types", "runner_contracts",
]  # fmt: skip


def doctor(*arguments: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in ("JOBFORGE_DATABASE_URL", "DATABASE_URL")
    }
    completed = subprocess.run(
        [JOBFORGE, "doctor", *arguments],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert "Traceback" not in completed.stderr, completed.stderr
    return completed


def a_live_worker(database_url: str) -> None:
    with connect(database_url) as conn:
        conn.execute(
            "SELECT jobforge.jobforge_record_worker_presence('w-1', 'host', 1, '0.1.0', NULL)"
        )


def test_a_healthy_database_exits_0(database_url: str, tmp_path: Path) -> None:
    a_live_worker(database_url)
    completed = doctor("--database-url", database_url, cwd=tmp_path)
    assert completed.returncode == 0, completed.stdout
    lines = completed.stdout.splitlines()
    reported = [line.split()[1].rstrip(":") for line in lines if line[:4] in ("pass", "WARN")]
    assert reported == CHECKS
    # Outside a project, only the contracts cannot be checked: a warning, with what to do.
    assert [line for line in lines if line.startswith("WARN")] == [
        next(line for line in lines if line.startswith("WARN  runner_contracts"))
    ]
    assert "what to do: run doctor in the project" in completed.stdout
    assert lines[-1] == "10 passed, 1 warning(s), 0 failed"


def test_a_broken_database_exits_1_naming_the_fault(database_url: str, tmp_path: Path) -> None:
    a_live_worker(database_url)
    with connect(database_url) as conn:
        conn.execute("ALTER TABLE jobforge.jobforge_jobs DISABLE ROW LEVEL SECURITY")
    completed = doctor("--database-url", database_url, cwd=tmp_path)
    assert completed.returncode == 1
    assert "FAIL  row_level_security: row-level security is off on jobforge_jobs" in (
        completed.stdout
    )
    assert "ALTER TABLE jobforge.jobforge_jobs ENABLE ROW LEVEL SECURITY" in completed.stdout


def test_json_is_one_document(database_url: str, tmp_path: Path) -> None:
    completed = doctor("--database-url", database_url, "--format", "json", cwd=tmp_path)
    assert completed.returncode == 1  # no worker has been seen
    document = json.loads(completed.stdout)
    assert completed.stdout == json.dumps(document, indent=2, sort_keys=True) + "\n"
    assert [check["name"] for check in document["checks"]] == CHECKS
    assert document["ok"] is False
    assert document["counts"] == {"fail": 1, "pass": 9, "warn": 1}
    [workers] = [check for check in document["checks"] if check["name"] == "workers"]
    assert (workers["status"], workers["facts"]["live"]) == ("fail", [])


def test_mistakes_exit_with_one_line(tmp_path: Path, database_url: str) -> None:
    no_url = doctor(cwd=tmp_path)
    assert no_url.returncode == 1
    assert "no database URL" in no_url.stderr
    bad_threshold = doctor(
        "--database-url", database_url, "--queue-age-fail-seconds", "-1", cwd=tmp_path
    )
    assert bad_threshold.returncode == 2
    assert "queue_age_fail_seconds: expected a positive number" in bad_threshold.stderr
    unreachable = doctor(
        "--database-url", "postgresql://nobody@127.0.0.1:1/none", "--format", "json", cwd=tmp_path
    )
    assert unreachable.returncode == 1
    assert json.loads(unreachable.stdout)["checks"][0]["name"] == "database"
