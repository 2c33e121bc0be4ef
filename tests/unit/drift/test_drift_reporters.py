"""The drift text report: problems (each with its fix) first, then the changes, capped."""

from __future__ import annotations

from jobforge.contracts.drift.contract_drift import (
    VERSION_NOT_BUMPED,
    ContractDrift,
    DriftResult,
)
from jobforge.contracts.drift.lockfile import ContractKind
from jobforge.contracts.drift.reporters import CHANGES_SHOWN, render, render_text
from jobforge.contracts.drift.surface_changes import JOB_TYPE_ADDED, ContractChange
from jobforge.contracts.problems.problem import Position, Problem

PATH = "contracts/runners/a.yaml"


def result_with(changes: int) -> DriftResult:
    drift = ContractDrift(ContractKind.RUNNER, "a", PATH, "1.0.0", "1.0.0")
    drift.changes.extend(
        ContractChange(
            JOB_TYPE_ADDED, f"a.j{index:03}", f"job type 'a.j{index:03}' was added", False
        )
        for index in range(changes)
    )
    problem = Problem(PATH, Position(3, 10), ("version",), VERSION_NOT_BUMPED, "bump it")
    return DriftResult("HEAD", compared=1, contracts=[drift], problems=[problem])


def change_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("  JF521")]


def test_problems_come_first_then_the_changes_then_the_summary() -> None:
    lines = render_text(result_with(2)).splitlines()
    assert lines == [
        f"{PATH}:3:10: version: JF601 version-not-bumped: bump it",
        f"runner a ({PATH}): 1.0.0 -> 1.0.0",
        "  JF521 job-type-added at a.j000: job type 'a.j000' was added",
        "  JF521 job-type-added at a.j001: job type 'a.j001' was added",
        "jobforge-contracts drift: 1 problem; 1 contract compared with HEAD",
    ]


def test_the_changes_of_a_contract_are_capped_with_the_count_of_the_rest() -> None:
    text = render_text(result_with(CHANGES_SHOWN + 7))
    assert len(change_lines(text)) == CHANGES_SHOWN
    assert "  … and 7 more changes (--verbose shows all)\n" in text
    assert "more change (" in render_text(result_with(CHANGES_SHOWN + 1))
    assert "more change" not in render_text(result_with(CHANGES_SHOWN))


def test_verbose_lists_every_change_and_other_formats_are_never_capped() -> None:
    result = result_with(CHANGES_SHOWN + 7)
    assert len(change_lines(render(result, "text", verbose=True))) == CHANGES_SHOWN + 7
    assert render(result, "json", verbose=False).count('"rule": "JF521"') == CHANGES_SHOWN + 7


def test_github_annotates_a_path_at_the_baseline_revision_without_a_file() -> None:
    problem = Problem(
        "HEAD:contracts/runners/a.yaml", Position(3, 1), (), VERSION_NOT_BUMPED, "gone, 50%"
    )
    result = DriftResult("HEAD", compared=1, problems=[problem])
    assert render(result, "github", verbose=False).splitlines()[0] == (
        "::error title=JF601 version-not-bumped::HEAD:contracts/runners/a.yaml:3:1: gone, 50%25"
    )


def test_github_keeps_the_file_of_a_lock_baseline() -> None:
    lock = "contracts/contracts.lock"
    problem = Problem(lock, Position(7, 3), (), VERSION_NOT_BUMPED, "stale")
    result = DriftResult(lock, compared=1, problems=[problem])
    assert render(result, "github", verbose=False).splitlines()[0] == (
        f"::error file={lock},line=7,col=3,title=JF601 version-not-bumped::stale"
    )
