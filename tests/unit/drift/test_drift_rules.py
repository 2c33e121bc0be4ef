"""Drift rules on real files in a scratch project: each rule fires, and only when it should."""

from __future__ import annotations

from pathlib import Path

import pytest

from jobforge.contracts.config import load_config
from jobforge.contracts.contract_set import load_contract_set
from jobforge.contracts.drift.contract_drift import DriftResult, compare
from jobforge.contracts.drift.lockfile import LockedContract, LockKey
from jobforge.contracts.drift.version_bumps import is_major_bump
from jobforge.contracts.models.semver import parse_semver
from tests.unit.drift.edits import (
    RUNNER_ID,
    Document,
    edit_connector,
    edit_runner,
    input_schema,
    output_schema,
    runner_path,
    set_version,
    snapshot,
)


def drift(root: Path, baseline: dict[LockKey, LockedContract], *, lock_mode: bool) -> DriftResult:
    contracts = load_contract_set(load_config(root))
    assert contracts.ok, contracts.problems
    return compare(baseline, contracts, baseline_name="contracts.lock", lock_mode=lock_mode)


def rule_ids(result: DriftResult) -> list[str]:
    return [problem.rule.id for problem in result.problems]


def add_optional_input(document: Document) -> None:
    input_schema(document)["properties"]["verbose"] = {"type": "boolean"}


def require_new_input(document: Document) -> None:
    input_schema(document)["properties"]["account"] = {"type": "string"}
    input_schema(document)["required"].append("account")


def test_unchanged_contracts_pass(project: Path) -> None:
    result = drift(project, snapshot(project), lock_mode=True)
    assert result.ok
    assert result.contracts == []
    assert result.compared == 2


def test_a_description_edit_needs_no_bump(project: Path) -> None:
    baseline = snapshot(project)
    edit_runner(project, lambda doc: doc.update(description="Reworded."))
    assert drift(project, baseline, lock_mode=True).ok


def test_a_change_without_a_bump_is_refused_and_points_at_the_version(project: Path) -> None:
    baseline = snapshot(project)
    edit_runner(project, add_optional_input)
    result = drift(project, baseline, lock_mode=False)
    assert rule_ids(result) == ["JF601"]
    problem = result.problems[0]
    assert problem.path == "contracts/runners/autopilot.ops.scan.yaml"
    version_line = next(
        number
        for number, line in enumerate(runner_path(project).read_text().splitlines(), start=1)
        if '"version"' in line
    )
    assert problem.position.line == version_line
    assert "runner autopilot.ops.scan changed but its version is still 1.0.0" in problem.message
    assert "JF507 property-added" in problem.message


def test_a_compatible_change_with_a_minor_bump_passes_but_leaves_the_lock_stale(
    project: Path,
) -> None:
    baseline = snapshot(project)
    edit_runner(project, add_optional_input)
    edit_runner(project, set_version("1.1.0"))
    assert drift(project, baseline, lock_mode=False).ok
    assert rule_ids(drift(project, baseline, lock_mode=True)) == ["JF605"]


def test_a_breaking_change_with_a_minor_bump_names_each_break(project: Path) -> None:
    baseline = snapshot(project)
    edit_runner(project, require_new_input)
    edit_runner(project, lambda doc: output_schema(doc)["properties"].pop("passed"))
    edit_runner(project, set_version("1.1.0"))
    result = drift(project, baseline, lock_mode=False)
    assert set(rule_ids(result)) == {"JF602"}
    messages = "\n".join(problem.message for problem in result.problems)
    assert "JF509 required-added at autopilot.ops.scan input_schema /properties/account" in messages
    assert "JF508 property-removed at autopilot.ops.scan output_schema /properties/passed" in (
        messages
    )
    assert "2.0.0 would be" in messages


def test_a_major_bump_must_be_recorded(project: Path) -> None:
    baseline = snapshot(project)
    edit_runner(project, require_new_input)
    edit_runner(project, set_version("2.0.0"))
    result = drift(project, baseline, lock_mode=False)
    assert rule_ids(result) == ["JF603"]
    assert "no entry for 2.0.0" in result.problems[0].message


def test_a_recorded_major_bump_passes(project: Path) -> None:
    baseline = snapshot(project)
    edit_runner(project, require_new_input)
    edit_runner(project, set_version("2.0.0", record="Inputs now need an account."))
    result = drift(project, baseline, lock_mode=False)
    assert result.ok, result.problems
    [changed] = result.contracts
    assert [c.rule.id for c in changed.breaking] == ["JF509"]


