"""``jobforge-contracts generate-registry`` end to end."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from jobforge.contracts.config import load_config
from jobforge.contracts.contract_set import load_contract_set
from tests.acceptance.registry.support import contracts, folder_bytes
from tests.unit.contracts.support import (
    REPO_ROOT,
    SAMPLE_PYPROJECT,
    make_project,
    sample_connector,
    write_connector,
)
from tests.unit.drift.edits import edit_connector
from tests.unit.registry.support import write_page


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return make_project(tmp_path / "project", pyproject=SAMPLE_PYPROJECT)


def test_the_committed_registry_is_up_to_date() -> None:
    completed = contracts("generate-registry", "--check", cwd=REPO_ROOT)
    assert completed.returncode == 0, completed.stdout
    # A page per shipped connector, the index and registry.json: the count grows with them.
    files = len(list((REPO_ROOT / "connectors").glob("*/metadata.json"))) + 2
    assert completed.stdout == (
        f"jobforge-contracts generate-registry: ok: {files} files in docs/connectors/ are up to "
        "date\n"
    )


def test_generate_then_check_passes(project: Path) -> None:
    generated = contracts("generate-registry", cwd=project)
    assert generated.returncode == 0, generated.stdout + generated.stderr
    assert sorted(folder_bytes(project / "docs" / "connectors")) == [
        "index.md", "readylayer.cdn.md", "registry.json",
    ]  # fmt: skip
    checked = contracts("generate-registry", "--check", cwd=project)
    assert checked.returncode == 0, checked.stdout


def test_generating_twice_changes_nothing(project: Path) -> None:
    contracts("generate-registry", cwd=project)
    first = folder_bytes(project / "docs" / "connectors")
    again = contracts("generate-registry", cwd=project)
    assert "0 written, 0 removed, 3 unchanged" in again.stdout
    assert folder_bytes(project / "docs" / "connectors") == first


def test_an_edited_connector_fails_the_check_with_a_diff_and_writes_nothing(
    project: Path,
) -> None:
    contracts("generate-registry", cwd=project)
    before = folder_bytes(project / "docs" / "connectors")
    edit_connector(project, lambda doc: doc.update(version="1.1.0", status="stable"))
    checked = contracts("generate-registry", "--check", cwd=project)
    assert checked.returncode == 1
    assert "--- docs/connectors/index.md\n" in checked.stdout
    assert "+++ docs/connectors/index.md (generated)\n" in checked.stdout
    assert "+| [readylayer.cdn](readylayer.cdn.md) | 1.1.0 | stable |" in checked.stdout
    assert "is out of date (0 missing, 3 changed, 0 stale)" in checked.stdout
    assert folder_bytes(project / "docs" / "connectors") == before


def test_a_new_connector_and_a_stale_page_are_both_reported(project: Path) -> None:
    contracts("generate-registry", cwd=project)
    write_connector(project, "other.api", sample_connector(connector_id="other.api"))
    (project / "docs" / "connectors" / "notes.md").write_text("mine\n", encoding="utf-8")
    checked = contracts("generate-registry", "--check", cwd=project)
    assert checked.returncode == 1
    assert (
        "missing: docs/connectors/other.api.md — run `jobforge-contracts generate-registry`\n"
    ) in checked.stdout
    assert "not generated: docs/connectors/notes.md — remove it\n" in checked.stdout
    refused = contracts("generate-registry", cwd=project)
    assert refused.returncode == 1
    assert "notes.md" in refused.stderr
    assert not (project / "docs" / "connectors" / "other.api.md").exists()


def test_a_removed_connector_page_is_removed(project: Path) -> None:
    write_connector(project, "other.api", sample_connector(connector_id="other.api"))
    contracts("generate-registry", cwd=project)
    (project / "connectors" / "other.api" / "metadata.json").unlink()
    (project / "connectors" / "other.api").rmdir()
    completed = contracts("generate-registry", cwd=project)
    assert "1 removed" in completed.stdout
    assert not (project / "docs" / "connectors" / "other.api.md").exists()


def test_a_broken_connector_is_located_and_nothing_is_written(project: Path) -> None:
    path = project / "connectors" / "readylayer.cdn" / "metadata.json"
    path.write_text(path.read_text().replace('"beta"', '"gamma"'), encoding="utf-8")
    completed = contracts("generate-registry", "--output", "out", cwd=project)
    assert completed.returncode == 1
    assert "connectors/readylayer.cdn/metadata.json:5:13: status: JF112" in completed.stdout
    assert completed.stdout.endswith(
        "jobforge-contracts generate-registry: 1 problem in the contract files; fix them first "
        "(`jobforge-contracts validate` checks everything)\n"
    )
    assert not (project / "out").exists()


def test_the_output_option(project: Path) -> None:
    completed = contracts("generate-registry", "--output", "site/registry", cwd=project)
    assert completed.returncode == 0
    assert (project / "site" / "registry" / "index.md").is_file()


def test_problems_in_json_format_are_pure_json(project: Path) -> None:
    path = project / "connectors" / "readylayer.cdn" / "metadata.json"
    path.write_text(path.read_text().replace('"beta"', '"gamma"'), encoding="utf-8")
    completed = contracts("generate-registry", "--format", "json", cwd=project)
    assert completed.returncode == 1
    document = json.loads(completed.stdout)
    assert document["ok"] is False
    assert [(p["path"], p["line"], p["rule"]) for p in document["problems"]] == [
        ("connectors/readylayer.cdn/metadata.json", 5, "JF112")
    ]


def test_an_output_that_is_a_file_is_a_usage_error(project: Path) -> None:
    (project / "out").write_text("not a folder\n", encoding="utf-8")
    completed = contracts("generate-registry", "--output", "out", cwd=project)
    assert completed.returncode == 2
    assert "--output out: exists and is not a folder" in completed.stderr


def test_a_failed_write_leaves_no_staged_files_and_no_traceback(project: Path) -> None:
    output = project / "docs" / "connectors"
    contracts("generate-registry", cwd=project)
    (output / "index.md").unlink()
    (output / "index.md").mkdir()  # renaming onto a folder fails
    edit_connector(project, lambda doc: doc.update(version="1.1.0"))
    before = folder_bytes(output)
    completed = contracts("generate-registry", cwd=project)
    assert completed.returncode == 1
    assert "docs/connectors/: cannot write" in completed.stderr
    assert folder_bytes(output) == before
    assert sorted(p.name for p in output.iterdir()) == [
        "index.md", "readylayer.cdn.md", "registry.json",
    ]  # fmt: skip


# ------------------------------------------------------------ the runners using each connector


def test_every_shipped_connector_page_names_the_runners_that_use_it() -> None:
    """The repository's registry, read as it stands: a page per connector, a row per user."""
    shipped = load_contract_set(load_config(REPO_ROOT))
    assert shipped.ok, [problem.message for problem in shipped.problems]
    registry = json.loads((REPO_ROOT / "docs" / "connectors" / "registry.json").read_text())
    used_by = {entry["connector_id"]: entry["used_by"] for entry in registry["connectors"]}
    assert sorted(used_by) == sorted(shipped.connectors)
    for connector in shipped.connector_models():
        page = (REPO_ROOT / "docs" / "connectors" / f"{connector.connector_id}.md").read_text()
        users = [r for r in shipped.runner_models() if connector.connector_id in r.connectors]
        assert [use["runner_id"] for use in used_by[connector.connector_id]] == [
            runner.runner_id for runner in users
        ]
        for runner in users:
            shared = sorted(set(connector.supported_job_types) & set(runner.job_types))
            cells = ", ".join(f"`{job_type}`" for job_type in shared) or "none of its job types"
            assert f" | {runner.version} | {cells} | [{runner.runner_id}.yaml](" in page


