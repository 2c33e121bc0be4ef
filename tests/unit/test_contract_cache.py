"""The worker's contract cache: a hit only for exactly the files it was built from."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jobforge.cli.handler_loading import _validated_job_types, load_project_contracts
from jobforge.contracts.config import load_config
from jobforge.contracts.contract_cache import (
    CACHE_FOLDER,
    DISABLE_VARIABLE,
    Discovered,
    cached_job_types,
    contracts_fingerprint,
)
from jobforge.errors import ConfigurationError
from jobforge.project import load_project_config
from jobforge.worker.job_types import JobTypeContract
from tests.unit.contracts.support import make_project

RUNNER = Path("contracts/runners/autopilot.ops.scan.yaml")
JOB_TYPE = "autopilot.ops.scan"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The frozen sample runner, goldens and connector, with a pyproject.toml of its own."""
    monkeypatch.delenv(DISABLE_VARIABLE, raising=False)
    return make_project(tmp_path, pyproject='[project]\nname = "scratch"\nversion = "0"\n')


def load(project: Path) -> dict[str, object]:
    return dict(load_project_contracts(load_project_config(project)))


def cache_files(project: Path) -> list[Path]:
    return sorted((project / CACHE_FOLDER).glob("worker-contracts-*.json"))


def fingerprint(project: Path) -> str:
    return contracts_fingerprint(load_config(project))


def test_a_miss_writes_the_cache_and_a_hit_returns_the_same_contracts(project: Path) -> None:
    first = load(project)
    [written] = cache_files(project)
    assert written.name == f"worker-contracts-{fingerprint(project)}.json"
    assert (project / CACHE_FOLDER / ".gitignore").read_text().splitlines()[-1] == "*"
    assert load(project) == first
    assert list(first) == [JOB_TYPE]


def test_a_hit_is_read_from_the_cache_file(project: Path) -> None:
    load(project)
    [written] = cache_files(project)
    document = json.loads(written.read_text())
    document["job_types"][JOB_TYPE]["timeout_seconds"] = 1234.5
    written.write_text(json.dumps(document))
    contract = load_project_contracts(load_project_config(project))[JOB_TYPE]
    assert contract.timeout_seconds == 1234.5


def test_an_edited_runner_is_validated_again(project: Path) -> None:
    before = load_project_contracts(load_project_config(project))[JOB_TYPE]
    runner = project / RUNNER
    text = runner.read_text()
    assert "timeout_seconds: 30" in text
    runner.write_text(text.replace("timeout_seconds: 30", "timeout_seconds: 31"))
    after = load_project_contracts(load_project_config(project))[JOB_TYPE]
    assert (before.timeout_seconds, after.timeout_seconds) == (30, 31)
    assert len(cache_files(project)) == 1, "the stale cache file was not removed"


def test_adding_renaming_or_removing_a_file_changes_the_fingerprint(project: Path) -> None:
    seen = {fingerprint(project)}
    extra = project / "connectors" / "other.cdn"
    shutil.copytree(project / "connectors" / "readylayer.cdn", extra)
    seen.add(fingerprint(project))
    extra.rename(project / "connectors" / "renamed.cdn")
    seen.add(fingerprint(project))
    shutil.rmtree(project / "connectors" / "renamed.cdn")
    assert fingerprint(project) in seen
    assert len(seen) == 3


def test_settings_that_change_validation_change_the_fingerprint(project: Path) -> None:
    before = fingerprint(project)
    with (project / "pyproject.toml").open("a") as pyproject:
        pyproject.write("[tool.jobforge.contracts]\nmax_file_bytes = 4096\n")
    assert fingerprint(project) != before


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(position=st.integers(min_value=0), replacement=st.integers(min_value=0, max_value=255))
def test_any_changed_byte_changes_the_fingerprint(
    project: Path, position: int, replacement: int
) -> None:
    runner = project / RUNNER
    original = runner.read_bytes()
    index = position % len(original)
    if original[index] == replacement:
        replacement = (replacement + 1) % 256
    before = fingerprint(project)
    runner.write_bytes(original[:index] + bytes([replacement]) + original[index + 1 :])
    try:
        assert fingerprint(project) != before
    finally:
        runner.write_bytes(original)


def test_invalid_contracts_stop_the_worker_and_are_never_cached(project: Path) -> None:
    runner = project / RUNNER
    runner.write_text(runner.read_text().replace("version: 1.0.0", "version: one"))
    with pytest.raises(ConfigurationError, match=r"autopilot\.ops\.scan\.yaml:4:"):
        load(project)
    assert cache_files(project) == []


def test_a_corrupt_cache_file_is_a_miss_and_is_rewritten(project: Path) -> None:
    expected = load(project)
    [written] = cache_files(project)
    written.write_text('{"format": 1, "fingerprint": ')
    assert load(project) == expected
    assert json.loads(written.read_text())["fingerprint"] == fingerprint(project)


def test_an_unwritable_cache_does_not_stop_the_worker(project: Path) -> None:
    (project / CACHE_FOLDER).write_text("a file where the cache folder would be\n")
    assert list(load(project)) == [JOB_TYPE]
    assert (project / CACHE_FOLDER).is_file()


