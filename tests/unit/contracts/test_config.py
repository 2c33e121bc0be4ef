"""``[tool.jobforge.contracts]``: folders, limits, and ignores that must give a reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from jobforge.contracts.checks.validation import validate
from jobforge.contracts.config import load_config, root_of_files
from jobforge.errors import ConfigurationError
from jobforge.project import find_project_root
from tests.unit.contracts.support import sample_connector, write_connector


def _config(tmp_path: Path, table: str) -> Path:
    (tmp_path / "pyproject.toml").write_text(table, encoding="utf-8")
    return tmp_path


def test_defaults_without_pyproject(tmp_path: Path) -> None:
    config = load_config(tmp_path)
    assert config.connectors_dir == tmp_path.resolve() / "connectors"
    assert config.ignores == ()


def test_ignore_without_reason_is_a_configuration_error(tmp_path: Path) -> None:
    _config(
        tmp_path,
        '[[tool.jobforge.contracts.ignore]]\npaths = ["connectors/*"]\nrules = ["JF202"]\n',
    )
    with pytest.raises(ConfigurationError, match=r"ignore\[0\] needs a reason"):
        load_config(tmp_path)


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ("[tool.jobforge.contracts]\nconnector_dir = 'x'\n", "did you mean 'connectors_dir'"),
        ("[tool.jobforge.contracts]\nmax_file_bytes = 0\n", "expected a positive integer"),
        (
            '[[tool.jobforge.contracts.ignore]]\npaths = ["a"]\nrules = ["JF999"]\nreason = "r"\n',
            "no rule 'JF999'",
        ),
        (
            '[[tool.jobforge.contracts.ignore]]\npaths = []\nrules = ["JF101"]\nreason = "r"\n',
            "paths must be a non-empty list",
        ),
    ],
)
def test_malformed_configuration(tmp_path: Path, table: str, message: str) -> None:
    _config(tmp_path, table)
    with pytest.raises(ConfigurationError, match=message):
        load_config(tmp_path)


def test_ignore_silences_the_rule_for_matching_paths_only(tmp_path: Path) -> None:
    _config(
        tmp_path,
        "[[tool.jobforge.contracts.ignore]]\n"
        'paths = ["connectors/legacy*/metadata.json"]\n'
        'rules = ["connector-folder-mismatch"]\n'
        'reason = "legacy folders keep their old names until the 2.0 rename"\n',
    )
    legacy = write_connector(tmp_path, "legacy-api", sample_connector(connector_id="legacy.api"))
    other = write_connector(tmp_path, "other-api", sample_connector(connector_id="other.api"))
    result = validate(load_config(tmp_path), [legacy, other])
    assert [(p.path, p.rule.id) for p in result.problems] == [
        ("connectors/other-api/metadata.json", "JF202")
    ]
    assert result.ignored == 1


def test_the_config_says_which_pyproject_it_read(tmp_path: Path) -> None:
    assert load_config(tmp_path).pyproject is None
    _config(tmp_path, "[tool.ruff]\nline-length = 100\n")
    without_table = load_config(tmp_path)
    assert without_table.pyproject == tmp_path.resolve() / "pyproject.toml"
    assert not without_table.has_contracts_table
    _config(tmp_path, "[tool.jobforge.contracts]\ngoldens_dir = 'cases'\n")
    assert load_config(tmp_path).has_contracts_table


def test_the_root_of_named_files_is_their_nearest_pyproject(tmp_path: Path) -> None:
    top = _config(tmp_path, "")
    service = tmp_path / "service"
    (service / "connectors" / "a").mkdir(parents=True)
    (service / "pyproject.toml").write_text("", encoding="utf-8")
    metadata = service / "connectors" / "a" / "metadata.json"
    loose = tmp_path / "docs" / "notes.txt"
    loose.parent.mkdir()
    assert root_of_files([metadata], fallback=top) == service.resolve()
    assert root_of_files([loose], fallback=service) == top.resolve()


def test_named_files_without_any_pyproject_use_the_fallback(tmp_path: Path) -> None:
    # tmp_path itself lies under no pyproject.toml (pytest's base temp folder is /tmp or alike).
    assert find_project_root(tmp_path.resolve()) is None
    assert root_of_files([tmp_path / "x.json"], fallback=tmp_path / "elsewhere") == (
        tmp_path / "elsewhere"
    )


def test_named_files_of_two_projects_are_a_configuration_error(tmp_path: Path) -> None:
    for name in ("one", "two"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "pyproject.toml").write_text("", encoding="utf-8")
    with pytest.raises(ConfigurationError, match="files of more than one project") as raised:
        root_of_files([tmp_path / "one" / "a", tmp_path / "two" / "b"], fallback=tmp_path)
    assert str((tmp_path / "one").resolve()) in str(raised.value)
    assert "--root" in str(raised.value)
