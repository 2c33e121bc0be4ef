"""Checks across files, on whole projects built in a temporary folder."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from jobforge.contracts.checks.validation import validate
from jobforge.contracts.config import load_config
from tests.unit.contracts.support import (
    SAMPLE_PYPROJECT,
    make_project,
    sample_connector,
    write_connector,
)

_module_numbers = itertools.count()


def _lines(root: Path) -> list[str]:
    result = validate(load_config(root))
    assert result.cross_references_checked
    return [
        f"{p.path}:{p.position.line}:{p.position.column}: "
        f"{p.field_text}: {p.rule.title}: {p.message}"
        for p in result.problems
    ]


def test_the_shipped_sample_project_is_clean(tmp_path: Path) -> None:
    make_project(tmp_path, pyproject=SAMPLE_PYPROJECT)
    assert _lines(tmp_path) == []


def test_the_repository_itself_is_clean() -> None:
    root = Path(__file__).resolve().parents[3]
    assert _lines(root) == []


def test_missing_handler(tmp_path: Path) -> None:
    # Handlers register in a process-wide registry, so this job type is one nobody registers.
    make_project(tmp_path, pyproject="[tool.jobforge]\nhandler_modules = []\n", with_samples=False)
    runners = tmp_path / "contracts" / "runners"
    runners.mkdir(parents=True)
    small = Path(__file__).parent / "cases" / "runner" / "positive" / "small.yaml"
    (runners / "small.yaml").write_text(small.read_text(encoding="utf-8"), encoding="utf-8")
    golden = tmp_path / "goldens" / "small" / "copy.yaml"
    golden.parent.mkdir(parents=True)
    golden.write_text(
        "name: n\njob_type: data.copy\ntenant: t\ninput: 1\nexpected_output: 1\n", encoding="utf-8"
    )
    assert _lines(tmp_path) == [
        'contracts/runners/small.yaml:6:3: job_types["data.copy"]: '
        'JF204 missing-handler: no handler is registered for job type "data.copy" '
        "(handler modules: none configured)"
    ]


def test_handler_import_failure_is_a_problem(tmp_path: Path) -> None:
    make_project(tmp_path, pyproject='[tool.jobforge]\nhandler_modules = ["no_such_module_x"]\n')
    lines = _lines(tmp_path)
    assert len(lines) == 1
    assert lines[0].startswith(
        "pyproject.toml:2:1: tool.jobforge.handler_modules: JF211 handler-import-failed: "
        "importing the handler modules failed: ModuleNotFoundError"
    )


def test_handler_from_a_project_module(tmp_path: Path) -> None:
    module = f"project_handlers_{next(_module_numbers)}"
    make_project(tmp_path, pyproject=f'[tool.jobforge]\nhandler_modules = ["{module}"]\n')
    (tmp_path / f"{module}.py").write_text(
        "from jobforge import handler\n\n"
        "@handler('autopilot.ops.scan')\n"
        "def scan(payload, ctx):\n    return {}\n",
        encoding="utf-8",
    )
    # autopilot.ops.scan may already be registered by the shipped runner in this process.
    lines = _lines(tmp_path)
    assert all("JF204" not in line for line in lines)


def test_unserved_job_type_unknown_connector_and_duplicate_ids(tmp_path: Path) -> None:
    make_project(tmp_path, pyproject=SAMPLE_PYPROJECT)
    write_connector(
        tmp_path,
        "other.cdn",
        sample_connector(connector_id="readylayer.cdn", supported_job_types=["nobody.serves.me"]),
    )
    runner = tmp_path / "contracts" / "runners" / "autopilot.ops.scan.yaml"
    runner.write_text(
        runner.read_text(encoding="utf-8").replace(
            "  - readylayer.cdn", "  - readylayer.cdn\n  - ghost.api"
        ),
        encoding="utf-8",
    )
    assert _lines(tmp_path) == [
        "connectors/other.cdn/metadata.json:2:19: connector_id: JF202 connector-folder-mismatch: "
        'connector_id "readylayer.cdn" differs from its folder "other.cdn"; rename one of them',
        "connectors/other.cdn/metadata.json:8:5: supported_job_types[0]: "
        'JF203 job-type-not-served: job type "nobody.serves.me" is served by no runner contract',
        "connectors/readylayer.cdn/metadata.json:3:19: connector_id: JF201 duplicate-connector-id: "
        'connector_id "readylayer.cdn" is also declared in connectors/other.cdn/metadata.json',
        "contracts/runners/autopilot.ops.scan.yaml:70:5: connectors[1]: JF210 unknown-connector: "
        'connector "ghost.api" has no connectors/ghost.api/metadata.json',
    ]


def test_goldens_checked_against_the_schemas(tmp_path: Path) -> None:
    make_project(tmp_path, pyproject=SAMPLE_PYPROJECT)
    goldens = tmp_path / "goldens" / "autopilot.ops.scan"
    for path in goldens.iterdir():
        path.unlink()
    (goldens / "bad.yaml").write_text(
        "name: bad\n"
        "job_type: autopilot.ops.scan\n"
        "tenant: t\n"
        "input:\n"
        "  zone: 42\n"
        "  checks: [tls, dns]\n"
        "expected_output:\n"
        "  passed: maybe\n"
        "exact: false\n",
        encoding="utf-8",
    )
    (goldens / "wrong-type.yaml").write_text(
        "name: w\njob_type: autopilot.ops.other\ntenant: t\ninput: {}\nexpected_output: {}\n",
        encoding="utf-8",
    )
    assert _lines(tmp_path) == [
        "goldens/autopilot.ops.scan/bad.yaml:5:9: input.zone: JF206 golden-input-invalid: "
        "expected a string, got the number 42",
        "goldens/autopilot.ops.scan/bad.yaml:6:17: input.checks[1]: JF206 golden-input-invalid: "
        'expected one of "tls", "cache" or "headers", got "dns"',
        "goldens/autopilot.ops.scan/bad.yaml:8:11: expected_output.passed: "
        'JF207 golden-output-invalid: expected a boolean, got the string "maybe"',
        "goldens/autopilot.ops.scan/wrong-type.yaml:2:11: job_type: JF208 golden-unknown-job-type: "
        'runner "autopilot.ops.scan" does not serve job type "autopilot.ops.other"; '
        "it serves autopilot.ops.scan",
    ]


@pytest.mark.parametrize("exact", [True, False])
def test_required_output_keys_only_enforced_for_exact_goldens(tmp_path: Path, exact: bool) -> None:
    make_project(tmp_path, pyproject=SAMPLE_PYPROJECT)
    golden = tmp_path / "goldens" / "autopilot.ops.scan" / "weak-tls.yaml"
    text = golden.read_text(encoding="utf-8")
    golden.write_text(
        text.replace("deterministic: true", f"exact: {str(exact).lower()}\ndeterministic: true"),
        encoding="utf-8",
    )
    lines = _lines(tmp_path)
    assert bool(lines) is exact
    if exact:
        assert all("JF207 golden-output-invalid: " in line for line in lines)
        assert any('missing required key "zone"' in line for line in lines)


def test_runner_job_type_without_golden(tmp_path: Path) -> None:
    make_project(tmp_path, pyproject=SAMPLE_PYPROJECT)
    for path in (tmp_path / "goldens" / "autopilot.ops.scan").iterdir():
        path.unlink()
    assert _lines(tmp_path) == [
        'contracts/runners/autopilot.ops.scan.yaml:7:3: job_types["autopilot.ops.scan"]: '
        'JF205 missing-golden: job type "autopilot.ops.scan" has no golden in '
        "goldens/autopilot.ops.scan/"
    ]


@pytest.mark.parametrize(
    "broken",
    [
        "{",  # does not load
        '{"connector_id": "readylayer.cdn"}',  # loads, fails its model
        "[]",  # loads, not even an object
    ],
)
def test_a_broken_connector_is_not_also_an_unknown_connector(tmp_path: Path, broken: str) -> None:
    make_project(tmp_path, pyproject=SAMPLE_PYPROJECT)
    metadata = tmp_path / "connectors" / "readylayer.cdn" / "metadata.json"
    metadata.write_text(broken, encoding="utf-8")
    lines = _lines(tmp_path)
    assert lines, "the broken file itself is reported"
    assert all(line.startswith("connectors/readylayer.cdn/metadata.json:") for line in lines)


def test_a_connector_nobody_defines_is_still_unknown_next_to_a_broken_one(tmp_path: Path) -> None:
    make_project(tmp_path, pyproject=SAMPLE_PYPROJECT)
    (tmp_path / "connectors" / "readylayer.cdn" / "metadata.json").write_text("{", encoding="utf-8")
    runner = tmp_path / "contracts" / "runners" / "autopilot.ops.scan.yaml"
    runner.write_text(
        runner.read_text(encoding="utf-8").replace(
            "  - readylayer.cdn", "  - readylayer.cdn\n  - ghost.api"
        ),
        encoding="utf-8",
    )
    unknown = [line for line in _lines(tmp_path) if "JF210" in line]
    assert unknown == [
        "contracts/runners/autopilot.ops.scan.yaml:70:5: connectors[1]: JF210 unknown-connector: "
        'connector "ghost.api" has no connectors/ghost.api/metadata.json'
    ]


def test_a_broken_runner_does_not_orphan_its_goldens_or_connectors(tmp_path: Path) -> None:
    make_project(tmp_path, pyproject=SAMPLE_PYPROJECT)
    runner = tmp_path / "contracts" / "runners" / "autopilot.ops.scan.yaml"
    runner.write_text(
        runner.read_text(encoding="utf-8").replace("runner_id:", "runner_idd:", 1),
        encoding="utf-8",
    )
    lines = _lines(tmp_path)
    assert lines
    assert all(line.startswith("contracts/runners/autopilot.ops.scan.yaml:") for line in lines)


def test_a_runner_that_does_not_parse_does_not_orphan_its_goldens(tmp_path: Path) -> None:
    make_project(tmp_path, pyproject=SAMPLE_PYPROJECT)
    runner = tmp_path / "contracts" / "runners" / "autopilot.ops.scan.yaml"
    runner.write_text("runner_id: [unclosed\n", encoding="utf-8")
    lines = _lines(tmp_path)
    assert lines
    assert all(line.startswith("contracts/runners/autopilot.ops.scan.yaml:") for line in lines)


def test_a_broken_golden_does_not_leave_its_job_type_without_a_golden(tmp_path: Path) -> None:
    make_project(tmp_path, pyproject=SAMPLE_PYPROJECT)
    goldens = tmp_path / "goldens" / "autopilot.ops.scan"
    for path in sorted(goldens.iterdir())[1:]:
        path.unlink()
    [golden] = goldens.iterdir()
    golden.write_text(
        golden.read_text(encoding="utf-8").replace("tenant:", "tenantt:", 1), encoding="utf-8"
    )
    lines = _lines(tmp_path)
    assert lines
    assert all(line.startswith(f"goldens/autopilot.ops.scan/{golden.name}:") for line in lines)


def test_cross_reference_messages_name_the_configured_folders(tmp_path: Path) -> None:
    make_project(
        tmp_path,
        pyproject=SAMPLE_PYPROJECT
        + '\n[tool.jobforge.contracts]\nconnectors_dir = "meta"\ngoldens_dir = "cases"\n',
    )
    (tmp_path / "connectors").rename(tmp_path / "meta")
    (tmp_path / "goldens").mkdir(exist_ok=True)
    runner = tmp_path / "contracts" / "runners" / "autopilot.ops.scan.yaml"
    runner.write_text(
        runner.read_text(encoding="utf-8").replace(
            "  - readylayer.cdn", "  - readylayer.cdn\n  - ghost.api"
        ),
        encoding="utf-8",
    )
    assert [line.split(": ", 3)[-1] for line in _lines(tmp_path)] == [
        'job type "autopilot.ops.scan" has no golden in cases/autopilot.ops.scan/',
        'connector "ghost.api" has no meta/ghost.api/metadata.json',
    ]
