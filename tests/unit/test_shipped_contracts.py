"""The shipped runners' contracts and connectors fill in what a project does not define."""

from __future__ import annotations

from pathlib import Path

from jobforge.cli.handler_loading import (
    load_project_connector_policies,
    load_project_contracts,
    load_worker_contracts,
)
from jobforge.contracts.shipped import shipped_root
from jobforge.project import ProjectConfig, load_project_config
from tests.unit.contracts.support import make_project

WARM = "readylayer.cache.warm"
SCAN = "autopilot.ops.scan"  # defined by the sample project too, with readylayer.cdn


def test_the_shipped_files_are_found() -> None:
    root = shipped_root()
    assert root is not None
    assert (root / "contracts/runners/readylayer.edge.yaml").is_file()
    assert (root / "connectors/readylayer.cdn/metadata.json").is_file()


def test_without_a_project_the_served_shipped_job_types_get_their_contracts() -> None:
    no_project = ProjectConfig(root=None)
    contracts, policies = load_worker_contracts(no_project, [WARM, "acme.not.shipped"])
    assert sorted(contracts) == [WARM]
    assert contracts[WARM].runner_id == "readylayer.edge"
    assert contracts[WARM].input_schema is not None
    assert sorted(policies) == ["readylayer.cdn"], "only the connectors the job type uses"
    assert policies["readylayer.cdn"].http is not None
    assert load_worker_contracts(no_project) == ({}, {})


def test_the_projects_own_files_win(tmp_path: Path) -> None:
    project = load_project_config(make_project(tmp_path, pyproject='[project]\nname = "p"\n'))
    own = load_project_contracts(project)
    own_policies = load_project_connector_policies(project)
    merged, policies = load_worker_contracts(project, [SCAN, WARM])
    assert merged[SCAN] == own[SCAN], "the project's own contract, not the shipped one"
    assert merged[WARM].runner_id == "readylayer.edge"
    assert policies["readylayer.cdn"] == own_policies["readylayer.cdn"]
    assert load_worker_contracts(project, [SCAN]) == (own, own_policies)
