"""Rendering drift results: text for people, JSON for machines, GitHub workflow annotations.

Problems use the validator's line shape, ``path:line:column: field: JFnnn name: message``;
the text report lists every change found first, so a reviewer sees what moved even when
it was versioned correctly.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from jobforge.contracts.drift.contract_drift import ContractDrift, DriftResult
from jobforge.contracts.problems.problem import Problem
from jobforge.contracts.problems.problem_format import github_annotation, json_object, text_line

PROGRAM = "jobforge-contracts drift"


def render_text(result: DriftResult) -> str:
    lines: list[str] = []
    for drift in result.contracts:
        lines.append(_heading(drift))
        lines.extend(
            f"  {change.describe()}{' [breaking]' if change.breaking else ''}"
            for change in drift.changes
        )
    lines.extend(text_line(problem) for problem in result.problems)
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
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def render_github(result: DriftResult) -> str:
    lines = [github_annotation(problem) for problem in result.problems]
    lines.append(summary(result))
    return "\n".join(lines) + "\n"


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
    changed = len(result.contracts)
    if result.ok:
        moved = f", {changed} changed and versioned correctly" if changed else ", none changed"
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
