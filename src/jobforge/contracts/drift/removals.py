"""``contracts/removed.yaml``: the runners and connectors removed on purpose.

Removing a contract breaks every caller, and there is no file left to bump, so ``drift``
refuses a removal unless this file records it: the id, the version that was removed
(``last_version``, which must be the baseline's version, the way a ``breaking_changes``
entry must name the new version) and a message for its users. It is the counterpart of
protobuf's ``reserved`` that ``buf breaking`` honours: deleting is breaking unless
declared. Records stay as the project's history; the registry of what was dropped::

    runners:
      autopilot.ops.audit:
        last_version: 1.4.0
        message: Replaced by autopilot.ops.scan; enqueue autopilot.ops.scan instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from pydantic import Field

from jobforge.contracts.drift.lockfile import SECTIONS, ContractKind, LockKey
from jobforge.contracts.loading.loader import LoadedFile, load_file
from jobforge.contracts.models.contract_files import ContractModel, NonEmptyStr
from jobforge.contracts.models.identifiers import DottedId
from jobforge.contracts.models.semver import SemVer
from jobforge.contracts.problems.problem import Position, Problem

REMOVALS_FILE_NAME: Final = "removed.yaml"


class Removal(ContractModel):
    """One removed contract: the version it had last, and what its users must do now."""

    last_version: SemVer
    message: NonEmptyStr = Field(description="What callers must do instead.")
    migration_documentation_url: NonEmptyStr | None = None


class RemovalRecords(ContractModel):
    """The whole file: removed runners and connectors by id."""

    runners: dict[DottedId, Removal] = Field(default_factory=dict)
    connectors: dict[DottedId, Removal] = Field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class RecordedRemoval:
    """A record with the place of its ``last_version`` in the file."""

    removal: Removal
    display: str
    last_version_at: Position


@dataclass(frozen=True, slots=True)
class Removals:
    """The records of a project; ``display`` names the file even when there is none yet."""

    display: str
    records: dict[LockKey, RecordedRemoval] = field(default_factory=dict)

    def find(self, kind: ContractKind, contract_id: str) -> RecordedRemoval | None:
        return self.records.get((kind, contract_id))


NO_REMOVALS: Final = Removals(f"contracts/{REMOVALS_FILE_NAME}")


def read_removals(path: Path, display: str) -> tuple[Removals, list[Problem]]:
    """The records in ``path`` (none if the file does not exist), or the problems in it."""
    from pydantic import ValidationError  # noqa: PLC0415

    from jobforge.contracts.checks.model_errors import validation_problems  # noqa: PLC0415

    if not path.exists():
        return Removals(display), []
    loaded = load_file(path, display)
    if not loaded.ok:
        return Removals(display), loaded.problems
    try:
        model = RemovalRecords.model_validate(loaded.data)
    except ValidationError as exc:
        return Removals(display), validation_problems(exc, RemovalRecords, loaded)
    return Removals(display, _records(model, loaded)), []


def _records(model: RemovalRecords, loaded: LoadedFile) -> dict[LockKey, RecordedRemoval]:
    records: dict[LockKey, RecordedRemoval] = {}
    for kind, table in (
        (ContractKind.RUNNER, model.runners),
        (ContractKind.CONNECTOR, model.connectors),
    ):
        for contract_id, removal in table.items():
            at = loaded.positions.value((SECTIONS[kind], contract_id, "last_version"))
            records[(kind, contract_id)] = RecordedRemoval(removal, loaded.path, at)
    return records
