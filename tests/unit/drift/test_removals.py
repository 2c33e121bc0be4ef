"""Removing a runner or connector: breaking unless recorded in contracts/removed.yaml."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from jobforge.contracts.checks.validation import validate
from jobforge.contracts.config import load_config
from jobforge.contracts.contract_set import load_contract_set
from jobforge.contracts.drift.contract_drift import (
    DriftResult,
    Origin,
    compare,
)
from jobforge.contracts.drift.lockfile import (
    ContractKind,
    LockedContract,
    LockKey,
)
from jobforge.contracts.drift.removals import NO_REMOVALS, Removals, read_removals
from jobforge.contracts.drift.reporters import render
from jobforge.contracts.loading.layout import FileKind
from jobforge.contracts.problems.problem import Position
from tests.unit.drift.edits import (
    CONNECTOR_ID,
    RUNNER_ID,
    Document,
    connector_path,
    edit_runner,
    runner_path,
    set_version,
    snapshot,
)

REMOVED = Path("contracts") / "removed.yaml"


def removals(root: Path) -> Removals:
    records, problems = read_removals(root / REMOVED, REMOVED.as_posix())
    assert problems == []
    return records


def drift(
    root: Path,
    baseline: dict[LockKey, LockedContract],
    *,
    lock_mode: bool,
    origin: Origin | None = None,
) -> DriftResult:
    contracts = load_contract_set(load_config(root))
    assert contracts.ok, contracts.problems
    return compare(
        baseline,
        contracts,
        baseline_name="HEAD",
        lock_mode=lock_mode,
        removals=removals(root),
        origin=(lambda key: origin) if origin else None,
    )


def rule_ids(result: DriftResult) -> list[str]:
    return [problem.rule.id for problem in result.problems]


def record(root: Path, text: str) -> None:
    (root / REMOVED).write_text(text, encoding="utf-8")


def remove_connector(root: Path) -> None:
    shutil.rmtree(connector_path(root).parent)


RUNNER_RECORD = f"""\
runners:
  {RUNNER_ID}:
    last_version: 1.0.0
    message: Replaced by autopilot.ops.audit; enqueue autopilot.ops.audit instead.
"""


def test_a_removed_runner_is_breaking_and_says_how_to_record_it(project: Path) -> None:
    baseline = snapshot(project)
    runner_path(project).unlink()
    for lock_mode in (False, True):
        result = drift(project, baseline, lock_mode=lock_mode)
        assert rule_ids(result) == ["JF606"]
    [problem] = result.problems
    assert problem.rule.name == "contract-removed-not-recorded"
    assert f"runner {RUNNER_ID} 1.0.0 was removed" in problem.message
    assert "contracts/removed.yaml" in problem.message
    assert "last_version: 1.0.0" in problem.message
    assert [change.breaking for change in result.contracts[0].changes] == [True]


def test_the_problem_points_where_the_contract_was(project: Path) -> None:
    baseline = snapshot(project)
    runner_path(project).unlink()
    where = Origin(f"HEAD:contracts/runners/{RUNNER_ID}.yaml", Position(2, 1))
    [problem] = drift(project, baseline, lock_mode=False, origin=where).problems
    assert (problem.path, problem.position) == (where.display, where.position)


def test_a_recorded_removal_passes_and_only_leaves_the_lock_stale(project: Path) -> None:
    baseline = snapshot(project)
    runner_path(project).unlink()
    record(project, RUNNER_RECORD)
    result = drift(project, baseline, lock_mode=False)
    assert result.ok, result.problems
    assert [c.changes[0].rule.name for c in result.contracts] == ["contract-removed"]
    assert rule_ids(drift(project, baseline, lock_mode=True)) == ["JF605"]


def test_a_record_for_another_version_does_not_count_and_points_at_it(project: Path) -> None:
    edit_runner(project, set_version("1.2.0"))
    baseline = snapshot(project)
    runner_path(project).unlink()
    record(project, RUNNER_RECORD)
    [problem] = drift(project, baseline, lock_mode=False).problems
    assert problem.rule.id == "JF606"
    assert (problem.path, problem.position) == ("contracts/removed.yaml", Position(3, 19))
    assert "1.0.0" in problem.message
    assert "HEAD has 1.2.0" in problem.message


def test_a_record_of_the_other_kind_does_not_count(project: Path) -> None:
    baseline = snapshot(project)
    runner_path(project).unlink()
    record(project, RUNNER_RECORD.replace("runners:", "connectors:"))
    assert rule_ids(drift(project, baseline, lock_mode=False)) == ["JF606"]


def test_a_removed_connector_is_breaking_until_recorded(project: Path) -> None:
    baseline = snapshot(project)
    remove_connector(project)
    [problem] = drift(project, baseline, lock_mode=False).problems
    assert problem.rule.id == "JF606"
    assert f"connector {CONNECTOR_ID} 1.0.0 was removed" in problem.message
    record(
        project,
        f"connectors:\n  {CONNECTOR_ID}:\n    last_version: 1.0.0\n"
        "    message: The CDN is no longer offered.\n",
    )
    assert drift(project, baseline, lock_mode=False).ok


def test_a_removed_job_type_needs_a_major_bump_of_its_runner(project: Path) -> None:
    def add_second(document: Document) -> None:
        document["job_types"]["autopilot.ops.rescan"] = document["job_types"][RUNNER_ID]

    edit_runner(project, add_second)
    baseline = snapshot(project)
    edit_runner(project, lambda doc: doc["job_types"].pop("autopilot.ops.rescan"))
    edit_runner(project, set_version("1.1.0"))
    result = drift(project, baseline, lock_mode=False)
    assert rule_ids(result) == ["JF602"]
    assert "JF520 job-type-removed at autopilot.ops.rescan" in result.problems[0].message
    edit_runner(project, set_version("2.0.0", record="autopilot.ops.rescan is gone; use scan."))
    assert drift(project, baseline, lock_mode=False).ok


def test_no_file_means_no_records(tmp_path: Path) -> None:
    records, problems = read_removals(tmp_path / "removed.yaml", "removed.yaml")
    assert problems == []
    assert records.records == NO_REMOVALS.records == {}
    assert records.find(ContractKind.RUNNER, RUNNER_ID) is None


@pytest.mark.parametrize(
    ("text", "where", "rule"),
    [
        ("runners:\n  a.b:\n    last_version: one\n    message: x\n", (3, 19), "JF113"),
        ("runners:\n  a.b:\n    last_version: 1.0.0\n", (3, 5), "JF111"),
        (
            "runners:\n  a.b:\n    last_version: 1.0.0\n    message: x\n    why: y\n",
            (5, 5),
            "JF104",
        ),
        ("runner:\n  a.b: {}\n", (1, 1), "JF104"),
        ("runners: [\n", (2, 1), "JF102"),
    ],
)
def test_a_broken_record_file_is_reported_at_its_position(
    tmp_path: Path, text: str, where: tuple[int, int], rule: str
) -> None:
    path = tmp_path / "removed.yaml"
    path.write_text(text, encoding="utf-8")
    _, problems = read_removals(path, "contracts/removed.yaml")
    assert [(p.path, (p.position.line, p.position.column), p.rule.id) for p in problems] == [
        ("contracts/removed.yaml", where, rule)
    ]


OTHER_RECORD = """\
# Contracts removed on purpose.
connectors:
  old.cdn:
    last_version: 0.1.0
    message: The CDN is no longer offered.
