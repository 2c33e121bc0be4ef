"""``jobforge-contracts check --format json|github`` as CI consumes it: one JSON document
on stdout, annotations for every failing step, options checked before anything runs, and
no password in anything printed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.acceptance.support import contracts

RUNNER = "acme.billing"
GOLDEN = "goldens/acme.billing/active-item.yaml"
GOLDEN_SCHEMA = "contracts/schema/golden.schema.json"
REGISTRY_INDEX = "docs/connectors/index.md"
# A server nobody listens on: connecting fails at once, before any database is made.
UNREACHABLE = "postgresql://postgres:s3cret@127.0.0.1:1/postgres"
STEPS = ["validate", "schema", "registry", "drift"]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A fresh repository after ``init``: every check passes."""
    root = tmp_path / "shop"
    root.mkdir()
    (root / "pyproject.toml").write_text('[project]\nname = "shop"\nversion = "1.0.0"\n')
    completed = contracts("init", "--runner", RUNNER, cwd=root)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    return root


def edit(root: Path, path: str, old: str, new: str) -> None:
    file = root / path
    text = file.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} in {path}"
    file.write_text(text.replace(old, new), encoding="utf-8")


def make_stale(root: Path) -> None:
    """A hand-edited schema (line 2 differs) and a deleted registry page."""
    schema = root / GOLDEN_SCHEMA
    schema.write_text(schema.read_text().replace("{\n", '{\n  "$comment": "edited by hand",\n', 1))
    (root / REGISTRY_INDEX).unlink()


def test_json_is_one_document_with_each_steps_own_result(project: Path) -> None:
    completed = contracts("check", "--no-replay", "--format", "json", cwd=project)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    document = json.loads(completed.stdout)  # nothing else on stdout
    assert document["ok"] is True
    assert [step["name"] for step in document["steps"]] == STEPS
    for step in document["steps"]:
        assert step["status"] == "ok"
        assert step["exit_code"] == 0
        assert isinstance(step["seconds"], float)
        assert step["result"]["ok"] is True, step
        assert step["error"] is None
    validate = document["steps"][0]["result"]
    assert validate["files_checked"] == {"connector": 1, "golden": 1, "runner": 1}
    assert document["steps"][1]["result"]["files"] == []


def test_json_reports_stale_generated_files_by_name(project: Path) -> None:
    make_stale(project)
    completed = contracts("check", "--no-replay", "--format", "json", cwd=project)
    assert completed.returncode == 1
    document = json.loads(completed.stdout)
    assert document["ok"] is False
    statuses = {step["name"]: step["status"] for step in document["steps"]}
    assert statuses == {"validate": "ok", "schema": "failed", "registry": "failed", "drift": "ok"}
    schema = document["steps"][1]["result"]
    assert schema["fix"] == "jobforge-contracts schema"
    [changed] = schema["files"]
    assert changed["path"] == GOLDEN_SCHEMA
    assert changed["state"] == "changed"
    assert (changed["added"], changed["removed"]) == (0, 1)
    assert f"--- {GOLDEN_SCHEMA}" in changed["diff"]
    registry = document["steps"][2]["result"]
    assert [(f["path"], f["state"]) for f in registry["files"]] == [(REGISTRY_INDEX, "missing")]


def test_github_annotates_stale_generated_files_at_the_file(project: Path) -> None:
    make_stale(project)
    completed = contracts("check", "--no-replay", "--format", "github", cwd=project)
    assert completed.returncode == 1
    annotations = [line for line in completed.stdout.splitlines() if line.startswith("::error ")]
    assert any(
        line.startswith(f"::error file={GOLDEN_SCHEMA},line=2,title=")
        and "jobforge-contracts schema" in line
        for line in annotations
    ), annotations
    assert any(
        line.startswith(f"::error file={REGISTRY_INDEX},line=1,title=")
        and "jobforge-contracts generate-registry" in line
        for line in annotations
    ), annotations


def test_options_are_checked_before_any_step_runs(project: Path) -> None:
    completed = contracts("check", "--jobs", "0", cwd=project)
    assert completed.returncode == 2
    assert completed.stdout == ""
    assert "--jobs" in completed.stderr
    assert "expected at least 1, got 0" in completed.stderr


def test_replay_jobs_below_one_is_a_usage_error(project: Path) -> None:
    completed = contracts("replay", "--jobs", "0", cwd=project)
    assert completed.returncode == 2
    assert "expected at least 1, got 0" in completed.stderr


def test_no_password_is_printed(project: Path) -> None:
    completed = contracts("check", "--database-url", UNREACHABLE, cwd=project)
    output = completed.stdout + completed.stderr
    assert "s3cret" not in output
    header = next(line for line in output.splitlines() if line.startswith("== replay: "))
    assert "--database-url postgresql://postgres:***@127.0.0.1:1/postgres" in header


def test_an_unreachable_replay_server_fails_the_step_with_exit_1(project: Path) -> None:
    """As `jobforge replay`: a database that fails is a failed run (1), not a usage error."""
    replay = contracts("replay", "--database-url", UNREACHABLE, cwd=project)
    assert replay.returncode == 1, replay.stdout + replay.stderr
    assert "cannot connect" in replay.stderr
    assert "s3cret" not in replay.stdout + replay.stderr
    check = contracts("check", "--database-url", UNREACHABLE, "--format", "json", cwd=project)
    assert check.returncode == 1
    document = json.loads(check.stdout)
    replay_step = document["steps"][-1]
    assert (replay_step["name"], replay_step["status"]) == ("replay", "failed")
    assert "cannot connect" in replay_step["error"]
    assert "s3cret" not in replay_step["error"] + replay_step["command"]
