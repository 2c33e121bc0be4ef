"""`jobforge worker run` enforces the project's runner contracts on live jobs."""

from __future__ import annotations

import subprocess
import sys
import uuid
from pathlib import Path

from jobforge.client import JobForgeClient


def run_worker(project: Path, database_url: str, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "jobforge.worker", "run", "--burst", "--database-url", database_url,
         "--log-level", "warning", *extra],
        cwd=project, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip


def test_a_payload_breaking_the_input_schema_is_dead_without_retry(
    project: Path, database_url: str
) -> None:
    with JobForgeClient(database_url) as client:
        bad = client.enqueue_job(
            tenant_id=uuid.uuid4(), type="autopilot.ops.scan", payload={"zone": 42}
        )
        result = run_worker(project, database_url)
        assert result.returncode == 0, result.stderr
        job = client.get_job(bad.id)
        assert job.state == "dead"
        assert job.attempts == 1
        assert job.last_error["kind"] == "invalid_input"
        assert "payload.zone: 42 is not of type 'string'" in job.last_error["message"]
        [recorded] = client.get_results(bad.id)
        assert recorded.input_snapshot["runner_id"] == "autopilot.ops.scan"
        assert recorded.input_snapshot["runner_version"] == "1.0.0"


def test_contracts_that_do_not_validate_stop_the_worker(project: Path, database_url: str) -> None:
    runner = project / "contracts" / "runners" / "autopilot.ops.scan.yaml"
    runner.write_text(runner.read_text().replace("version: 1.0.0", "version: one"))
    result = run_worker(project, database_url)
    assert result.returncode == 1
    assert "contracts/runners/autopilot.ops.scan.yaml:4:" in result.stderr
    assert "--no-contracts" in result.stderr
    assert "Traceback" not in result.stderr
    assert run_worker(project, database_url, "--no-contracts").returncode == 0


def test_the_contract_cache_never_hides_an_edit(project: Path, database_url: str) -> None:
    """A first start validates the contracts and caches them; breaking a contract after
    that must stop the next start just the same (the cache is keyed by file contents)."""
    assert run_worker(project, database_url).returncode == 0
    assert list((project / ".jobforge_cache").glob("worker-contracts-*.json"))
    runner = project / "contracts" / "runners" / "autopilot.ops.scan.yaml"
    runner.write_text(runner.read_text().replace("version: 1.0.0", "version: one"))
    result = run_worker(project, database_url)
    assert result.returncode == 1
    assert "contracts/runners/autopilot.ops.scan.yaml:4:" in result.stderr
