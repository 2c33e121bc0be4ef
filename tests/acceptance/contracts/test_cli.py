"""``jobforge-contracts`` run as a user types it: exit codes, output, never a traceback."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.acceptance.support import DEADLINE_SECONDS, contracts
from tests.unit.contracts.support import (
    REPO_ROOT,
    SAMPLE_PYPROJECT,
    make_project,
    sample_connector,
    write_connector,
)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return make_project(tmp_path / "project", pyproject=SAMPLE_PYPROJECT)


def test_the_repository_validates_with_one_summary_line() -> None:
    completed = contracts("validate", cwd=REPO_ROOT)
    assert completed.returncode == 0, completed.stdout
    [line] = completed.stdout.splitlines()
    assert re.fullmatch(r"jobforge-contracts: ok: \d+ files checked \(.*\), no problems", line)
    assert completed.stderr == ""


def test_root_is_found_from_a_subfolder(project: Path) -> None:
    completed = contracts("validate", cwd=project / "goldens")
    assert completed.returncode == 0, completed.stdout


def test_problems_exit_1_with_located_lines(project: Path) -> None:
    path = write_connector(
        project, "readylayer.cdn", sample_connector(connector_id="readylayer.cdn", colour="red")
    )
    completed = contracts("validate", str(path.relative_to(project)), cwd=project)
    assert completed.returncode == 1
    assert completed.stdout.splitlines() == [
        "connectors/readylayer.cdn/metadata.json:55:3: colour: JF104 unknown-key: "
        'unknown key "colour"; expected one of: $schema, auth, breaking_changes, capabilities, '
        "connector_id, description, failure_modes, http, maturity, observability, rate_limits, "
        "status, supported_job_types, version",
        "jobforge-contracts: 1 problem in 1 file; 1 file checked (1 connector)",
    ]


def test_github_and_json_formats(project: Path) -> None:
    (project / "connectors" / "readylayer.cdn" / "metadata.json").write_text(
        '{"connector_id": NaN}', encoding="utf-8"
    )
    github = contracts("validate", "--format", "github", cwd=project)
    assert github.returncode == 1
    # The file's other problems (its missing keys) are reported in the same run.
    assert (
        "::error file=connectors/readylayer.cdn/metadata.json,line=1,col=18,"
        "title=JF105 non-finite-number::connector_id: NaN is not a JSON number; "
        "use a finite number or null"
    ) in github.stdout.splitlines()
    as_json = contracts("validate", "--format", "json", cwd=project)
    assert as_json.returncode == 1
    assert "JF105" in [problem["rule"] for problem in json.loads(as_json.stdout)["problems"]]


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (("validate", "no/such/file.json"), "no such file: no/such/file.json"),
        (("validate", "--format", "xml"), "invalid choice: 'xml'"),
        (("validate", "--root", "no-such-folder"), "--root no-such-folder: no such folder"),
        ((), "the following arguments are required: COMMAND"),
    ],
)
def test_usage_errors_exit_2(project: Path, arguments: tuple[str, ...], message: str) -> None:
    completed = contracts(*arguments, cwd=project)
    assert completed.returncode == 2
    assert message in completed.stderr
    assert completed.stdout == ""


def test_configuration_error_exits_2(project: Path) -> None:
    (project / "pyproject.toml").write_text(
        '[[tool.jobforge.contracts.ignore]]\npaths = ["x"]\nrules = ["JF101"]\n', encoding="utf-8"
    )
    completed = contracts("validate", cwd=project)
    assert completed.returncode == 2
    assert completed.stderr.startswith("jobforge-contracts: error: pyproject.toml: ")
    assert "needs a reason" in completed.stderr


def test_schema_check_fails_with_a_diff_and_writes_nothing(project: Path) -> None:
    schema_dir = project / "contracts" / "schema"
    completed = contracts("schema", "--check", cwd=project)
    assert completed.returncode == 1
    assert (
        "missing: contracts/schema/connector.schema.json — run `jobforge-contracts schema`"
    ) in completed.stdout
    assert not schema_dir.exists()

    assert contracts("schema", cwd=project).returncode == 0
    assert sorted(p.name for p in schema_dir.iterdir()) == [
        "connector.schema.json",
        "golden.schema.json",
        "runner.schema.json",
    ]
    assert contracts("schema", "--check", cwd=project).returncode == 0

    target = schema_dir / "golden.schema.json"
    target.write_text(target.read_text(encoding="utf-8").replace('"title"', '"Title"', 1))
    before = target.read_bytes()
    completed = contracts("schema", "--check", cwd=project)
    assert completed.returncode == 1
    assert completed.stdout.count("\n-") >= 1
    assert target.read_bytes() == before


def test_committed_schemas_are_current() -> None:
    completed = contracts("schema", "--check", cwd=REPO_ROOT)
    assert completed.returncode == 0, completed.stdout


def test_a_folder_as_path_is_a_usage_error(project: Path) -> None:
    completed = contracts("validate", "connectors", cwd=project)
    assert completed.returncode == 2
    assert "connectors: a folder; name files, or give no PATH" in completed.stderr


def test_one_json_connector_imports_no_yaml_jsonschema_or_jinja2() -> None:
    """The pre-commit case stays fast: those imports cost a tenth of a second together."""
    script = (
        "import sys\n"
        "from jobforge.cli.contracts import run\n"
        "code = run(['validate', 'connectors/readylayer.cdn/metadata.json'])\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in "
        "{'ruamel', 'jsonschema', 'jinja2'} or m.startswith('jobforge.runners'))\n"
        "print(code, heavy)\n"
    )
    completed = subprocess.run(
        [sys.executable, "-c", script],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=DEADLINE_SECONDS,
        check=True,
    )
    assert completed.stdout.splitlines()[-1] == "0 []"