def test_a_connector_page_lists_its_runners_with_links(project: Path) -> None:
    write_page(project, "ops")
    completed = contracts("generate-registry", cwd=project)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    page = (project / "docs" / "connectors" / "readylayer.cdn.md").read_text(encoding="utf-8")
    assert (
        "| [autopilot.ops.scan](../integrations/ops.md) | 1.0.0 | `autopilot.ops.scan` | "
        "[autopilot.ops.scan.yaml](../../contracts/runners/autopilot.ops.scan.yaml) |\n"
    ) in page
    registry = json.loads((project / "docs" / "connectors" / "registry.json").read_text())
    assert registry["connectors"][0]["used_by"] == [
        {"runner_id": "autopilot.ops.scan", "version": "1.0.0", "job_types": ["autopilot.ops.scan"]}
    ]


def test_a_connector_no_runner_lists_says_so(project: Path) -> None:
    write_connector(project, "other.api", sample_connector(connector_id="other.api"))
    contracts("generate-registry", cwd=project)
    page = (project / "docs" / "connectors" / "other.api.md").read_text(encoding="utf-8")
    assert "## Used by\n\nNo runner contract lists this connector under `connectors:`.\n" in page


def test_a_new_integration_page_makes_the_registry_stale_until_regenerated(
    project: Path,
) -> None:
    assert contracts("generate-registry", cwd=project).returncode == 0
    write_page(project, "ops")
    checked = contracts("generate-registry", "--check", cwd=project)
    assert checked.returncode == 1
    assert "+| [autopilot.ops.scan](../integrations/ops.md) | 1.0.0 |" in checked.stdout
    assert contracts("generate-registry", cwd=project).returncode == 0
    assert contracts("generate-registry", "--check", cwd=project).returncode == 0


def test_a_broken_runner_contract_is_located_and_nothing_is_written(project: Path) -> None:
    path = project / "contracts" / "runners" / "autopilot.ops.scan.yaml"
    path.write_text(path.read_text().replace("version: 1.0.0", "version: one"), encoding="utf-8")
    completed = contracts("generate-registry", "--output", "out", cwd=project)
    assert completed.returncode == 1
    assert "contracts/runners/autopilot.ops.scan.yaml:4:10: version:" in completed.stdout
    assert not (project / "out").exists()


def test_links_from_another_output_folder_still_resolve(project: Path) -> None:
    write_page(project, "ops")
    assert contracts("generate-registry", "--output", "site/registry", cwd=project).returncode == 0
    page = (project / "site" / "registry" / "readylayer.cdn.md").read_text(encoding="utf-8")
    assert "[autopilot.ops.scan](../../docs/integrations/ops.md)" in page
    assert "(../../contracts/runners/autopilot.ops.scan.yaml)" in page
