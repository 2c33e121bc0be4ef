"""Removing a runner, connector or job type, end to end: ``drift`` fails until it is recorded."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.acceptance.registry.support import contracts
from tests.acceptance.registry.test_drift_cli import git
from tests.unit.contracts.support import SAMPLE_PYPROJECT, make_project
from tests.unit.drift.edits import (
    CONNECTOR_ID,
    RUNNER_ID,
    Document,
    connector_path,
    edit_runner,
    runner_path,
    set_version,
)

LOCK = Path("contracts") / "contracts.lock"
REMOVED = Path("contracts") / "removed.yaml"
RUNNER_FILE = f"contracts/runners/{RUNNER_ID}.yaml"
CONNECTOR_FILE = f"connectors/{CONNECTOR_ID}/metadata.json"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = make_project(tmp_path / "project", pyproject=SAMPLE_PYPROJECT)
    locked = contracts("lock", cwd=root)
    assert locked.returncode == 0, locked.stdout + locked.stderr
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "contracts")
    return root


def line_of(path: Path, needle: str) -> int:
    return next(
        number
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if needle in line
    )


def test_a_removed_runner_fails_against_the_revision_where_it_was(project: Path) -> None:
    runner_path(project).unlink()
    completed = contracts("drift", "--against", "HEAD", cwd=project)
    assert completed.returncode == 1
    lines = completed.stdout.splitlines()
    assert lines[0].startswith(
        f"HEAD:{RUNNER_FILE}:2:1: JF606 contract-removed-not-recorded: runner {RUNNER_ID} 1.0.0 "
        f"was removed, which breaks every caller of its job types ({RUNNER_ID}); if that is "
        "intended, record it in contracts/removed.yaml: runners: "
        f"{{{RUNNER_ID}: {{last_version: 1.0.0, message: "
    ), completed.stdout
    assert f"runner {RUNNER_ID} (HEAD:{RUNNER_FILE}): 1.0.0 -> (removed)" in lines
    assert lines[-1].startswith("jobforge-contracts drift: 1 problem;")


def test_a_recorded_removal_passes_against_the_revision(project: Path) -> None:
    runner_path(project).unlink()
    (project / REMOVED).write_text(
        f"runners:\n  {RUNNER_ID}:\n    last_version: 1.0.0\n"
        "    message: Scans moved to autopilot.ops.audit; enqueue that instead.\n",
        encoding="utf-8",
    )
    completed = contracts("drift", "--against", "HEAD", cwd=project)
    assert completed.returncode == 0, completed.stdout
    assert completed.stdout.splitlines() == [
        f"runner {RUNNER_ID} (HEAD:{RUNNER_FILE}): 1.0.0 -> (removed)",
        f"  JF524 contract-removed at runner {RUNNER_ID}: runner {RUNNER_ID} 1.0.0 is gone "
        "[breaking]",
        "jobforge-contracts drift: ok: 2 contracts compared with HEAD, 1 removed as recorded",
    ]


def test_a_removed_connector_fails_against_the_lock_at_its_entry_until_recorded(
    project: Path,
) -> None:
    lock_before = (project / LOCK).read_bytes()
    shutil.rmtree(connector_path(project).parent)
    entry_line = line_of(project / LOCK, f'"{CONNECTOR_ID}": {{')

    completed = contracts("drift", cwd=project)
    assert completed.returncode == 1
    assert completed.stdout.startswith(
        f"contracts/contracts.lock:{entry_line}:5: JF606 contract-removed-not-recorded: "
        f"connector {CONNECTOR_ID} 1.0.0 was removed, which breaks every runner that calls it"
    ), completed.stdout
    refused = contracts("lock", cwd=project)
    assert refused.returncode == 1
    assert "refusing to update contracts/contracts.lock" in refused.stderr
    assert (project / LOCK).read_bytes() == lock_before

    (project / REMOVED).write_text(
        f"connectors:\n  {CONNECTOR_ID}:\n    last_version: 1.0.0\n"
        "    message: The CDN is no longer offered; purge caches by hand.\n",
        encoding="utf-8",
    )
    recorded = contracts("drift", cwd=project)
    assert recorded.returncode == 1
    assert "JF605 lock-out-of-date" in recorded.stdout
    assert "JF606" not in recorded.stdout
    assert contracts("lock", cwd=project).returncode == 0
    assert contracts("drift", cwd=project).returncode == 0
    assert contracts("drift", "--against", "HEAD", cwd=project).returncode == 0


def test_a_record_for_another_version_points_at_the_record(project: Path) -> None:
    runner_path(project).unlink()
    (project / REMOVED).write_text(
        f"runners:\n  {RUNNER_ID}:\n    last_version: 0.9.0\n    message: Gone.\n",
        encoding="utf-8",
    )
    completed = contracts("drift", "--against", "HEAD", cwd=project)
    assert completed.returncode == 1
    assert completed.stdout.startswith(
        f'contracts/removed.yaml:3:19: runners["{RUNNER_ID}"].last_version: JF606 '
        f"contract-removed-not-recorded: records the removal of runner {RUNNER_ID} at 0.9.0, "
        "but HEAD has 1.0.0"
    ), completed.stdout


def test_a_broken_record_file_stops_drift_with_its_position(project: Path) -> None:
    runner_path(project).unlink()
    (project / REMOVED).write_text(
        f"runners:\n  {RUNNER_ID}:\n    last_version: one\n    message: Gone.\n",
        encoding="utf-8",
    )
    for arguments in (("drift",), ("drift", "--against", "HEAD"), ("lock",)):
        completed = contracts(*arguments, cwd=project)
        assert completed.returncode == 1, arguments
        assert completed.stdout.startswith(
            f'contracts/removed.yaml:3:19: runners["{RUNNER_ID}"].last_version: JF113'
        ), completed.stdout


def test_a_removed_job_type_fails_against_head_without_a_major_bump(project: Path) -> None:
    def add_second(document: Document) -> None:
        document["job_types"]["autopilot.ops.rescan"] = document["job_types"][RUNNER_ID]

    edit_runner(project, add_second)
    edit_runner(project, set_version("1.1.0"))
    git(project, "commit", "-q", "-am", "a second job type")

    edit_runner(project, lambda doc: doc["job_types"].pop("autopilot.ops.rescan"))
    edit_runner(project, set_version("1.2.0"))
    broken = contracts("drift", "--against", "HEAD", cwd=project)
    assert broken.returncode == 1
    assert broken.stdout.startswith(f"{RUNNER_FILE}:"), broken.stdout
    assert (
        "JF602 breaking-change-needs-major-bump: runner autopilot.ops.scan: JF520 "
        "job-type-removed at autopilot.ops.rescan: job type 'autopilot.ops.rescan' was removed"
    ) in broken.stdout

    edit_runner(project, set_version("2.0.0", record="autopilot.ops.rescan is gone."))
    fixed = contracts("drift", "--against", "HEAD", cwd=project)
    assert fixed.returncode == 0, fixed.stdout
