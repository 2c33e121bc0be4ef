"""What a replay found, as one summary line, one JSON document or GitHub annotations.

Text is printed as goldens finish (the command does that); these are the parts rendered
once everything is known. Every golden file read is accounted for: replayed (passed,
failed or updated), ``invalid`` (not a valid golden), or ``not run`` (a runner contract
or connector has problems, so no golden is judged by it).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from jobforge.contracts.problems.problem import Problem
from jobforge.contracts.problems.problem_format import github_annotation, github_error, json_object
from jobforge.replay.cases import GoldenSpec
from jobforge.replay.engine import GoldenOutcome
from jobforge.replay.junit import NOT_RUN_MESSAGE, failure_message
from jobforge.replay.project import InvalidGolden

# GitHub shows an annotation's message in full in the summary; the log has the rest.
MAX_ANNOTATION_CHARS = 4000
FIX_CONTRACTS_FIRST = "fix the contract files above first"


@dataclass
class ReplayReport:
    """Every golden of one replay run, and the contract problems that stopped any."""

    outcomes: Sequence[GoldenOutcome] = ()
    invalid: Sequence[InvalidGolden] = ()
    not_run: Sequence[GoldenSpec] = ()
    contract_problems: Sequence[Problem] = ()
    updated: Sequence[GoldenOutcome] = ()
    update_requested: bool = False
    seconds: float = 0.0
    _updated_ids: set[int] = field(default_factory=set, init=False, repr=False)

    def __post_init__(self) -> None:
        self._updated_ids = {id(outcome) for outcome in self.updated}

    @property
    def failed(self) -> list[GoldenOutcome]:
        """Goldens that failed and were not fixed by ``--update``."""
        return [o for o in self.outcomes if not o.passed and id(o) not in self._updated_ids]

    @property
    def ok(self) -> bool:
        return not (self.failed or self.invalid or self.contract_problems)

    @property
    def empty(self) -> bool:
        return not (self.outcomes or self.invalid or self.not_run or self.contract_problems)

    def counts(self) -> dict[str, int]:
        return {
            "passed": sum(1 for outcome in self.outcomes if outcome.passed),
            "updated": len(self.updated),
            "failed": len(self.failed),
            "invalid": len(self.invalid),
            "not_run": len(self.not_run),
        }

    def verdict(self, outcome: GoldenOutcome) -> str:
        if outcome.passed:
            return "passed"
        return "updated" if id(outcome) in self._updated_ids else "failed"


def summary(report: ReplayReport) -> str:
    """``3 passed, 1 failed, 1 invalid (1.52 s)``: every count that is not a zero extra."""
    counts = report.counts()
    parts = [f"{counts['passed']} passed"]
    if report.update_requested:
        parts.append(f"{counts['updated']} updated")
    parts.append(f"{counts['failed']} failed")
    parts.extend(
        f"{counts[key]} {key.replace('_', ' ')}" for key in ("invalid", "not_run") if counts[key]
    )
    ending = (
        f": {FIX_CONTRACTS_FIRST}" if report.contract_problems else f" ({report.seconds:.2f} s)"
    )
    return ", ".join(parts) + ending


def render_json(report: ReplayReport) -> str:
    """One document: ``ok``, ``counts``, every golden's verdict and problems, and the
    problems of contract files."""
    goldens = [
        *(_outcome_object(report, outcome) for outcome in report.outcomes),
        *(_invalid_object(golden) for golden in report.invalid),
        *(_not_run_object(golden) for golden in report.not_run),
    ]
    document: dict[str, Any] = {
        "ok": report.ok,
        "counts": report.counts(),
        "goldens": sorted(goldens, key=lambda entry: (entry["path"], entry["line"])),
        "problems": [json_object(problem) for problem in report.contract_problems],
        "seconds": round(report.seconds, 3),
    }
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def problem_annotations(problems: Sequence[Problem]) -> list[str]:
    """A GitHub annotation per problem of an invalid golden or contract file."""
    return [github_annotation(problem) for problem in problems]


def failure_annotation(outcome: GoldenOutcome) -> str:
    """A GitHub annotation at the failing golden's line: the stable one-line message,
    then the problems in full (diff included), cut at ``MAX_ANNOTATION_CHARS``."""
    golden = outcome.golden
    message = "\n".join([failure_message(outcome), *outcome.problems])
    if len(message) > MAX_ANNOTATION_CHARS:
        message = message[: MAX_ANNOTATION_CHARS - 1] + "…"
    return github_error(
        file=golden.path.as_posix(),
        line=golden.line,
        title=f"golden failed: {golden.name}",
        message=message,
    )


def _outcome_object(report: ReplayReport, outcome: GoldenOutcome) -> dict[str, Any]:
    return {
        **_where(outcome.golden),
        "verdict": report.verdict(outcome),
        "message": None if outcome.passed else failure_message(outcome),
        "problems": [{"message": problem} for problem in outcome.problems],
    }


def _invalid_object(golden: InvalidGolden) -> dict[str, Any]:
    return {
        "path": golden.path,
        "line": golden.line,
        "name": golden.name,
        "job_type": golden.job_type,
        "verdict": "invalid",
        "message": golden.message,
        "problems": [json_object(problem) for problem in golden.problems],
    }


def _not_run_object(golden: GoldenSpec) -> dict[str, Any]:
    return {**_where(golden), "verdict": "not run", "message": NOT_RUN_MESSAGE, "problems": []}


def _where(golden: GoldenSpec) -> dict[str, Any]:
    return {
        "path": golden.path.as_posix(),
        "line": golden.line,
        "name": golden.name,
        "job_type": golden.job_type,
    }
