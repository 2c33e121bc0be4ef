"""``jobforge-contracts drift`` and ``lock`` end to end, against the lock and against git."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.acceptance.registry.support import contracts
from tests.unit.contracts.support import REPO_ROOT, SAMPLE_PYPROJECT, make_project
from tests.unit.drift.edits import (
    Document,
    edit_runner,
    input_schema,
    set_version,
)

LOCK = Path("contracts") / "contracts.lock"
GIT_DEADLINE_SECONDS = 30


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = make_project(tmp_path / "project", pyproject=SAMPLE_PYPROJECT)
    locked = contracts("lock", cwd=root)
    assert locked.returncode == 0, locked.stdout + locked.stderr
    return root


def require_account(document: Document) -> None:
    input_schema(document)["properties"]["account"] = {"type": "string"}
    input_schema(document)["required"].append("account")


def add_optional(document: Document) -> None:
    input_schema(document)["properties"]["verbose"] = {"type": "boolean"}


def git(root: Path, *arguments: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.test", *arguments],
        cwd=root, check=True, capture_output=True, timeout=GIT_DEADLINE_SECONDS,
    )  # fmt: skip


def test_the_committed_lock_matches_the_repository() -> None:
    completed = contracts("drift", cwd=REPO_ROOT)
    assert completed.returncode == 0, completed.stdout
    assert completed.stdout.endswith("none changed\n")


def test_a_fresh_lock_passes(project: Path) -> None:
    completed = contracts("drift", cwd=project)
    assert completed.returncode == 0, completed.stdout
    assert completed.stdout == (
        "jobforge-contracts drift: ok: 2 contracts compared with contracts/contracts.lock, "
        "none changed\n"
    )


def test_no_lock_is_a_problem_with_the_fix(tmp_path: Path) -> None:
    root = make_project(tmp_path / "project", pyproject=SAMPLE_PYPROJECT)
    completed = contracts("drift", cwd=root)
    assert completed.returncode == 1
    assert completed.stdout.splitlines()[0] == (
        "contracts/contracts.lock:1:1: JF605 lock-out-of-date: missing: contracts/contracts.lock "
        "— run `jobforge-contracts lock` and commit it"
    )


def test_a_change_without_a_bump_fails_naming_the_contract(project: Path) -> None:
    edit_runner(project, add_optional)
    completed = contracts("drift", cwd=project)
    assert completed.returncode == 1
    assert "contracts/runners/autopilot.ops.scan.yaml:" in completed.stdout
    assert "JF601 version-not-bumped: runner autopilot.ops.scan changed" in completed.stdout
    refused = contracts("lock", cwd=project)
    assert refused.returncode == 1
    assert "refusing to update contracts/contracts.lock" in refused.stderr


def test_a_breaking_change_with_a_minor_bump_fails_with_its_rule_id(project: Path) -> None:
    edit_runner(project, require_account)
    edit_runner(project, set_version("1.1.0"))
    completed = contracts("drift", cwd=project)
    assert completed.returncode == 1
    assert "JF602 breaking-change-needs-major-bump" in completed.stdout
    assert "JF509 required-added at autopilot.ops.scan input_schema /properties/account" in (
        completed.stdout
    )
    assert (
        "  JF509 required-added at autopilot.ops.scan input_schema /properties/account: "
        "property 'account' is now required [breaking]"
    ) in completed.stdout.splitlines()


def test_a_recorded_major_bump_passes_once_locked(project: Path) -> None:
    lock_before = (project / LOCK).read_bytes()
    edit_runner(project, require_account)
    edit_runner(project, set_version("2.0.0"))
    unrecorded = contracts("drift", cwd=project)
    assert unrecorded.returncode == 1
    assert "JF603 breaking-change-not-recorded" in unrecorded.stdout
    edit_runner(project, set_version("2.0.0", record="Inputs now need an account."))
    stale = contracts("drift", cwd=project)
    assert stale.returncode == 1
    assert "JF605 lock-out-of-date" in stale.stdout
    assert contracts("lock", cwd=project).returncode == 0
    assert (project / LOCK).read_bytes() != lock_before
    passed = contracts("drift", cwd=project)
    assert passed.returncode == 0, passed.stdout


def test_json_and_github_formats(project: Path) -> None:
    edit_runner(project, add_optional)
    as_json = contracts("drift", "--format", "json", cwd=project)
    document = json.loads(as_json.stdout)
    assert document["ok"] is False
    assert [p["rule"] for p in document["problems"]] == ["JF601"]
    assert document["contracts"][0]["changes"][0]["name"] == "property-added"
    github = contracts("drift", "--format", "github", cwd=project)
    assert github.stdout.startswith("::error file=contracts/runners/autopilot.ops.scan.yaml,line=")
    assert "title=JF601 version-not-bumped::" in github.stdout


def test_a_hand_edited_lock_is_an_error_without_a_traceback(project: Path) -> None:
    lock = project / LOCK
    lock.write_text(lock.read_text().replace('"minLength": 1', '"minLength": 2'))
    completed = contracts("drift", cwd=project)
    assert completed.returncode == 1
    assert "edited by hand" in completed.stderr
    assert contracts("lock", "--force", cwd=project).returncode == 0
    assert contracts("drift", cwd=project).returncode == 0


def test_against_a_git_revision(project: Path) -> None:
    git(project, "init", "-q", "-b", "main")
    git(project, "add", "-A")
    git(project, "commit", "-q", "-m", "contracts")
    clean = contracts("drift", "--against", "HEAD", cwd=project)
    assert clean.returncode == 0, clean.stdout
    assert "compared with HEAD, none changed" in clean.stdout

    edit_runner(project, require_account)
    edit_runner(project, set_version("1.1.0"))
    broken = contracts("drift", "--against", "HEAD", cwd=project)
    assert broken.returncode == 1
    assert "JF602 breaking-change-needs-major-bump" in broken.stdout
    assert "JF509 required-added" in broken.stdout

    edit_runner(project, set_version("2.0.0", record="Inputs now need an account."))
    fixed = contracts("drift", "--against", "HEAD", cwd=project)
    assert fixed.returncode == 0, fixed.stdout
    assert "1 changed and versioned correctly" in fixed.stdout


def test_against_a_revision_from_a_subfolder_project(tmp_path: Path) -> None:
    repository = tmp_path / "repository"
    root = make_project(repository / "service", pyproject=SAMPLE_PYPROJECT)
    git(repository, "init", "-q", "-b", "main")
    git(repository, "add", "-A")
    git(repository, "commit", "-q", "-m", "contracts")
    edit_runner(root, add_optional)
    completed = contracts("drift", "--against", "HEAD", cwd=root)
    assert completed.returncode == 1
    assert "JF601 version-not-bumped" in completed.stdout


def test_against_a_revision_without_contracts_sees_them_as_new(project: Path) -> None:
    git(project, "init", "-q", "-b", "main")
    git(project, "commit", "-q", "--allow-empty", "-m", "empty")
    completed = contracts("drift", "--against", "HEAD", cwd=project)
    assert completed.returncode == 0, completed.stdout
    assert "runner autopilot.ops.scan (contracts/runners/autopilot.ops.scan.yaml): (new)" in (
        completed.stdout
    )


def test_an_unknown_revision_is_a_usage_error(project: Path) -> None:
    git(project, "init", "-q", "-b", "main")
    completed = contracts("drift", "--against", "no-such-branch", cwd=project)
    assert completed.returncode == 2
    assert "--against no-such-branch: not a commit" in completed.stderr


def test_outside_a_git_repository_is_a_usage_error(project: Path) -> None:
    completed = contracts("drift", "--against", "HEAD", cwd=project)
    assert completed.returncode == 2
    assert "not inside a git repository" in completed.stderr or "not a commit" in (completed.stderr)


def test_a_revision_whose_files_do_not_load_is_reported_with_its_name(project: Path) -> None:
    runner = project / "contracts" / "runners" / "autopilot.ops.scan.yaml"
    good = runner.read_text()
    runner.write_text(good.replace("runner_type: ops", "runner_type: Ops!"))
    git(project, "init", "-q", "-b", "main")
    git(project, "add", "-A")
    git(project, "commit", "-q", "-m", "broken")
    runner.write_text(good)
    completed = contracts("drift", "--against", "HEAD", cwd=project)
    assert completed.returncode == 1
    assert "HEAD:contracts/runners/autopilot.ops.scan.yaml:3:14: runner_type: JF112" in (
        completed.stdout
    )
