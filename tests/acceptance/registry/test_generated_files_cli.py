"""Out-of-date generated files, as a user sees them: the file and the fix first, a short diff.

A new project's first ``check`` used to print every generated JSON Schema as ``+`` lines,
with the one useful line at the bottom. These tests read the output as a person would.
"""

from __future__ import annotations

import difflib
import json
from pathlib import Path

import pytest

from tests.acceptance.registry.support import contracts
from tests.unit.contracts.support import SAMPLE_PYPROJECT, make_project
from tests.unit.drift.edits import edit_connector

SCHEMAS = ("connector.schema.json", "golden.schema.json", "runner.schema.json")
SCHEMA_FIX = "run `jobforge-contracts schema`"
REGISTRY_FIX = "run `jobforge-contracts generate-registry`"
SHOWN = 20


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return make_project(tmp_path / "project", pyproject=SAMPLE_PYPROJECT)


def schema_dir(root: Path) -> Path:
    return root / "contracts" / "schema"


def diff_lines(before: str, after: str, display: str) -> list[str]:
    return [
        line.rstrip("\n")
        for line in difflib.unified_diff(
            before.splitlines(keepends=True),
            after.splitlines(keepends=True),
            fromfile=display,
            tofile=f"{display} (generated)",
        )
    ]


def test_a_fresh_project_without_schemas_gets_one_line_per_missing_file(project: Path) -> None:
    completed = contracts("schema", "--check", cwd=project)
    assert completed.returncode == 1
    assert completed.stdout.splitlines() == [
        *(f"missing: contracts/schema/{name} — {SCHEMA_FIX}" for name in SCHEMAS),
        "jobforge-contracts schema: contracts/schema/ is out of date (3 missing, 0 changed, "
        "0 stale); run `jobforge-contracts schema` and commit the result",
    ]
    assert not schema_dir(project).exists()


def test_the_first_check_of_a_fresh_project_is_short_and_starts_each_step_with_the_fix(
    project: Path,
) -> None:
    completed = contracts("check", "--no-replay", cwd=project)
    assert completed.returncode == 1
    lines = completed.stdout.splitlines()
    assert len(lines) < 40, completed.stdout
    assert not any(line.startswith(("+++ ", "--- ", "@@ ")) for line in lines), completed.stdout
    schema_step = lines.index("== schema: jobforge-contracts schema --check")
    assert lines[schema_step + 1] == (
        f"missing: contracts/schema/connector.schema.json — {SCHEMA_FIX}"
    )
    registry_step = next(i for i, line in enumerate(lines) if line.startswith("== registry:"))
    assert lines[registry_step + 1] == f"missing: docs/connectors/index.md — {REGISTRY_FIX}"


def test_a_schema_stale_by_one_line_shows_the_fix_then_the_whole_small_diff(
    project: Path,
) -> None:
    assert contracts("schema", cwd=project).returncode == 0
    target = schema_dir(project) / "golden.schema.json"
    generated = target.read_text(encoding="utf-8")
    edited = generated.replace('"title"', '"Title"', 1)
    assert edited != generated
    target.write_text(edited, encoding="utf-8")
    completed = contracts("schema", "--check", cwd=project)
    assert completed.returncode == 1
    lines = completed.stdout.splitlines()
    display = "contracts/schema/golden.schema.json"
    assert lines[0] == f"changed: {display} (+1 -1 lines) — {SCHEMA_FIX}"
    assert lines[1:-1] == diff_lines(edited, generated, display)
    assert lines[-1].startswith("jobforge-contracts schema: contracts/schema/ is out of date ")
    assert target.read_text(encoding="utf-8") == edited