def test_the_cache_can_be_turned_off(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(DISABLE_VARIABLE, "1")
    assert list(load(project)) == [JOB_TYPE]
    assert not (project / CACHE_FOLDER).exists()


def test_a_hit_loads_neither_pydantic_nor_yaml_nor_jsonschema(project: Path) -> None:
    load(project)
    probe = textwrap.dedent(
        """\
        import json, sys
        from jobforge.cli.handler_loading import load_project_contracts
        from jobforge.project import load_project_config
        contracts = load_project_contracts(load_project_config())
        heavy = [m for m in (
            "pydantic", "ruamel.yaml", "jsonschema",
            "jobforge.contracts.models.contract_files", "jobforge.contracts.contract_set",
        ) if m in sys.modules]
        print(json.dumps({"job_types": sorted(contracts), "heavy": heavy}))
        """
    )
    completed = subprocess.run(
        [sys.executable, "-c", probe], cwd=project, capture_output=True, text=True, check=True
    )
    assert json.loads(completed.stdout) == {"job_types": [JOB_TYPE], "heavy": []}


def test_a_hit_reports_schema_errors_in_the_order_a_miss_does(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Equal dicts are not enough: the order of a schema's keywords is the order in which
    the worker reports a payload's errors, so the cache must keep the file's order."""
    runner = project / RUNNER
    text = runner.read_text()
    moved = "      required: [zone]\n"
    assert moved in text
    text = text.replace(moved, "", 1).replace(
        "      additionalProperties: false\n", moved + "      additionalProperties: false\n", 1
    )
    runner.write_text(text)
    payload = {"unexpected": 1}
    monkeypatch.setenv(DISABLE_VARIABLE, "1")
    uncached = load_project_contracts(load_project_config(project))[JOB_TYPE]
    monkeypatch.delenv(DISABLE_VARIABLE)
    load(project)  # a miss: writes the cache
    hit = load_project_contracts(load_project_config(project))[JOB_TYPE]
    assert len(cache_files(project)) == 1
    assert uncached.input_errors(payload)[0] == "payload: 'zone' is a required property"
    assert hit.input_errors(payload) == uncached.input_errors(payload)
    assert uncached.input_schema is not None
    assert hit.input_schema is not None
    assert list(hit.input_schema) == list(uncached.input_schema)


def test_an_added_or_removed_runner_shows_in_the_result(project: Path) -> None:
    assert list(load(project)) == [JOB_TYPE]
    runner = project / RUNNER
    other = runner.with_name("autopilot.ops.other.yaml")
    other.write_text(runner.read_text().replace(JOB_TYPE, "autopilot.ops.other"))
    assert sorted(load(project)) == ["autopilot.ops.other", JOB_TYPE]
    other.unlink()
    assert list(load(project)) == [JOB_TYPE]
    assert len(cache_files(project)) == 1


@pytest.mark.parametrize(
    "make_problem",
    [
        pytest.param(lambda p: (p / "connectors" / "empty.cdn").mkdir(), id="empty-connector"),
        pytest.param(
            lambda p: (p / RUNNER).with_suffix(".yml").write_text("runner_id: x\n"),
            id="misnamed-runner",
        ),
    ],
)
def test_a_layout_problem_stops_the_worker_after_a_cached_start(
    project: Path, make_problem: Callable[[Path], object]
) -> None:
    """A problem that is a folder or a file name rather than file contents (an empty
    connector folder, a runner ending in .yml) stops a start with a cache too."""
    load(project)
    make_problem(project)
    with pytest.raises(ConfigurationError, match="do not validate"):
        load(project)


@pytest.mark.parametrize(
    "unread",
    [
        "contracts/runners/README.md",
        "contracts/runners/.autopilot.ops.scan.yaml.swp",
        "connectors/readylayer.cdn/README.md",
        "goldens/autopilot.ops.scan/new-case.yaml",
    ],
)
def test_files_the_loader_does_not_read_keep_the_fingerprint(project: Path, unread: str) -> None:
    before = fingerprint(project)
    (project / unread).write_text("not read by the worker\n")
    assert fingerprint(project) == before


def test_a_file_edited_during_validation_is_not_cached(project: Path) -> None:
    """If a contract changes while the slow load runs, the result belongs to neither
    fingerprint for sure: it is returned but not written."""
    config = load_config(project)
    runner = project / RUNNER

    def edit_then_validate(discovered: Discovered) -> dict[str, JobTypeContract]:
        runner.write_text(runner.read_text().replace("timeout_seconds: 30", "timeout_seconds: 31"))
        return _validated_job_types(config, discovered)

    assert (
        cached_job_types(config, edit_then_validate, JobTypeContract)[JOB_TYPE].timeout_seconds
        == 31
    )
    assert cache_files(project) == []
    assert load_project_contracts(load_project_config(project))[JOB_TYPE].timeout_seconds == 31
    assert len(cache_files(project)) == 1


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda d: d.update(format=d["format"] + 1), id="other-format"),
        pytest.param(lambda d: d.update(job_types=[]), id="job-types-not-a-table"),
        pytest.param(
            lambda d: d["job_types"][JOB_TYPE].update(input_schema=["not", "a", "schema"]),
            id="schema-not-an-object",
        ),
        pytest.param(
            lambda d: d["job_types"][JOB_TYPE].update(timeout_seconds=True), id="timeout-a-bool"
        ),
        pytest.param(lambda d: d["job_types"][JOB_TYPE].pop("runner_id"), id="missing-key"),
    ],
)
def test_a_cache_file_not_as_written_is_a_miss(
    project: Path, damage: Callable[[dict[str, Any]], object]
) -> None:
    expected = load(project)
    [written] = cache_files(project)
    document = json.loads(written.read_text())
    damage(document)
    written.write_text(json.dumps(document))
    assert load(project) == expected
    assert json.loads(written.read_text())["job_types"][JOB_TYPE]["runner_id"] == JOB_TYPE


def test_a_read_only_cache_folder_does_not_stop_the_worker(project: Path) -> None:
    folder = project / CACHE_FOLDER
    folder.mkdir()
    folder.chmod(0o500)
    try:
        assert list(load(project)) == [JOB_TYPE]
        if os.geteuid() != 0:  # root writes through the mode bits; the test above covers it
            assert cache_files(project) == []
    finally:
        folder.chmod(0o700)
