"""Every command refuses a folder that holds no JobForge project, the same way, and writes
nothing there; ``init`` is the one command meant for such a folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.acceptance.support import contracts
from tests.unit.contracts.support import SAMPLE_PYPROJECT, make_project

# Every command but init, as a user would first type it.
COMMANDS = [
    ("validate",),
    ("check",),
    ("check", "--no-replay"),
    ("replay",),
    ("lock",),
    ("drift",),
    ("schema",),
    ("schema", "--check"),
    ("generate-registry",),
    ("generate-registry", "--check"),
    ("fuzz",),
]
NO_PROJECT = "error: no JobForge project found: "


def _files(root: Path) -> list[str]:
    return sorted(path.relative_to(root).as_posix() for path in root.rglob("*"))


@pytest.fixture(params=["empty folder", "pyproject without [tool.jobforge]"])
def not_a_project(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    root = tmp_path / "app"
    root.mkdir()
    if request.param != "empty folder":
        (root / "pyproject.toml").write_text(
            '[project]\nname = "app"\nversion = "1.0.0"\n\n[tool.ruff]\nline-length = 100\n',
            encoding="utf-8",
        )
    return root


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_every_command_refuses_a_folder_without_a_project(
    not_a_project: Path, command: tuple[str, ...]
) -> None:
    before = _files(not_a_project)
    completed = contracts(*command, cwd=not_a_project)
    assert completed.returncode == 2, completed.stdout + completed.stderr
    refusals = [line for line in completed.stderr.splitlines() if NO_PROJECT in line]
    assert len(refusals) == 1, completed.stderr
    assert "run `jobforge-contracts init`" in refusals[0]
    assert "--root DIR" in refusals[0]
    assert _files(not_a_project) == before  # nothing written: no schema, lock or registry


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_the_refusal_is_the_same_message_for_every_command(
    tmp_path: Path, command: tuple[str, ...]
) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    expected = contracts("validate", cwd=empty).stderr.strip()
    assert expected.startswith(f"jobforge-contracts: {NO_PROJECT}")
    completed = contracts(*command, cwd=empty)
    # check names the step that refused: "jobforge-contracts validate: error: ...".
    [refusal] = [line for line in completed.stderr.splitlines() if NO_PROJECT in line]
    assert refusal.split(": error: ", 1)[1] == expected.split(": error: ", 1)[1]


def test_a_pyproject_without_the_table_is_named_in_the_refusal(not_a_project: Path) -> None:
    completed = contracts("schema", cwd=not_a_project)
    [line] = completed.stderr.splitlines()
    if (not_a_project / "pyproject.toml").exists():
        expected = f"{not_a_project.resolve() / 'pyproject.toml'} has no [tool.jobforge] table"
        assert expected in line
    else:
        assert f"no pyproject.toml in {not_a_project.resolve()} or any folder above it" in line


def test_check_stops_after_the_refusal(not_a_project: Path) -> None:
    completed = contracts("check", "--no-replay", cwd=not_a_project)
    assert completed.returncode == 2
    lines = completed.stdout.splitlines()
    headers = [line for line in lines if line.startswith("== ")]
    assert len(headers) == 1, completed.stdout
    assert headers[0].startswith("== validate: ")
    table = lines[lines.index(next(line for line in lines if line.startswith("step "))) + 2 :]
    assert [row.split()[:3] for row in table] == [["validate", "usage", "error"]]


@pytest.mark.parametrize(
    "pyproject",
    [SAMPLE_PYPROJECT, '[tool.jobforge.contracts]\nrunners_dir = "meta/runners"\n'],
    ids=["[tool.jobforge]", "[tool.jobforge.contracts]"],
)
def test_a_pyproject_with_the_table_is_a_project_without_folders(
    tmp_path: Path, pyproject: str
) -> None:
    root = make_project(tmp_path / "app", pyproject=pyproject, with_samples=False)
    completed = contracts("schema", cwd=root)
    assert completed.returncode == 0, completed.stderr
    assert (root / "contracts" / "schema" / "golden.schema.json").is_file()


def test_contract_folders_without_a_pyproject_are_a_project(tmp_path: Path) -> None:
    root = make_project(tmp_path / "app", pyproject=SAMPLE_PYPROJECT)
    (root / "pyproject.toml").unlink()
    completed = contracts("schema", "--root", str(root), cwd=tmp_path)
    assert completed.returncode == 0, completed.stderr


def test_lock_refuses_a_project_with_no_contract_to_record(tmp_path: Path) -> None:
    root = make_project(tmp_path / "app", pyproject=SAMPLE_PYPROJECT, with_samples=False)
    (root / "contracts" / "runners").mkdir(parents=True)
    completed = contracts("lock", cwd=root)
    assert completed.returncode == 2, completed.stdout + completed.stderr
    [line] = completed.stderr.splitlines()
    assert line.startswith("jobforge-contracts: error: nothing to lock: ")
    assert "contracts/runners/" in line
    assert "connectors/" in line
    assert not (root / "contracts" / "contracts.lock").exists()


def test_lock_records_the_removal_of_the_last_contract(tmp_path: Path) -> None:
    """An empty lock is right when it replaces one that had entries (removed.yaml aside)."""
    root = make_project(tmp_path / "app", pyproject=SAMPLE_PYPROJECT)
    assert contracts("lock", cwd=root).returncode == 0
    for folder in ("connectors", "goldens"):
        for path in sorted((root / folder).rglob("*"), reverse=True):
            path.unlink() if path.is_file() else path.rmdir()
    (root / "contracts" / "runners" / "autopilot.ops.scan.yaml").unlink()
    completed = contracts("lock", "--force", cwd=root)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "0 runner(s), 0 connector(s)" in completed.stdout


def test_init_works_where_every_other_command_refuses(not_a_project: Path) -> None:
    completed = contracts("init", cwd=not_a_project)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert contracts("validate", cwd=not_a_project).returncode == 0
