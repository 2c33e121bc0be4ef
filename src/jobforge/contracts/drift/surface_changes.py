"""The changes between two locked surfaces of a contract, and which of them break its users.

A runner's surface is its job types and their input and output schemas (compared by the
schema differ, which knows an input breaks when it accepts less and an output when it may
produce more); a connector's is the job types it supports and its capabilities.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from jobforge.contracts.drift import schema_diff
from jobforge.contracts.drift.lockfile import ContractKind, LockedContract
from jobforge.contracts.drift.schema_diff import Role
from jobforge.contracts.problems.rules import Rule

JOB_TYPE_REMOVED = Rule("JF520", "job-type-removed", "A job type is no longer served.")
JOB_TYPE_ADDED = Rule("JF521", "job-type-added", "A job type was added.")
CAPABILITY_REMOVED = Rule("JF522", "capability-removed", "A connector capability was dropped.")
CAPABILITY_ADDED = Rule("JF523", "capability-added", "A connector capability was added.")
CONTRACT_REMOVED = Rule("JF524", "contract-removed", "A runner or connector was removed.")
CONTRACT_ADDED = Rule("JF525", "contract-added", "A runner or connector was added.")
CHANGE_RULES: Final = (
    JOB_TYPE_REMOVED,
    JOB_TYPE_ADDED,
    CAPABILITY_REMOVED,
    CAPABILITY_ADDED,
    CONTRACT_REMOVED,
    CONTRACT_ADDED,
)
_SCHEMA_RULES: Final = {rule.id: rule for rule in schema_diff.RULES}


@dataclass(frozen=True, slots=True)
class ContractChange:
    """One change to a contract's surface, and whether it breaks the contract's users."""

    rule: Rule
    where: str
    detail: str
    breaking: bool

    def describe(self) -> str:
        return f"{self.rule.title} at {self.where}: {self.detail}"


def surface_changes(old: LockedContract, new: LockedContract) -> list[ContractChange]:
    """Every change from ``old``'s surface to ``new``'s, job type by job type, sorted."""
    if old.kind is ContractKind.RUNNER:
        changes = _runner_changes(old.surface, new.surface)
    else:
        changes = _connector_changes(old.surface, new.surface)
    return sorted(changes, key=lambda c: (c.where, c.rule.id, c.detail))


def _runner_changes(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[ContractChange]:
    old_jobs: Mapping[str, Any] = old.get("job_types", {})
    new_jobs: Mapping[str, Any] = new.get("job_types", {})
    changes = _job_type_set_changes(set(old_jobs), set(new_jobs))
    for job_type in sorted(old_jobs.keys() & new_jobs.keys()):
        for role in (Role.INPUT, Role.OUTPUT):
            key = f"{role.value}_schema"
            for change in schema_diff.diff_schemas(
                old_jobs[job_type][key], new_jobs[job_type][key]
            ):
                changes.append(
                    ContractChange(
                        _SCHEMA_RULES[change.rule_id],
                        f"{job_type} {key} {change.path or '/'}",
                        change.detail,
                        breaking=change.breaks(role),
                    )
                )
    return changes


def _connector_changes(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[ContractChange]:
    changes = _job_type_set_changes(
        set(old.get("supported_job_types", [])), set(new.get("supported_job_types", []))
    )
    old_caps: Mapping[str, Any] = old.get("capabilities", {})
    new_caps: Mapping[str, Any] = new.get("capabilities", {})
    for capability in sorted(old_caps.keys() | new_caps.keys()):
        had, has = bool(old_caps.get(capability)), bool(new_caps.get(capability))
        if had and not has:
            changes.append(
                ContractChange(
                    CAPABILITY_REMOVED,
                    f"capabilities.{capability}",
                    f"capability {capability!r} is no longer offered",
                    breaking=True,
                )
            )
        elif has and not had:
            changes.append(
                ContractChange(
                    CAPABILITY_ADDED,
                    f"capabilities.{capability}",
                    f"capability {capability!r} is now offered",
                    breaking=False,
                )
            )
    return changes


def _job_type_set_changes(old: set[str], new: set[str]) -> list[ContractChange]:
    removed = [
        ContractChange(JOB_TYPE_REMOVED, job_type, f"job type {job_type!r} was removed", True)
        for job_type in sorted(old - new)
    ]
    added = [
        ContractChange(JOB_TYPE_ADDED, job_type, f"job type {job_type!r} was added", False)
        for job_type in sorted(new - old)
    ]
    return removed + added
