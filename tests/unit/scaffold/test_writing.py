"""Writing the skeleton all or nothing, on the real file system."""

from __future__ import annotations

from pathlib import Path

import pytest

from jobforge.scaffold.writing import (
    Append,
    Conflict,
    ScaffoldError,
    find_conflicts,
    new_ancestors,
    write_all,
)

FILES = {
    "contracts/runners/a.yaml": b"runner\n",
    "goldens/a/case.yaml": b"golden\n",
    "jobforge_handlers/a.py": b"handler\n",
}


def snapshot(root: Path) -> dict[str, bytes | None]:
    return {
        path.relative_to(root).as_posix(): path.read_bytes() if path.is_file() else None
        for path in sorted(root.rglob("*"))
    }


def test_files_and_the_append_are_written(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_bytes(b"[project]\n")
    write_all(tmp_path, FILES, Append("pyproject.toml", b"\n[tool.x]\n", len(b"[project]\n")))
    assert {path: (tmp_path / path).read_bytes() for path in FILES} == FILES
    assert (tmp_path / "pyproject.toml").read_bytes() == b"[project]\n\n[tool.x]\n"


def test_a_file_that_appears_after_the_check_is_not_replaced_and_nothing_stays(
    tmp_path: Path,
) -> None:
    (tmp_path / "jobforge_handlers").mkdir()
    (tmp_path / "jobforge_handlers" / "a.py").write_bytes(b"the user's handler\n")
    (tmp_path / "pyproject.toml").write_bytes(b"[project]\n")
    before = snapshot(tmp_path)

    with pytest.raises(ScaffoldError, match=r"^jobforge_handlers/a\.py: cannot write: .*nothing"):
        write_all(tmp_path, FILES, Append("pyproject.toml", b"[tool.x]\n", 10))

    assert snapshot(tmp_path) == before


def test_a_pyproject_changed_meanwhile_undoes_the_created_files(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_bytes(b"[project]\nname = 'edited since'\n")
    before = snapshot(tmp_path)

    with pytest.raises(ScaffoldError, match=r"pyproject\.toml changed while init ran"):
        write_all(tmp_path, FILES, Append("pyproject.toml", b"[tool.x]\n", len(b"[project]\n")))

    assert snapshot(tmp_path) == before


def test_conflicts_name_existing_targets_files_in_the_way_and_used_folders(
    tmp_path: Path,
) -> None:
    (tmp_path / "goldens").write_bytes(b"a file where a folder must go\n")
    (tmp_path / "contracts" / "runners").mkdir(parents=True)
    (tmp_path / "contracts" / "runners" / "a.yaml").write_bytes(b"mine\n")
    (tmp_path / "contracts" / "runners" / "other.yaml").write_bytes(b"mine too\n")
    (tmp_path / "contracts" / "runners" / ".gitkeep").write_bytes(b"")

    conflicts = find_conflicts(tmp_path, FILES, ["contracts/runners", "goldens"])

    assert conflicts == [
        Conflict("contracts/runners/", conflicts[0].reason),
        Conflict("contracts/runners/a.yaml", "exists"),
        Conflict("goldens", "exists and is not a folder"),
    ]
    assert conflicts[0].reason.startswith("holds other.yaml;")


def test_what_to_git_add_is_the_shallowest_new_part_of_each_path(tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    assert new_ancestors(tmp_path, ["docs/connectors/index.md", "docs/connectors/x.md", "a"]) == [
        "docs/connectors/",
        "a",
    ]


def test_the_command_names_the_scaffold_default_runner() -> None:
    from jobforge.cli.contracts_commands import init  # noqa: PLC0415
    from jobforge.scaffold import names  # noqa: PLC0415

    assert init.DEFAULT_RUNNER == names.DEFAULT_RUNNER
