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

from jobforge.contracts.drift.lockfile import SECTIONS, ContractKind, LockKey
from jobforge.contracts.loading.layout import REMOVALS_FILE_NAME
from jobforge.contracts.loading.loader import LoadedFile, load_file
from jobforge.contracts.models.removal_records import Removal, RemovalRecords
from jobforge.contracts.problems.problem import START, FieldPath, Position, Problem

__all__ = [
    "NO_REMOVALS",
    "REMOVALS_FILE_NAME",
    "RecordedRemoval",
    "Removal",
    "RemovalRecords",
    "Removals",
    "read_removals",
]


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
    exists: bool = False
    """Whether the file is there: a problem about a missing record can point into it."""
    sections: dict[ContractKind, Position] = field(default_factory=dict)
    """Where the ``runners:`` and ``connectors:`` keys are, for those the file has."""

    def find(self, kind: ContractKind, contract_id: str) -> RecordedRemoval | None:
        return self.records.get((kind, contract_id))

    def where_to_record(self, kind: ContractKind) -> tuple[Position, FieldPath]:
        """Where a record of ``kind`` goes: its section's key, else the file's start."""
        section = self.sections.get(kind)
        return (section, (SECTIONS[kind],)) if section is not None else (START, ())


NO_REMOVALS: Final = Removals(f"contracts/{REMOVALS_FILE_NAME}")


def read_removals(path: Path, display: str) -> tuple[Removals, list[Problem]]:
    """The records in ``path`` (none if the file does not exist), or the problems in it:
    those ``validate`` reports for it, with the same loader and model."""
    from jobforge.contracts.checks.model_errors import check_model  # noqa: PLC0415

    if not path.exists():
        return Removals(display), []
    loaded = load_file(path, display)
    if not loaded.readable:
        return Removals(display, exists=True), sorted(loaded.problems, key=Problem.sort_key)
    model, problems, _ = check_model(RemovalRecords, loaded)
    if model is None or not loaded.ok:
        found = sorted([*loaded.problems, *problems], key=Problem.sort_key)
        return Removals(display, exists=True), found
    sections = {
        kind: loaded.positions.key((SECTIONS[kind],))
        for kind in (ContractKind.RUNNER, ContractKind.CONNECTOR)
        if SECTIONS[kind] in loaded.data
    }
    return Removals(display, _records(model, loaded), exists=True, sections=sections), []


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
