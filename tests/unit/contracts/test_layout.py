"""Misnamed files are problems, never silently skipped."""

from __future__ import annotations

from pathlib import Path

import pytest

from jobforge.contracts.checks.validation import validate
from jobforge.contracts.config import load_config
from jobforge.contracts.loading.layout import FileKind
from tests.unit.contracts.support import make_project


@pytest.mark.parametrize(
    ("relative", "message"),
    [
        (
            "connectors/x/metadata.yml",
            'connector metadata must be named "metadata.json", got "metadata.yml"',
        ),
        (
            "connectors/x/Metadata.json",
            'connector metadata must be named "metadata.json", got "Metadata.json"',
        ),
        (
            "connectors/metadata.json",
            "connector metadata goes in connectors/<connector_id>/metadata.json",
        ),
        ("contracts/runners/a.yml", 'runner contracts end in ".yaml", got ".yml"'),
        ("contracts/runners/a.json", 'runner contracts end in ".yaml", got ".json"'),
        ("goldens/a/case.yml", 'golden cases end in ".yaml", got ".yml"'),
        ("goldens/case.yaml", "goldens go in goldens/<runner_id>/<case>.yaml"),
        (
            "contracts/removed.yml",
            'the removal records are named "removed.yaml", got "removed.yml"',
        ),
        (
            "contracts/Removed.yaml",
            'the removal records are named "removed.yaml", got "Removed.yaml"',
        ),
    ],
)
def test_misnamed_file_is_reported(tmp_path: Path, relative: str, message: str) -> None:
    make_project(tmp_path, with_samples=False)
    path = tmp_path / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("{}", encoding="utf-8")
    # Found when validating everything, and when the file is named.
    for result in (validate(load_config(tmp_path)), validate(load_config(tmp_path), [path])):
        lines = [(p.path, p.rule.id, p.message) for p in result.problems if p.rule.id == "JF114"]
        assert lines == [(relative, "JF114", message)]


def test_connector_folder_without_metadata(tmp_path: Path) -> None:
    make_project(tmp_path, with_samples=False)
    (tmp_path / "connectors" / "empty.one").mkdir(parents=True)
    (tmp_path / "connectors" / "empty.one" / "README.md").write_text("hi", encoding="utf-8")
    result = validate(load_config(tmp_path))
    assert [(p.path, p.rule.id) for p in result.problems] == [("connectors/empty.one", "JF117")]


def test_unrelated_named_file_is_reported(tmp_path: Path) -> None:
    make_project(tmp_path, with_samples=False)
    (tmp_path / "notes.txt").write_text("x", encoding="utf-8")
    result = validate(load_config(tmp_path), [tmp_path / "notes.txt"])
    assert [p.rule.id for p in result.problems] == ["JF114"]
    assert result.problems[0].message.startswith("not a contract file: expected connectors/")


CONFIGURED_FOLDERS = (
    "[tool.jobforge.contracts]\n"
    'connectors_dir = "meta/connectors"\n'
    'runners_dir = "meta/runners"\n'
    'goldens_dir = "meta/cases"\n'
)


@pytest.mark.parametrize(
    ("relative", "message"),
    [
        (
            "meta/connectors/metadata.json",
            "connector metadata goes in meta/connectors/<connector_id>/metadata.json",
        ),
        ("meta/cases/case.yaml", "goldens go in meta/cases/<runner_id>/<case>.yaml"),
        ("meta/runners/deep/a.yaml", "runner contracts go directly in meta/runners/"),
        ("meta/removed.yml", 'the removal records are named "removed.yaml", got "removed.yml"'),
        (
            "notes.txt",
            "not a contract file: expected meta/connectors/<connector_id>/metadata.json, "
            "meta/runners/<runner_id>.yaml, meta/cases/<runner_id>/<case>.yaml or "
            "meta/removed.yaml",
        ),
    ],
)
def test_layout_messages_name_the_configured_folders(
    tmp_path: Path, relative: str, message: str
) -> None:
    make_project(tmp_path, pyproject=CONFIGURED_FOLDERS, with_samples=False)
    path = tmp_path / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("{}", encoding="utf-8")
    result = validate(load_config(tmp_path), [path])
    assert [(p.path, p.rule.id, p.message) for p in result.problems] == [
        (relative, "JF114", message)
    ]


def test_the_removal_records_are_a_contract_file(tmp_path: Path) -> None:
    make_project(tmp_path, with_samples=False)
    records = tmp_path / "contracts" / "removed.yaml"
    records.parent.mkdir(parents=True)
    records.write_text("runners: {}\n", encoding="utf-8")
    (tmp_path / "contracts" / "notes.yaml").write_text("x: 1\n", encoding="utf-8")
    for result in (validate(load_config(tmp_path)), validate(load_config(tmp_path), [records])):
        assert result.ok, result.problems
        assert result.files_checked == {FileKind.REMOVALS: 1}