"""


def test_with_a_records_file_the_problem_points_where_the_record_goes(project: Path) -> None:
    baseline = snapshot(project)
    runner_path(project).unlink()
    record(project, OTHER_RECORD)
    where = Origin(f"HEAD:contracts/runners/{RUNNER_ID}.yaml", Position(2, 1))
    [problem] = drift(project, baseline, lock_mode=False, origin=where).problems
    assert (problem.path, problem.position, problem.field) == (
        REMOVED.as_posix(),
        Position(1, 1),
        (),
    )
    assert f"(it was at HEAD:contracts/runners/{RUNNER_ID}.yaml:2:1)" in problem.message
    record(
        project, OTHER_RECORD + "runners:\n  some.other:\n    last_version: 1.0.0\n    message: x\n"
    )
    [problem] = drift(project, baseline, lock_mode=False, origin=where).problems
    assert (problem.path, problem.position, problem.field) == (
        REMOVED.as_posix(),
        Position(6, 1),
        ("runners",),
    )


def test_github_annotates_the_records_file_when_there_is_one(project: Path) -> None:
    baseline = snapshot(project)
    runner_path(project).unlink()
    record(project, OTHER_RECORD)
    where = Origin(f"HEAD:contracts/runners/{RUNNER_ID}.yaml", Position(2, 1))
    result = drift(project, baseline, lock_mode=False, origin=where)
    first = render(result, "github", verbose=False).splitlines()[0]
    assert first.startswith(
        "::error file=contracts/removed.yaml,line=1,col=1,"
        "title=JF606 contract-removed-not-recorded::"
    )


def test_github_names_no_file_that_exists_only_at_the_baseline(project: Path) -> None:
    baseline = snapshot(project)
    runner_path(project).unlink()
    where = Origin(f"HEAD:contracts/runners/{RUNNER_ID}.yaml", Position(2, 1))
    result = drift(project, baseline, lock_mode=False, origin=where)
    first = render(result, "github", verbose=False).splitlines()[0]
    # No file= : GitHub shows the annotation on the run's summary, not on a missing file.
    assert first.startswith(
        "::error title=JF606 contract-removed-not-recorded::"
        f"HEAD:contracts/runners/{RUNNER_ID}.yaml:2:1: runner {RUNNER_ID} 1.0.0 was removed"
    )
    assert "file=" not in first


@pytest.mark.parametrize(
    "text",
    [
        "runners:\n  acme.echo:\n    last_version: 1.0.0\n    mesage: gone\n",
        "runners:\n  a.b:\n    last_version: one\n    message: x\n",
        "runner:\n  a.b: {}\n",
        "runners: [\n",
        "connectors:\n  Bad Id:\n    last_version: 1.0.0\n    message: x\nextra: 1\n",
    ],
)
def test_validate_reports_exactly_what_drift_reports_about_the_records(
    project: Path, text: str
) -> None:
    record(project, text)
    _, from_drift = read_removals(project / REMOVED, REMOVED.as_posix())
    assert from_drift
    config = load_config(project)
    for result in (validate(config), validate(config, [project / REMOVED])):
        assert [p for p in result.problems if p.path == REMOVED.as_posix()] == from_drift
        assert result.files_checked[FileKind.REMOVALS] == 1


def test_validate_counts_a_valid_records_file(project: Path) -> None:
    record(project, RUNNER_RECORD)
    result = validate(load_config(project), [project / REMOVED])
    assert result.ok, result.problems
    assert result.files_checked == {FileKind.REMOVALS: 1}
