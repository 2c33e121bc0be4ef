"""Runner contracts for the job types in the queue: present, missing, invalid, or no
project to read them from."""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path

from jobforge.doctor.results import Status
from tests.integration.doctor.support import doctor, result
from tests.integration.support import connect, enqueue

REPOSITORY = Path(__file__).resolve().parents[3]
KEYS_CONTRACT = REPOSITORY / "contracts" / "runners" / "jobforge.keys.yaml"


def make_project(folder: Path) -> Path:
    """A project whose one runner contract declares the jobforge.keys.* job types."""
    folder.mkdir()
    (folder / "pyproject.toml").write_text('[project]\nname = "doctor-test"\n', encoding="utf-8")
    runners = folder / "contracts" / "runners"
    runners.mkdir(parents=True)
    shutil.copy(KEYS_CONTRACT, runners / KEYS_CONTRACT.name)
    return folder


def test_queued_types_with_and_without_a_contract(database_url: str, tmp_path: Path) -> None:
    project = make_project(tmp_path / "project")
    tenant = uuid.uuid4()
    with connect(database_url) as conn:
        enqueue(conn, tenant, "jobforge.keys.list")
    covered = result(doctor(database_url, project / "contracts"), "runner_contracts")
    assert covered.status is Status.PASS, covered
    assert covered.facts["waiting_job_types"] == ["jobforge.keys.list"]

    with connect(database_url) as conn:
        enqueue(conn, tenant, "acme.unknown")
    missing = result(doctor(database_url, project), "runner_contracts")
    assert missing.status is Status.FAIL
    assert missing.facts["without_contract"] == ["acme.unknown"]


def test_contracts_that_do_not_validate_fail(database_url: str, tmp_path: Path) -> None:
    project = make_project(tmp_path / "project")
    (project / "contracts" / "runners" / "jobforge.keys.yaml").write_text(
        "runner_id: [not, a, string\n", encoding="utf-8"
    )
    broken = result(doctor(database_url, project), "runner_contracts")
    assert broken.status is Status.FAIL
    assert "jobforge-contracts validate" in broken.action


def test_without_a_project_or_contracts_it_warns(database_url: str, tmp_path: Path) -> None:
    nowhere = result(doctor(database_url, tmp_path), "runner_contracts")
    assert nowhere.status is Status.WARN
    assert "--project" in nowhere.action
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "bare"\n', encoding="utf-8")
    bare = result(doctor(database_url, tmp_path), "runner_contracts")
    assert bare.status is Status.WARN
    assert "contracts/runners/" in bare.detail