def test_a_record_for_another_version_does_not_count(project: Path) -> None:
    baseline = snapshot(project)
    edit_runner(project, require_new_input)
    edit_runner(project, set_version("2.0.0"))
    edit_runner(project, lambda doc: doc.update(breaking_changes={"3.0.0": {"message": "x"}}))
    assert rule_ids(drift(project, baseline, lock_mode=False)) == ["JF603"]


def test_a_removed_connector_job_type_or_capability_is_breaking(project: Path) -> None:
    baseline = snapshot(project)
    edit_connector(project, lambda doc: doc["capabilities"].update(polling=False))
    edit_connector(project, set_version("1.0.1"))
    result = drift(project, baseline, lock_mode=False)
    assert rule_ids(result) == ["JF602"]
    assert "JF522 capability-removed at capabilities.polling" in result.problems[0].message


def test_an_added_capability_is_compatible(project: Path) -> None:
    baseline = snapshot(project)
    edit_connector(project, lambda doc: doc["capabilities"].update(batch=True))
    edit_connector(project, set_version("1.1.0"))
    assert drift(project, baseline, lock_mode=False).ok


def test_a_removed_runner_job_type_is_breaking(project: Path) -> None:
    baseline = snapshot(project)

    def add_second(document: Document) -> None:
        document["job_types"]["autopilot.ops.rescan"] = document["job_types"][RUNNER_ID]

    edit_runner(project, add_second)
    added = snapshot(project)
    edit_runner(project, lambda doc: doc["job_types"].pop("autopilot.ops.rescan"))
    edit_runner(project, set_version("1.0.1"))
    result = drift(project, added, lock_mode=False)
    assert "JF520 job-type-removed at autopilot.ops.rescan" in result.problems[0].message
    assert drift(project, baseline, lock_mode=False).ok  # against the older one: only a bump


def test_versions_never_go_backwards(project: Path) -> None:
    edit_runner(project, set_version("1.2.0"))
    baseline = snapshot(project)
    edit_runner(project, set_version("1.1.9"))
    assert rule_ids(drift(project, baseline, lock_mode=False)) == ["JF604"]


def test_added_contracts_make_the_lock_stale_only(project: Path) -> None:
    result = drift(project, {}, lock_mode=False)
    assert result.ok
    assert [c.changes[0].rule.name for c in result.contracts] == ["contract-added"] * 2
    assert rule_ids(drift(project, {}, lock_mode=True)) == ["JF605", "JF605"]


def test_a_removed_contract_is_breaking(project: Path) -> None:
    baseline = snapshot(project)
    runner_path(project).unlink()
    result = drift(project, baseline, lock_mode=False)
    assert rule_ids(result) == ["JF606"]
    assert [c.changes[0].rule.name for c in result.contracts] == ["contract-removed"]
    assert rule_ids(drift(project, baseline, lock_mode=True)) == ["JF606"]


@pytest.mark.parametrize(
    ("old", "new", "major"),
    [
        ("1.4.2", "2.0.0", True),
        ("1.4.2", "1.5.0", False),
        ("1.4.2", "2.0.0-rc.1", True),
        ("2.0.0-rc.1", "2.0.0", False),
        ("0.3.0", "0.4.0", True),
        ("0.3.0", "0.3.1", False),
        ("0.0.3", "0.0.4", True),
        ("2.0.0", "1.0.0", False),
    ],
)
def test_major_bumps_follow_the_leftmost_non_zero_part(old: str, new: str, major: bool) -> None:
    assert is_major_bump(parse_semver(old), parse_semver(new)) is major


def test_a_removed_connector_job_type_is_breaking(project: Path) -> None:
    edit_connector(project, lambda doc: doc["supported_job_types"].append("autopilot.ops.fix"))
    baseline = snapshot(project)
    edit_connector(project, lambda doc: doc["supported_job_types"].remove("autopilot.ops.fix"))
    edit_connector(project, set_version("1.1.0"))
    result = drift(project, baseline, lock_mode=False)
    assert rule_ids(result) == ["JF602"]
    assert "JF520 job-type-removed at autopilot.ops.fix" in result.problems[0].message
    assert result.problems[0].path == "connectors/readylayer.cdn/metadata.json"


def test_reordering_connector_job_types_is_no_change(project: Path) -> None:
    edit_connector(project, lambda doc: doc["supported_job_types"].append("autopilot.ops.fix"))
    baseline = snapshot(project)
    edit_connector(project, lambda doc: doc["supported_job_types"].reverse())
    result = drift(project, baseline, lock_mode=True)
    assert result.ok
    assert result.contracts == []
