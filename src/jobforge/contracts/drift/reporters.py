"""Rendering drift results: text for people, JSON for machines, GitHub workflow annotations.

Problems use the validator's line shape, ``path:line:column: field: JFnnn name: message``,
and come first, each with its fix; the text report then lists the changes found, so a
reviewer sees what moved even when it was versioned correctly (the first
``CHANGES_SHOWN`` of each contract and a count of the rest, all with ``verbose``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from jobforge.contracts.drift.contract_drift import ContractDrift, DriftResult
from jobforge.contracts.problems.problem import Problem
from jobforge.contracts.problems.problem_format import (
    escape_control,
    github_annotation,
    github_error,
    json_document,
    json_object,
    text_line,
)

PROGRAM = "jobforge-contracts drift"
CHANGES_SHOWN: Final = 20


def render_text(result: DriftResult, *, verbose: bool = False) -> str:
    lines = [text_line(problem) for problem in result.problems]
    for drift in result.contracts:
        lines.append(_heading(drift))
        hidden = 0 if verbose else max(0, len(drift.changes) - CHANGES_SHOWN)
        lines.extend(
            f"  {change.describe()}{' [breaking]' if change.breaking else ''}"
            for change in drift.changes[: len(drift.changes) - hidden]
        )
        if hidden:
            more = f"{hidden} more change{'' if hidden == 1 else 's'}"
            lines.append(f"  … and {more} (--verbose shows all)")
    lines.append(summary(result))
    return "\n".join(lines) + "\n"


def _heading(drift: ContractDrift) -> str:
    versions = f"{drift.old_version or '(new)'} -> {drift.new_version or '(removed)'}"
    return f"{drift.kind} {drift.contract_id} ({drift.display}): {versions}"


def render_json(result: DriftResult) -> str:
    document: dict[str, Any] = {
        "ok": result.ok,
        "baseline": result.baseline,
        "compared": result.compared,
        "contracts": [
            {
                "kind": drift.kind.value,
                "id": drift.contract_id,
                "path": drift.display,
                "old_version": drift.old_version,
                "new_version": drift.new_version,
                "changes": [
                    {
                        "rule": change.rule.id,
                        "name": change.rule.name,
                        "where": change.where,
                        "detail": change.detail,
                        "breaking": change.breaking,
                    }
                    for change in drift.changes
                ],
            }
            for drift in result.contracts
        ],
        "problems": [json_object(problem) for problem in result.problems],
    }
    return _dump(document)


def _dump(document: dict[str, Any]) -> str:
    return json_document(document)


def render_github(result: DriftResult) -> str:
    """One ``::error`` annotation per problem, each on a file of the checkout.

    A problem can be located in the baseline revision (``HEAD:contracts/runners/x.yaml``,
    a removed runner where it was), a file the checkout does not have: GitHub would attach
    the annotation to nothing. Such a problem is annotated without ``file=`` (GitHub shows
    it on the run's summary), its place at the revision first in the message.
    """
    lines = [_annotation(problem, result.baseline) for problem in result.problems]
    lines.append(summary(result))
    return "\n".join(lines) + "\n"


def _annotation(problem: Problem, baseline: str) -> str:
    if not problem.path.startswith(f"{baseline}:"):
        return github_annotation(problem)
    where = f"{problem.path}:{problem.position.line}:{problem.position.column}: "
    field = f"{problem.field_text}: " if problem.field else ""
    return github_error(
        file=None,
        line=problem.position.line,
        title=problem.rule.title,
        message=escape_control(where + field) + problem.message,
    )


def render_file_problems(problems: list[Problem], output_format: str, program: str) -> str:
    """Problems that kept contract files from loading, before anything was compared."""
    if output_format == "json":
        return _dump({"ok": False, "problems": [json_object(p) for p in problems]})
    render = github_annotation if output_format == "github" else text_line
    count = len(problems)
    closing = (
        f"{program}: {count} problem{'' if count == 1 else 's'} in the contract files; "
        "fix them first (`jobforge-contracts validate` checks everything)"
    )
    return "\n".join([*map(render, problems), closing]) + "\n"


def summary(result: DriftResult) -> str:
    compared = f"{result.compared} contract{'' if result.compared == 1 else 's'}"
    removed = sum(1 for drift in result.contracts if drift.new_version is None)
    changed = len(result.contracts) - removed
    if result.ok:
        moves = [f"{changed} changed and versioned correctly"] if changed else []
        if removed:
            moves.append(f"{removed} removed as recorded")
        moved = ", " + ", ".join(moves) if moves else ", none changed"
        return f"{PROGRAM}: ok: {compared} compared with {result.baseline}{moved}"
    count = len(result.problems)
    return (
        f"{PROGRAM}: {count} problem{'' if count == 1 else 's'}; {compared} compared "
        f"with {result.baseline}"
    )


REPORTERS: dict[str, Callable[[DriftResult], str]] = {
    "text": render_text,
    "json": render_json,
    "github": render_github,
}


def render(result: DriftResult, output_format: str, *, verbose: bool) -> str:
    """``result`` in ``output_format``; ``verbose`` lists every change in text."""
    if output_format == "text":
        return render_text(result, verbose=verbose)
    return REPORTERS[output_format](result)
