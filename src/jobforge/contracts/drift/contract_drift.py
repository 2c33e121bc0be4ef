"""``drift``: compare the contracts with the lock (or a git revision) and enforce versioning.

For each runner and connector present on both sides, the surfaces (see ``lockfile``) are
compared. A change needs a version bump; a breaking change needs a major bump (for 0.x
versions, a minor bump: the leftmost non-zero part, as Cargo reads semver) AND an entry
for the new version in the contract's ``breaking_changes``, so the break is announced to
users, as Airbyte's ``breakingChanges`` does. A removed runner or connector breaks every
caller and has no version left to bump: it needs a record in ``contracts/removed.yaml``
(see ``removals``). Results are collected, never printed here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from jobforge.contracts.contract_set import ContractSet, Located
from jobforge.contracts.drift.lockfile import (
    SECTIONS,
    ContractKind,
    LockedContract,
    LockKey,
    lock_connector,
    lock_runner,
)
from jobforge.contracts.drift.removals import NO_REMOVALS, Removals
from jobforge.contracts.drift.surface_changes import (
    CONTRACT_ADDED,
    CONTRACT_REMOVED,
    ContractChange,
    surface_changes,
)
from jobforge.contracts.drift.version_bumps import is_major_bump, next_major, precedence
from jobforge.contracts.models.semver import Version, parse_semver
from jobforge.contracts.problems.problem import START, Position, Problem
from jobforge.contracts.problems.rules import Rule

VERSION_NOT_BUMPED = Rule("JF601", "version-not-bumped", "A contract changed, its version not.")
NEEDS_MAJOR_BUMP = Rule(
    "JF602", "breaking-change-needs-major-bump", "A breaking change without a major bump."
)
BREAKING_NOT_RECORDED = Rule(
    "JF603",
    "breaking-change-not-recorded",
    "A major bump with breaking changes but no breaking_changes entry for the new version.",
)
VERSION_DECREASED = Rule("JF604", "version-decreased", "A contract's version went backwards.")
LOCK_OUT_OF_DATE = Rule(
    "JF605", "lock-out-of-date", "The lock does not match the contracts; run the lock command."
)
REMOVAL_NOT_RECORDED = Rule(
    "JF606",
    "contract-removed-not-recorded",
    "A runner or connector was removed without a record of its last version in "
    "contracts/removed.yaml.",
)
DRIFT_RULES: Final = (
    VERSION_NOT_BUMPED,
    NEEDS_MAJOR_BUMP,
    BREAKING_NOT_RECORDED,
    VERSION_DECREASED,
    LOCK_OUT_OF_DATE,
    REMOVAL_NOT_RECORDED,
)


@dataclass(frozen=True, slots=True)
class Origin:
    """Where a baseline contract was: its file at a git revision, or its entry in the lock."""

    display: str
    position: Position


@dataclass(slots=True)
class ContractDrift:
    """One contract compared with its baseline."""

    kind: ContractKind
    contract_id: str
    display: str
    old_version: str | None
    new_version: str | None
    changes: list[ContractChange] = field(default_factory=list)

    @property
    def breaking(self) -> list[ContractChange]:
        return [change for change in self.changes if change.breaking]


@dataclass(slots=True)
class DriftResult:
    baseline: str
    compared: int = 0
    contracts: list[ContractDrift] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def current_entries(contracts: ContractSet) -> dict[LockKey, tuple[LockedContract, Located]]:
    """The lock entries the contracts on disk would produce, with where each came from."""
    entries: dict[LockKey, tuple[LockedContract, Located]] = {}
    for located in contracts.runners.values():
        entry = lock_runner(located.model)
        entries[(entry.kind, entry.contract_id)] = (entry, located)
    for located in contracts.connectors.values():
        entry = lock_connector(located.model)
        entries[(entry.kind, entry.contract_id)] = (entry, located)
    return entries


def origins_of(contracts: ContractSet) -> Callable[[LockKey], Origin]:
    """Where each contract of ``contracts`` sits: its file, at the key of its id."""

    def origin(key: LockKey) -> Origin:
        kind, contract_id = key
        table = contracts.runners if kind is ContractKind.RUNNER else contracts.connectors
        located = table[contract_id]
        id_key = "runner_id" if kind is ContractKind.RUNNER else "connector_id"
        return Origin(located.display, located.loaded.positions.key((id_key,)))

    return origin


def compare(
    baseline: Mapping[LockKey, LockedContract],
    contracts: ContractSet,
    *,
    baseline_name: str,
    lock_mode: bool,
    removals: Removals = NO_REMOVALS,
    origin: Callable[[LockKey], Origin] | None = None,
) -> DriftResult:
    """Check ``contracts`` against ``baseline``.

    ``lock_mode``: the baseline is the committed lock, so any difference at all (even a
    correctly bumped one) means the lock is out of date. ``removals``: the removals the
    project records; ``origin``: where a baseline contract was, to point at a removed one
    (the baseline's name at line 1 without it).
    """
    result = DriftResult(baseline=baseline_name)
    current = current_entries(contracts)
    for key in sorted(baseline.keys() | current.keys()):
        old = baseline.get(key)
        new_pair = current.get(key)
        result.compared += 1
        if new_pair is None:
            assert old is not None
            where = origin(key) if origin else Origin(baseline_name, START)
            _removed(old, where, removals, result, lock_mode=lock_mode)
            continue
        new, located = new_pair
        if old is None:
            _added(new, located, result, lock_mode=lock_mode)
            continue
        _changed(old, new, located, result, lock_mode=lock_mode)
    result.problems.sort(key=Problem.sort_key)
    return result


def _removed(
    old: LockedContract,
    where: Origin,
    removals: Removals,
    result: DriftResult,
    *,
    lock_mode: bool,
) -> None:
    name = f"{old.kind} {old.contract_id}"
    drift = ContractDrift(old.kind, old.contract_id, where.display, old.version, None)
    drift.changes.append(
        ContractChange(CONTRACT_REMOVED, name, f"{name} {old.version} is gone", breaking=True)
    )
    result.contracts.append(drift)
    problem = _removal_problem(old, where, removals, result.baseline)
    if problem is not None:
        result.problems.append(problem)
    elif lock_mode:
        result.problems.append(
            Problem(
                where.display,
                where.position,
                (),
                LOCK_OUT_OF_DATE,
                f"{name} is in the lock but no longer in the project (its removal is "
                f"recorded in {removals.display}); run `jobforge-contracts lock` and "
                "commit the lock",
            )
        )


def _removal_problem(
    old: LockedContract, where: Origin, removals: Removals, baseline: str
) -> Problem | None:
    """None when ``removals`` records the removal of ``old`` at its version."""
    name = f"{old.kind} {old.contract_id}"
    recorded = removals.find(old.kind, old.contract_id)
    if recorded is None:
        # Where the record goes, when the records file is there; else where it was.
        at, field_path = removals.where_to_record(old.kind) if removals.exists else (None, ())
        place = f"{where.display}:{where.position.line}:{where.position.column}"
        was = f" (it was at {place})" if at else ""
        return Problem(
            removals.display if at else where.display,
            at or where.position,
            field_path,
            REMOVAL_NOT_RECORDED,
            f"{name} {old.version} was removed{was}, which breaks {_users(old)}; if that is "
            f"intended, record it in {removals.display}: {SECTIONS[old.kind]}: "
            f"{{{old.contract_id}: {{last_version: {old.version}, message: what its users "
            "must do instead}}; otherwise restore it",
        )
    last_version = recorded.removal.last_version
    if precedence(parse_semver(last_version)) == precedence(parse_semver(old.version)):
        return None
    return Problem(
        recorded.display,
        recorded.last_version_at,
        (SECTIONS[old.kind], old.contract_id, "last_version"),
        REMOVAL_NOT_RECORDED,
        f"records the removal of {name} at {last_version}, but {baseline} has "
        f"{old.version}; a removal is recorded for the version removed: "
        f"last_version: {old.version}",
    )


def _users(old: LockedContract) -> str:
    if old.kind is ContractKind.RUNNER:
        job_types = sorted(old.surface.get("job_types", {}))
        return f"every caller of its job types ({', '.join(job_types)})"
    return "every runner that calls it"


def _added(new: LockedContract, located: Located, result: DriftResult, *, lock_mode: bool) -> None:
    drift = ContractDrift(new.kind, new.contract_id, located.display, None, new.version)
    drift.changes.append(
        ContractChange(
            CONTRACT_ADDED,
            f"{new.kind} {new.contract_id}",
            f"new {new.kind} at {new.version}",
            breaking=False,
        )
    )
    result.contracts.append(drift)
    if lock_mode:
        result.problems.append(
            _problem(
                located,
                LOCK_OUT_OF_DATE,
                f"{new.kind} {new.contract_id} is not in {result.baseline}; run "
                "`jobforge-contracts lock` and commit the lock",
            )
        )


def _changed(
    old: LockedContract,
    new: LockedContract,
    located: Located,
    result: DriftResult,
    *,
    lock_mode: bool,
) -> None:
    changes = surface_changes(old, new)
    if old.fingerprint == new.fingerprint and old.version == new.version:
        return
    drift = ContractDrift(
        new.kind, new.contract_id, located.display, old.version, new.version, changes
    )
    result.contracts.append(drift)
    before = len(result.problems)
    result.problems.extend(_version_problems(old, new, located, drift))
    if lock_mode and len(result.problems) == before:
        result.problems.append(
            _problem(
                located,
                LOCK_OUT_OF_DATE,
                f"{new.kind} {new.contract_id} {new.version} differs from {result.baseline} "
                f"(locked {old.version}); run `jobforge-contracts lock` and commit the lock",
            )
        )


def _version_problems(
    old: LockedContract, new: LockedContract, located: Located, drift: ContractDrift
) -> list[Problem]:
    name = f"{new.kind} {new.contract_id}"
    old_version, new_version = parse_semver(old.version), parse_semver(new.version)
    if precedence(new_version) < precedence(old_version):
        return [
            _problem(
                located,
                VERSION_DECREASED,
                f"{name}: version {new.version} is lower than {old.version} in the baseline; "
                "versions only go up",
            )
        ]
    problems: list[Problem] = []
    surface_changed = old.fingerprint != new.fingerprint
    if surface_changed and precedence(new_version) == precedence(old_version):
        summary = "; ".join(change.describe() for change in drift.changes[:3])
        more = f" (and {len(drift.changes) - 3} more)" if len(drift.changes) > 3 else ""
        problems.append(
            _problem(
                located,
                VERSION_NOT_BUMPED,
                f"{name} changed but its version is still {new.version}: {summary}{more}; "
                "bump the version (minor for compatible changes, major for breaking ones)",
            )
        )
    breaking = drift.breaking
    if not breaking:
        return problems
    if not is_major_bump(old_version, new_version):
        problems.extend(
            _problem(
                located,
                NEEDS_MAJOR_BUMP,
                f"{name}: {change.describe()}; a breaking change needs a major version bump "
                f"({old.version} -> {new.version} is not one, "
                f"{next_major(old_version)} would be)",
            )
            for change in breaking
        )
        return problems
    if not _has_breaking_record(located, new_version):
        ids = ", ".join(sorted({change.rule.id for change in breaking}))
        problems.append(
            _problem(
                located,
                BREAKING_NOT_RECORDED,
                f"{name} {new.version} breaks users ({ids}) but its breaking_changes has no "
                f'entry for {new.version}; add breaking_changes: {{"{new.version}": '
                '{"message": "what breaks and what users must do"}}',
                field_name="breaking_changes",
            )
        )
    return problems


def _has_breaking_record(located: Located, version: Version) -> bool:
    recorded: Mapping[str, Any] = located.model.breaking_changes
    return any(precedence(parse_semver(key)) == precedence(version) for key in recorded)


def _problem(located: Located, rule: Rule, message: str, *, field_name: str = "version") -> Problem:
    model_fields = type(located.model).model_fields
    has_field = field_name in model_fields and (
        field_name != "breaking_changes" or bool(located.model.breaking_changes)
    )
    target = field_name if has_field else "version"
    position: Position = located.position(target)
    return Problem(located.display, position, (target,), rule, message)