def test_a_schema_stale_by_hundreds_of_lines_shows_the_first_lines_and_the_count(
    project: Path,
) -> None:
    assert contracts("schema", cwd=project).returncode == 0
    target = schema_dir(project) / "runner.schema.json"
    generated = target.read_text(encoding="utf-8")
    edited = json.dumps(json.loads(generated), indent=4) + "\n"
    target.write_text(edited, encoding="utf-8")
    display = "contracts/schema/runner.schema.json"
    whole = diff_lines(edited, generated, display)
    assert len(whole) > 300

    completed = contracts("schema", "--check", cwd=project)
    assert completed.returncode == 1
    lines = completed.stdout.splitlines()
    assert lines[0].startswith(f"changed: {display} (+")
    assert lines[0].endswith(f"lines) — {SCHEMA_FIX}")
    assert lines[1 : 1 + SHOWN] == whole[:SHOWN]
    assert lines[1 + SHOWN] == f"… and {len(whole) - SHOWN} more lines (--verbose shows all)"
    assert len(lines) == SHOWN + 3

    verbose = contracts("schema", "--check", "--verbose", cwd=project)
    assert verbose.returncode == 1
    assert verbose.stdout.splitlines()[1:-1] == whole


def test_check_passes_verbose_to_the_generated_file_steps(project: Path) -> None:
    assert contracts("schema", cwd=project).returncode == 0
    target = schema_dir(project) / "runner.schema.json"
    generated = target.read_text(encoding="utf-8")
    target.write_text(json.dumps(json.loads(generated), indent=4) + "\n", encoding="utf-8")
    short = contracts("check", "--no-replay", cwd=project)
    assert "more lines (--verbose shows all)" in short.stdout
    verbose = contracts("check", "--no-replay", "--verbose", cwd=project)
    assert "== schema: jobforge-contracts schema --check --verbose" in verbose.stdout
    assert "(--verbose shows all)" not in verbose.stdout


def test_a_stale_schema_file_is_named_with_what_to_do(project: Path) -> None:
    assert contracts("schema", cwd=project).returncode == 0
    (schema_dir(project) / "old.schema.json").write_text("{}\n", encoding="utf-8")
    completed = contracts("schema", "--check", cwd=project)
    assert completed.returncode == 1
    assert completed.stdout.splitlines()[0] == (
        "not generated: contracts/schema/old.schema.json — remove it"
    )


def test_a_missing_registry_json_is_one_line_without_a_diff(project: Path) -> None:
    assert contracts("generate-registry", cwd=project).returncode == 0
    (project / "docs" / "connectors" / "registry.json").unlink()
    completed = contracts("generate-registry", "--check", cwd=project)
    assert completed.returncode == 1
    assert completed.stdout.splitlines() == [
        f"missing: docs/connectors/registry.json — {REGISTRY_FIX}",
        "jobforge-contracts generate-registry: docs/connectors/ is out of date (1 missing, "
        "0 changed, 0 stale); run `jobforge-contracts generate-registry` and commit the result",
    ]


def test_changed_registry_files_each_get_the_fix_and_a_capped_diff(project: Path) -> None:
    assert contracts("generate-registry", cwd=project).returncode == 0
    folder = project / "docs" / "connectors"
    before = {name: (folder / name).read_text(encoding="utf-8") for name in ("index.md",)}
    edit_connector(project, lambda doc: doc.update(version="1.1.0", status="stable"))
    (folder / "notes.md").write_text("mine\n", encoding="utf-8")
    completed = contracts("generate-registry", "--check", cwd=project)
    assert completed.returncode == 1
    lines = completed.stdout.splitlines()
    assert lines[0] == f"changed: docs/connectors/index.md (+1 -1 lines) — {REGISTRY_FIX}"
    assert any(
        line.startswith("+| [readylayer.cdn](readylayer.cdn.md) | 1.1.0 | stable |")
        for line in lines
    )
    headlines = [line for line in lines if line.startswith(("changed:", "missing:", "not gen"))]
    assert [line.split(": ", 1)[1].split(" ")[0] for line in headlines] == [
        "docs/connectors/index.md",
        "docs/connectors/notes.md",
        "docs/connectors/readylayer.cdn.md",
        "docs/connectors/registry.json",
    ]
    assert "not generated: docs/connectors/notes.md — remove it" in lines
    assert lines[-1] == (
        "jobforge-contracts generate-registry: docs/connectors/ is out of date (0 missing, "
        "3 changed, 1 stale); run `jobforge-contracts generate-registry` and commit the result"
    )
    assert (folder / "index.md").read_text(encoding="utf-8") == before["index.md"]
